# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How an -Identity value becomes an LDAP query on the AD stand-in (pure: no connection).

The forms Set-Mailbox's page lists for -Identity (MicrosoftDocs/office-docs-powershell,
exchange/exchange-ps/ExchangePowerShell/Set-Mailbox.md): Name, Alias, distinguished name,
canonical DN, Domain\\Username, email address, GUID, LegacyExchangeDN, SamAccountName, UPN.
Each lookup is one query on the directory itself, never an index kept beside it, so what was
changed or deleted over LDAP behind the lab's back is what the next cmdlet sees. A plain string
is one query over Name, Alias and SamAccountName together: two entries matching it by different
properties are ambiguous, as for Exchange.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from ldap3.utils.conv import escape_bytes, escape_filter_chars
from ldap3.utils.dn import parse_dn

USERS = "(objectClass=user)"
# Recipients a mail can be sent to (Get-Recipient, -ForwardingAddress): users and mail contacts.
RECIPIENTS = "(|(objectClass=user)(objectClass=contact))"

# Each identity key: the attribute its equality filter tests and the value's prefix there.
KEYS = {
    "name": ("cn", ""),
    "alias": ("mailNickname", ""),
    "sam": ("sAMAccountName", ""),
    "upn": ("userPrincipalName", ""),
    "addr": ("proxyAddresses", "smtp:"),  # caseIgnoreMatch: SMTP: and smtp: alike
    "x500": ("proxyAddresses", "x500:"),
    "legacy": ("legacyExchangeDN", ""),
    "guid": ("objectGUID", ""),
    "xguid": ("msExchMailboxGuid", ""),
}
PLAIN = ("name", "alias", "sam")


def key_filter(kind: str, value: str) -> str:
    """The equality filter for one key; GUIDs as their 16 little-endian bytes."""
    attribute, prefix = KEYS[kind]
    if kind in ("guid", "xguid"):
        return f"({attribute}={escape_bytes(uuid.UUID(value).bytes_le)})"
    return f"({attribute}={escape_filter_chars(prefix + value)})"


def any_of(kinds: tuple[str, ...], value: str, classes: str = USERS) -> str:
    return f"(&{classes}(|{''.join(key_filter(kind, value) for kind in kinds)}))"


@dataclass(frozen=True)
class Lookup:
    """One -Identity as queries: ``dn`` (read that entry) or ``filters`` tried in turn under the
    domain, the first that finds anything wins; ``canonical``: keep the entries whose container
    path is this (the filter finds the name)."""

    dn: str | None = None
    filters: tuple[str, ...] = ()
    canonical: tuple[str, ...] | None = None


def lookup(identity: str, domain: str, netbios: str, classes: str = USERS) -> Lookup:
    """``classes``: the objects looked for (USERS, or RECIPIENTS with the mail contacts)."""
    identity = identity.strip()
    try:
        return Lookup(filters=(any_of(("guid", "xguid"), str(uuid.UUID(identity)), classes),))
    except ValueError:
        pass
    if identity[:3].lower() == "/o=":
        return Lookup(filters=(any_of(("legacy", "x500"), identity, classes),))
    if "/" in identity:
        path = tuple(p.lower() for p in identity.split("/"))
        return Lookup(filters=(any_of(("name",), identity.rsplit("/", 1)[1], classes),), canonical=path)
    if "=" in identity and "," in identity:
        return Lookup(dn=identity)
    if "\\" in identity:
        given, _, sam = identity.partition("\\")
        known = given.upper() in (netbios.upper(), domain.upper())
        return Lookup(filters=(any_of(("sam",), sam, classes),) if known else ())
    plain = any_of(PLAIN, identity, classes)
    if "@" in identity:  # an address or UPN first; a name may hold '@' too
        return Lookup(filters=(any_of(("upn", "addr"), identity, classes), plain))
    return Lookup(filters=(plain,))


def canonical_path(dn: str) -> tuple[str, ...]:
    """The canonical name's parts of a DN, lower-case: (domain, containers…, name)."""
    parts = [(kind.upper(), re.sub(r"\\(.)", r"\1", value).lower()) for kind, value, _ in parse_dn(dn)]
    domain = ".".join(value for kind, value in parts if kind == "DC")
    return (domain, *(value for kind, value in reversed(parts) if kind != "DC"))
