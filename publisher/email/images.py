"""E-mail-sized copies of local cover images (Pillow).

A digest shows a cover 600 px wide (the lead card) or 120 px wide (a compact item's thumbnail).
Sending the original 2,000 px cover to a 120 px slot costs the reader megabytes; sending a 600 px
one looks blurred on every phone and retina screen. So each local cover (a file under ``static``)
gets two derivatives at twice the shown width, never wider than the original, keeping its aspect
ratio: JPEG, or PNG when it has transparency. WebP and AVIF covers, which Outlook and older Gmail
apps do not show, come out as JPEG or PNG too. The files are named after a hash of the source, so
they are byte-identical for the same input and an edited cover gets a new address (no stale copy
in a client's cache).
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..config import Config
from ..errors import display_path
from ..feeds.enclosure import cover_file
from ..model import Article

log = logging.getLogger("publisher")

FOLDER = "newsletter/images"  # in the output folder, beside the archive pages that use them too
# Shown widths in the e-mail's 600 px layout; the files are twice that for high-density screens.
LEAD = 600
THUMB = 120
SCALE = 2


@dataclass(frozen=True)
class EmailImage:
    """An image as the e-mail shows it: its address and its shown size (CSS pixels)."""

    url: str
    width: int
    height: int


@dataclass(frozen=True)
class Derivative:
    """A file to write into the output folder, and the image the e-mail shows from it."""

    name: str  # relative to the output folder
    data: bytes
    image: EmailImage
    source: tuple[int, int]  # the original's size in pixels


def cover_derivatives(article: Article, config: Config) -> dict[str, Derivative]:
    """``{"lead": ..., "thumb": ...}`` for an article whose cover is a readable local image; else empty."""
    if not article.cover_image:
        return {}
    path = cover_file(article, config)
    if path is None or not path.is_file():
        return {}
    try:
        stat = path.stat()
        made = _derivatives(str(path), stat.st_size, stat.st_mtime_ns)
    except (OSError, ValueError) as exc:  # Pillow raises OSError (UnidentifiedImageError) for what it cannot read
        log.warning(
            "%s: cover %s cannot be read as an image (%s); the digest links it as it is",
            article.path or article.slug,
            path,
            exc,
        )
        return {}
    base = config.feeds_base
    return {
        role: Derivative(name, data, EmailImage(base + name, width, height), source)
        for role, (name, data, width, height, source) in made.items()
    }


@lru_cache(maxsize=256)
def _derivatives(path: str, size: int, mtime_ns: int) -> dict[str, tuple[str, bytes, int, int, tuple[int, int]]]:
    """Keyed by the file's size and modification time too: the preview renders again on every reload,
    and a cover that did not change is not resized again."""
    from PIL import Image, ImageOps

    source = Path(path).read_bytes()
    tag = hashlib.sha256(source).hexdigest()[:12]
    with Image.open(io.BytesIO(source)) as opened:
        image = ImageOps.exif_transpose(opened)  # a phone photo's orientation lives in its EXIF data
        image.load()
    alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if alpha else "RGB")
    made = {}
    for role, shown in (("lead", LEAD), ("thumb", THUMB)):
        pixels = min(shown * SCALE, image.width)
        height = max(1, round(image.height * pixels / image.width))
        resized = image.resize((pixels, height), Image.Resampling.LANCZOS) if pixels != image.width else image
        out = io.BytesIO()
        if alpha:
            resized.save(out, "PNG", optimize=True)
        else:
            resized.save(out, "JPEG", quality=82, optimize=True, progressive=True)
        suffix = "png" if alpha else "jpg"
        name = f"{FOLDER}/{Path(path).stem}-{tag}-{pixels}w.{suffix}"
        shown_height = max(1, round(shown * image.height / image.width))
        made[role] = (name, out.getvalue(), shown, shown_height, (image.width, image.height))
    return made


# A cover shown more than this many times its own width is visibly blurred on every screen.
UPSCALE_LIMIT = 2


def upscaled(article: Article, shown: int, source: tuple[int, int] | None) -> str | None:
    """The send-readiness problem of a cover ``source`` pixels big shown ``shown`` px wide, if it is
    stretched more than UPSCALE_LIMIT times (a 64x40 icon as a 600 px lead image); else None."""
    if source is None or shown <= UPSCALE_LIMIT * source[0]:
        return None
    where = display_path(article.path or article.slug)
    return (
        f"{where}: cover {article.cover_image} is {source[0]}x{source[1]} px, shown "
        f"{shown} px wide ({shown / source[0]:.1f}x upscaled, blurred); use one at least {shown * SCALE} px wide"
    )


_SIZED_IMAGE = re.compile(r"!\[[^\]\n]*\|(\d{1,5})x(\d{1,5})\]\(\s*<?([^)\s>]+)>?")


def known_shape(article: Article, url: str) -> tuple[int, int] | None:
    """The real size of a remote cover when the article says it: the body shows the same image with a
    size (``![alt|700x521](cover)``, as the reference article does). None when it does not."""
    if not article.cover_image or "|" not in article.body:
        return None
    for match in _SIZED_IMAGE.finditer(article.body):
        if match.group(3) in (article.cover_image, url) and int(match.group(1)) and int(match.group(2)):
            return int(match.group(1)), int(match.group(2))
    return None
