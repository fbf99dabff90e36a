"""Text repair shared by every stage: mojibake, characters XML forbids, header-safe lines."""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import Article

# XML 1.0 (section 2.2) forbids C0 controls other than tab, LF and CR, lone surrogates and
# U+FFFE/U+FFFF; lxml refuses them with "All strings must be XML compatible".
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_WHITESPACE = re.compile(r"\s+")
# Bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) reorder what follows them:
# "\u202eexe.pdf" shows as "fdp.exe". One-line fields (titles, subjects, names) drop them; the
# marks U+200E and U+200F, which right-to-left text needs, stay.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
# UTF-8 read as cp1252 always shows a lead byte (0xC2-0xF4) followed by a continuation byte
# (0x80-0xBF), each as its cp1252 character. Text without such a pair cannot be that kind of
# mojibake, and ftfy (the costliest step of loading) is skipped for it.
_CONTINUATION = "\x80-\xbf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"
_MOJIBAKE_HINT = re.compile(f"[\xc2-\xf4][{_CONTINUATION}]")


@functools.cache
def _fix(line: bool):  # type: ignore[no-untyped-def]
    """ftfy.fix_text with our settings; ftfy is imported only once some text needs it."""
    import ftfy

    # ftfy's defaults are for display text; these keep what an author wrote on purpose:
    # typographic quotes, full-width CJK punctuation, and (in bodies) HTML entities. One-line
    # fields are plain text: entities pasted from HTML ("Fish &amp; Chips") are decoded there
    # so that they are escaped exactly once on output.
    settings = ftfy.TextFixerConfig(uncurl_quotes=False, fix_character_width=False, unescape_html=line, explain=False)
    return functools.partial(ftfy.fix_text, config=settings)


def repair(text: str) -> str:
    """Undo mojibake (UTF-8 read as cp1252: ``OpenAIâ€™s`` -> ``OpenAI’s``) and drop XML-illegal characters."""
    if not text.isascii() and _MOJIBAKE_HINT.search(text):
        text = _fix(False)(text)
    return xml_safe(text)


def repair_line(text: str) -> str:
    """Like repair, for one-line fields (titles, descriptions): whitespace, CR and LF fold to one space."""
    if text.isascii() and text.isprintable() and "&" not in text and "  " not in text and text.strip(" ") == text:
        return text  # nothing below would change it (the common case: 10,000 titles cost nothing)
    if "&" in text or (not text.isascii() and _MOJIBAKE_HINT.search(text)):
        text = _fix(True)(text)
    return _WHITESPACE.sub(" ", _BIDI_CONTROLS.sub("", xml_safe(text))).strip()


def xml_safe(text: str) -> str:
    """Remove the characters XML 1.0 cannot carry."""
    return _XML_FORBIDDEN.sub("", text)


def one_line(text: str) -> str:
    """Articles built in code are not repaired by the loader: fold line breaks, drop what XML forbids."""
    return " ".join(_BIDI_CONTROLS.sub("", xml_safe(text)).split())


def distinct_lines(names: Iterable[str]) -> list[str]:
    """Names (tags, authors) each on one line, without empty ones and repeats, in their order: the one
    rule every feed format and the feeds page use for an entry's tags and authors."""
    return [name for name in dict.fromkeys(one_line(n) for n in names) if name]


def distinct_terms(names: Iterable[str]) -> list[str]:
    """Tags or categories each once, as distinct_lines gives them, where names that are the same text are
    one term, spelled as first written: NFC or NFD, with or without invisible format characters (a
    zero-width space), as their one feed is (slugify)."""
    first: dict[str, str] = {}
    for name in distinct_lines(names):
        if name.isascii():  # NFC already, and no format character (Cf) is ASCII: most names, 5 an entry
            first.setdefault(name, name)
            continue
        first.setdefault(
            "".join(c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c) != "Cf"), name
        )
    return list(first.values())


def entry_authors(article: Article) -> list[tuple[str, str]]:
    """An entry's authors as (name, web address or ""), by ``distinct_lines``' rule."""
    urls = dict(zip(article.authors, article.author_urls, strict=False))
    found: dict[str, str] = {}
    for name in article.authors:
        line = one_line(name)
        if line and line not in found:
            found[line] = urls.get(name, "")
    return list(found.items())


def entry_terms(article: Article) -> list[str]:
    """An entry's categories in a feed: its tags, then its category."""
    return distinct_terms([*article.tags, *([article.category] if article.category else [])])


def counted(count: int, noun: str) -> str:
    """ "1 article", "1,042 articles": a count with its noun, for messages (nouns that take an s)."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def join_names(names: tuple[str, ...] | list[str]) -> str | None:
    """Names as a person would list them: "A", "A and B", "A, B and C"; None for none."""
    names = [one_line(n) for n in names if n]
    if not names:
        return None
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


# Characters that tell names apart without being word characters: C, C++ and C# are three languages.
_SPELLED = {"+": " plus ", "#": " sharp ", "&": " and ", "@": " at "}
_NOT_WORD = re.compile(r"[^\w]+")
MAX_SLUG_BYTES = 100  # with "tags/" and ".atom.xml" and a temporary file's affixes, well under 255


@functools.lru_cache(maxsize=4096)  # the same few tags, asked for once per article
def slugify(name: str) -> str:
    """A tag or category as a safe file-name part: lower case, word characters and hyphens only.

    No dots or slashes survive, so ``../../etc/passwd`` becomes ``etc-passwd``, never a path.
    Names that are the same text (NFC or NFD, upper or lower case, invisible format characters)
    give one slug; distinct names stay distinct: ``C++`` is ``c-plus-plus`` and ``C#`` ``c-sharp``,
    a symbol is spelled by its Unicode name (``🚀 launch`` is ``rocket-launch``), and a name of
    punctuation only by the names of its characters (``..`` is ``full-stop-full-stop``). A slug
    longer than MAX_SLUG_BYTES is cut and ends in a hash of the whole name.
    """
    key = "".join(c for c in unicodedata.normalize("NFC", name).casefold() if unicodedata.category(c) != "Cf")
    slug = "-".join("".join(_slug_part(c) for c in key).split()).strip("-_")
    if not slug:  # punctuation, spaces or format characters only
        slug = "-".join(_char_name(c) for c in unicodedata.normalize("NFC", name) if not c.isspace()) or "blank"
    if len(slug.encode("utf-8")) > MAX_SLUG_BYTES:
        digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        cut = slug.encode("utf-8")[: MAX_SLUG_BYTES - 11].decode("utf-8", "ignore").rstrip("-_")
        slug = f"{cut}-{digest}"
    return slug


def _slug_part(char: str) -> str:
    if char in _SPELLED:
        return _SPELLED[char]
    kind = unicodedata.category(char)[0]
    if char.isalnum() or char == "_" or kind == "M":  # marks: the vowel signs of Devanagari, say
        return char
    return f" {_char_name(char)} " if kind == "S" else " "


def _char_name(char: str) -> str:
    name = unicodedata.name(char, "") or f"u{ord(char):04x}"
    return _NOT_WORD.sub("-", name.lower()).strip("-")
