"""CSS inlining for e-mail, behind a small interface so another inliner can be swapped in.

An inliner takes a whole HTML document and the address its relative URLs are relative to, and
returns the document with every rule that can be inlined moved into ``style`` attributes; what
cannot be inlined (``@media`` rules) stays in one ``<style>`` block.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Inliner(Protocol):
    def __call__(self, html: str, *, base_url: str) -> str: ...


class PremailerInliner:
    """premailer, configured for what Gmail and Outlook need.

    ``strip_important=False``: Gmail honours ``!important`` in the hidden preheader and the dark-mode
    rules only if it survives. cssutils logs every property it does not know (``mso-hide``,
    ``-ms-interpolation-mode``); those messages are kept in ``last_log`` instead of printed.
    """

    def __init__(self) -> None:
        self.last_log = ""

    def __call__(self, html: str, *, base_url: str) -> str:
        import premailer  # deferred: premailer and cssutils are only needed when a digest is rendered

        with _captured_cssutils_log() as captured:
            inliner = premailer.Premailer(
                html,
                base_url=base_url,
                strip_important=False,
                keep_style_tags=False,  # premailer then keeps only what it could not inline (@media)
                remove_classes=False,  # the @media rules left in <style> select by class
                disable_validation=True,
                allow_network=False,
                allow_loading_external_files=False,
                cache_css_parsing=True,
                # Width and height attributes come from the template (Outlook sizes by them), never from CSS.
                disable_basic_attributes=["width", "height"],
            )
            result = str(inliner.transform(pretty_print=False))
        self.last_log = captured.getvalue()
        return result


@contextmanager
def _captured_cssutils_log() -> Iterator[io.StringIO]:
    """cssutils warns on stderr about every property it does not know (mso-hide, -ms-interpolation-mode):
    noise in a cron job's mail. Its logger's output goes to a buffer instead while inlining."""
    logger = logging.getLogger("CSSUTILS")
    captured = io.StringIO()
    saved = logger.handlers[:], logger.propagate
    logger.handlers[:] = [logging.StreamHandler(captured)]
    logger.propagate = False
    try:
        yield captured
    finally:
        logger.handlers[:], logger.propagate = saved


def default_inliner() -> Inliner:
    return PremailerInliner()


# Merge tags of the common ESPs: Mailchimp *|UNSUB|*, Handlebars/Liquid {{ ... }} and {{{ ... }}}
# (SendGrid, Postmark, Customer.io), Mailgun %recipient.x%. An inliner re-serialises the document,
# and libxml2 percent-encodes spaces in href and src ("{{%20subscriber.uuid%20}}"), which an ESP can
# no longer personalise; so the tags are set aside before inlining and put back, byte for byte, after.
MERGE_TAG = re.compile(r"\{\{\{.*?\}\}\}|\{\{.*?\}\}|\*\|[^|\s<>]{1,80}\|\*|%recipient(?:\.[\w-]+)*%", re.DOTALL)


def keeping_merge_tags(inliner: Inliner) -> Inliner:
    """``inliner``, with every ESP merge tag in the document passed through it verbatim."""

    def inline(html: str, *, base_url: str) -> str:
        tags: list[str] = []

        def park(match: re.Match[str]) -> str:
            tags.append(match.group(0))
            return f"publishermergetag{len(tags) - 1}x"

        # A document that already holds the placeholder's spelling could be confused with one: then
        # it goes through as it is (no merge tags are that common in prose to matter).
        if "publishermergetag" in html:
            return inliner(html, base_url=base_url)
        result = inliner(MERGE_TAG.sub(park, html), base_url=base_url)
        return re.sub(r"publishermergetag(\d+)x", lambda m: tags[int(m.group(1))], result)

    return inline
