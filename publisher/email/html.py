"""An article's body for an e-mail: the feed HTML (markup/html.py) without what mail clients drop,
media as links to the article, every image sized for the column."""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree
from lxml import html as lxml_html

from ..config import Config
from ..content.permalinks import article_url
from ..markup.html import allowed_tags, render_html, sanitize
from ..model import Article

# What an e-mail may not carry: mail clients strip or block these, and spam filters score them. The
# digest's send-readiness check (message.check_digest) looks for the same tags.
EMAIL_FORBIDDEN = frozenset(
    {
        "video",
        "audio",
        "source",
        "track",
        "iframe",
        "object",
        "embed",
        "form",
        "input",
        "button",
        "select",
        "textarea",
        "picture",
        "canvas",
        "svg",
        "math",
    }
)


def email_html(
    article: Article,
    config: Config,
    *,
    width: int,
    poster: str | None = None,
    link: Callable[[str], str] = lambda url: url,
) -> str:
    """The article body for an e-mail: sanitised, absolute, every image sized to fit ``width``.

    A ``<video>`` or ``<audio>`` becomes a link to the article: its own ``poster`` image, else
    ``poster`` (the configured poster field), shown with a "Watch the video" caption, else a styled
    "▶ Watch the video" block. Never the cover again: a digest once showed the same image seven
    times. ``link`` rewrites each link (campaign parameters).
    """
    url = article_url(article, config)
    html = render_html(article, config)
    if not html.strip():
        return ""
    tree = lxml_html.fragment_fromstring(html, create_parent="div")
    for media in [el for el in tree.iter("video", "audio")]:
        replacement = _media_link(media, url, media.get("poster") or poster, article.title)
        replacement.tail = media.tail
        media.getparent().replace(media, replacement)
    for img in tree.iter("img"):
        _fit_image(img, width, config.cover_shape)
    for a in tree.iter("a"):
        if a.get("href"):
            a.set("href", link(a.get("href")))
    fragment = (tree.text or "") + "".join(lxml_html.tostring(child, encoding="unicode") for child in tree)
    return sanitize(fragment, base_url=url, tags=allowed_tags(config) - EMAIL_FORBIDDEN)


def _media_link(media: lxml_html.HtmlElement, url: str, poster: str | None, title: str) -> lxml_html.HtmlElement:
    caption = "Watch the video" if media.tag == "video" else "Listen to the recording"
    block = lxml_html.Element("div")
    if poster and media.tag == "video":
        image_link = etree.SubElement(block, "a", href=url)
        image = etree.SubElement(
            image_link, "img", {"class": "video-poster", "src": poster, "alt": f"{caption}: {title}"}
        )
        for size in ("width", "height"):  # the video's own size, fitted to the column by _fit_image
            if media.get(size):
                image.set(size, media.get(size))
        if not media.get("height"):
            image.attrib.pop("width", "")  # half a size is no size: _fit_image assumes the cover shape
    paragraph = etree.SubElement(block, "p", {"class": "video-caption" if poster else "video-block"})
    caption_link = etree.SubElement(paragraph, "a", href=url)
    caption_link.text = f"▶ {caption}"
    return block


def _fit_image(img: lxml_html.HtmlElement, width: int, shape: tuple[int, int]) -> None:
    """Give every image width, height and alt; scale down what is wider than the column.

    An image without a size is assumed to have the configured cover shape (Outlook needs numbers;
    other clients follow the ``height: auto`` style instead).
    """
    try:
        w, h = int(img.get("width", "")), int(img.get("height", ""))
    except ValueError:
        w, h = 0, 0
    if w <= 0 or h <= 0:
        w, h = width, round(width * shape[1] / shape[0])
    elif w > width:
        w, h = width, max(1, round(h * width / w))
    img.set("width", str(w))
    img.set("height", str(h))
    if img.get("alt") is None:
        img.set("alt", "")
