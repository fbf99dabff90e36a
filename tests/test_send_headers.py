"""What a sent digest carries that the written files do not (Date and Message-ID of the moment), what
stays byte-identical, strict addresses everywhere, and ESP merge tags that pass through untouched."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes, policy

import pytest

import publisher
from publisher.addresses import address_list, mailbox
from publisher.errors import ConfigError
from tests.conftest import NOW, article, make_config


def received(recorder):
    return [message_from_bytes(m.data, policy=policy.default) for m in recorder.messages]


def test_a_name_holding_a_comma_is_one_mailbox_once_quoted():
    assert mailbox('"Evil, Inc." <n@example.org>', "from").name == "Evil, Inc."
    with pytest.raises(ConfigError, match=r"is not an address list: .*; quote a name holding a comma"):
        mailbox("Evil, Inc. <n@example.org>", "from")
    with pytest.raises(ConfigError, match=r"holds 2 mailboxes; expected exactly one \(a name holding a comma"):
        mailbox("a@example.org, b@example.org", "from")
    assert address_list("undisclosed-recipients:;", "to") == []
    assert [b.address for b in address_list("team: a@x.org, b@y.org;", "to")] == ["a@x.org", "b@y.org"]


MERGE_URL = "https://example.org/u?u={{ subscriber.uuid }}&m=*|UNSUB|*&r=%recipient.id%&x={{{raw_link}}}"
TAGS = ["{{ subscriber.uuid }}", "*|UNSUB|*", "%recipient.id%", "{{{raw_link}}}"]


def test_esp_merge_tags_pass_through_verbatim_in_header_html_and_text():
    config = make_config(
        title="ESP", digest={"unsubscribe_url": MERGE_URL, "url": "https://example.org/news/{{ campaign.id }}.html"}
    )
    digest = publisher.newsletter.render_digest([article("a", published=NOW - timedelta(days=1))], config, now=NOW)
    html = digest.html.replace("&amp;", "&")
    for tag in TAGS:
        assert tag in digest.message["List-Unsubscribe"]
        assert tag in html, tag
        assert tag in digest.text
    assert "{{ campaign.id }}" in html
    assert "%20" not in html and "%7B" not in html.upper()
    # And in the bytes handed to the ESP (digest.eml), once quoted-printable is undone.
    eml = message_from_bytes(digest.as_bytes(), policy=policy.default)
    assert "{{ subscriber.uuid }}" in eml.get_body(("html",)).get_content()


def test_list_id_and_feedback_id_are_set_when_configured():
    plain = make_config(title="ESP", digest={"list_id": ""})  # "" turns List-Id off
    config = make_config(
        title="ESP", digest={"list_id": "ESP news <news.example.org>", "feedback_id": "weekly:news:example"}
    )
    articles = [article("a", published=NOW - timedelta(days=1))]
    digest = publisher.newsletter.render_digest(articles, config, now=NOW)
    assert digest.message["List-Id"] == "ESP news <news.example.org>"
    assert digest.message["Feedback-ID"] == "weekly:news:example"
    bare = publisher.newsletter.render_digest(articles, plain, now=NOW).message
    assert bare["List-Id"] is None and bare["Feedback-ID"] is None
    assert re.search(rb"^List-Id: ", digest.as_bytes(), re.M)


@pytest.mark.parametrize(
    ("title", "url", "list_id"),
    [
        ("ESP", "https://news.example.org/blog/", "ESP <newsletter.news.example.org>"),
        ("Dev, Notes", "http://localhost:8000/", '"Dev, Notes" <newsletter.localhost>'),
        ("V6", "http://[::1]:8000/", "V6 <newsletter.localhost>"),
    ],
)
def test_list_id_is_on_by_default_from_the_site_host(title, url, list_id):
    digest = publisher.newsletter.render_digest(
        [article("a", published=NOW - timedelta(days=1))], make_config(title=title, url=url), now=NOW
    )
    assert digest.message["List-Id"] == list_id
    parsed = message_from_bytes(digest.as_bytes(), policy=policy.default)
    assert parsed["List-Id"] == list_id


def test_the_check_flags_images_mail_clients_do_not_show_and_script_or_data_sources():
    from publisher.email.message import check_digest

    message = publisher.newsletter.render_digest(
        [article("a", published=NOW - timedelta(days=1))], make_config(title="C"), now=NOW
    ).message
    html = (
        '<html><body><div style="display:none">pre</div>'
        '<img src="https://cdn.example.net/a.svg" width="1" height="1" alt="">'
        '<img src="https://cdn.example.net/b.AVIF?x=1" width="1" height="1" alt="">'
        '<img src="https://cdn.example.net/c.webp" width="1" height="1" alt="">'
        '<img src="https://cdn.example.net/d.jpg" width="1" height="1" alt="">'
        '<img src="data:image/png;base64,AAAA" width="1" height="1" alt="">'
        '<a href="javascript:alert(1)">x</a></body></html>'
    )
    problems = check_digest(html, message, budget=100_000)
    assert [p for p in problems if "not shown by Outlook" in p] == [
        "<img src='https://cdn.example.net/a.svg'>: SVG images are not shown by Outlook and some Gmail apps; "
        "use JPEG, PNG or GIF (local covers are converted)",
        "<img src='https://cdn.example.net/b.AVIF?x=1'>: AVIF images are not shown by Outlook and some Gmail apps; "
        "use JPEG, PNG or GIF (local covers are converted)",
        "<img src='https://cdn.example.net/c.webp'>: WebP images are not shown by Outlook and some Gmail apps; "
        "use JPEG, PNG or GIF (local covers are converted)",
    ]
    assert (
        "<img src='data:image/png;base64,AAAA'>: a data: address is blocked by mail clients and scored as spam"
        in problems
    )
    assert (
        "<a href='javascript:alert(1)'>: a javascript: address is blocked by mail clients and scored as spam"
        in problems
    )
    assert not any("relative URL" in p for p in problems)
