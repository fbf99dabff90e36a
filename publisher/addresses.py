"""Strict e-mail address parsing: a value is exactly an RFC 5322 address list, or it is an error.

``email.utils.parseaddr`` keeps the first address of "a@example.net, b@example.com" and drops
"junk" after an address without a word; a header built from such a value is not what the user
wrote. Here the standard library's RFC 5322 header parser reads the value, and any defect it
reports, any CR or LF, or a part that is not name@domain is a ConfigError naming the setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from email import policy

from .errors import ConfigError


@dataclass(frozen=True)
class Mailbox:
    name: str
    address: str

    def __str__(self) -> str:
        from email.headerregistry import Address

        return str(Address(display_name=self.name, addr_spec=self.address))


def one_line(text: str) -> str:
    """``text`` as one header-safe line: each run of white space, line breaks and control characters
    becomes one space. For a display name that came from outside (a signup form, a CSV cell): a name
    with a line break is nobody's name, and it must not stop a message to the address it belongs to."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def no_line_breaks(value: str, what: str) -> str:
    """``value`` unchanged; a ConfigError if it holds a character that could end a header line."""
    if any(c in value for c in "\r\n\x00\x0b\x0c\x85\u2028\u2029"):
        raise ConfigError(f"{what}: {value!r} holds a line break; a header value is one line")
    return value


def address_list(value: str, what: str) -> list[Mailbox]:
    """Every mailbox of an RFC 5322 address list ("a@x.org, B <b@y.org>", groups included; an empty
    group such as "undisclosed-recipients:;" gives none). Anything else is a ConfigError."""
    no_line_breaks(value, what)
    if not value.strip():
        raise ConfigError(f"{what}: empty (expected an address such as name@example.org)")
    try:
        header = policy.default.header_factory("To", value)
        groups = header.groups
    except Exception:  # noqa: BLE001 - the parser raises IndexError and others on some malformed input
        raise ConfigError(
            f"{what}: {value!r} is not an address list (expected name@example.org, or several separated by commas)"
        ) from None
    # An obsolete form (a route, a list with empty members) is read but is not what anyone means to write.
    if header.defects:
        raise ConfigError(
            f"{what}: {value!r} is not an address list: {header.defects[0]} (expected "
            'name@example.org or "Name" <name@example.org>; quote a name holding a comma)'
        )
    mailboxes = [Mailbox(a.display_name, a.addr_spec) for g in groups for a in g.addresses]
    for box in mailboxes:
        if not plausible(box.address):
            raise ConfigError(
                f"{what}: {box.address!r} in {value!r} is not an e-mail address (expected name@example.org)"
            )
    return mailboxes


def mailbox(value: str, what: str) -> Mailbox:
    """Exactly one mailbox ("a@x.org" or "Name <a@x.org>"); a second one, or none, is a ConfigError."""
    boxes = address_list(value, what)
    if len(boxes) != 1:
        hint = ' (a name holding a comma needs quotes: "Evil, Inc." <n@example.org>)' if len(boxes) > 1 else ""
        raise ConfigError(f"{what}: {value!r} holds {len(boxes)} mailboxes; expected exactly one{hint}")
    return boxes[0]


def addresses(values: str | list[str] | tuple[str, ...], what: str) -> list[str]:
    """The bare addresses of one value or several (each an address list), in order, without repeats."""
    values = [values] if isinstance(values, str) else list(values)
    return list(dict.fromkeys(box.address for v in values for box in address_list(v, what)))


def plausible(address: str) -> bool:
    """name@domain with nothing in it that could not be sent in an SMTP envelope."""
    local, at, domain = address.rpartition("@")
    return bool(at and local and domain) and not any(c.isspace() or c in '<>,;"()[]\\' for c in domain)
