# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OBM directory: how OBM lays out an account in LDAP (shared/reference/obm.md) and what
``render`` makes of an account, pure helpers.

Nothing here talks to a server (``connection`` does): the layout and the reading of entries are
plain functions so that unit tests cover them without a directory. DNs are built
with ``ldap3.utils.dn.escape_rdn`` and filter values with ``escape_filter_chars``: nothing is quoted
by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
from ansible_collections.danang.mail.plugins.module_utils.backends.ldap import HAS_LDAP3
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.config import ObmConfig
from ansible_collections.danang.mail.plugins.module_utils.plan import Attributes
from ansible_collections.danang.mail.plugins.module_utils.vietnamese import nfc

if HAS_LDAP3:  # without ldap3 the modules stop before anything here is called
    from ldap3.utils.conv import escape_filter_chars
    from ldap3.utils.dn import escape_rdn


PERSON_CLASSES = ("posixAccount", "shadowAccount", "inetOrgPerson", "obmUser")
# extensibleObject (RFC 4512, core schema): obmMailShare allows no attribute for the holder id.
SHARE_CLASSES = ("obmMailShare", "extensibleObject")
# The holder id (ledger id, R-72 for persons) on every entry this project makes: inetOrgPerson's
# employeeNumber; a mismatch or a missing one is a conflict of the plan, never adopted.
HOLDER_ATTRIBUTE = "employeeNumber"
FIRST_UID = 1001  # OBM: first uidNumber
DEFAULT_GID = 1000  # OBM: the default group's gidNumber
PERMIT, REJECT = "PERMIT", "REJECT"
# the reclaim marker, a third mailAccess value (not PERMIT: no login, no delivery); Postfix
# bounces mail to it with the entry's description (roles/obm_server, check_recipient_access).
RECLAIMED = "RECLAIMED"
BOUNCE_ATTRIBUTE = "description"  # inetOrgPerson (person) allows it; render never manages it
# The state of a Cyrus mailbox as the plan compares it: ready = the mailbox, its default folders and
# the "anyone p" ACL, which apply sends last and only once the rest was answered OK (``steps``).
READY, INCOMPLETE, MISSING = "ready", "incomplete", "missing"

# The LDAP attributes this project manages (compared by the plan), per kind of entry.
PERSON_ATTRIBUTES = (
    "cn",
    "displayName",
    "sn",
    "givenName",
    "mail",
    "mailBox",
    "mailBoxServer",
    "obmDomain",
    "hiddenUser",
    "homeDirectory",
    HOLDER_ATTRIBUTE,
)
SHARE_ATTRIBUTES = ("cn", "description", "mail", "mailBox", "mailBoxServer", "obmDomain", HOLDER_ATTRIBUTE)
MANAGED_LDAP = frozenset(PERSON_ATTRIBUTES + SHARE_ATTRIBUTES)
# Operational attributes of ppolicy / lastbind, asked for by name (never returned by "*").
PASSWORD_FACTS = ("pwdLastSuccess", "pwdChangedTime", "pwdReset", "pwdAccountLockedTime")
READ_ATTRIBUTES = tuple(
    sorted(
        {*PERSON_ATTRIBUTES, *SHARE_ATTRIBUTES, "objectClass", "uid", "mailAccess", "mailAlias", "uidNumber"}
        | {"createTimestamp", *PASSWORD_FACTS}
    )
)
ENTRY_FILTER = "(|(objectClass=obmUser)(objectClass=obmMailShare))"
# Every entry of the domain that answers to an address: users, mailshares, groups, contacts, any class.
ADDRESS_ATTRIBUTES = ("mail", "mailAlias", "mailBox")
ADDRESS_FILTER = "(|(mail=*)(mailAlias=*)(mailBox=*))"


def domain_dn(domain: str, base_dn: str) -> str:
    """``dc=<domain>,<base>``: OBM keeps the dots of the mail domain in one RDN value."""
    return f"dc={escape_rdn(domain)},{base_dn}"


def users_dn(domain: str, base_dn: str) -> str:
    """``ou=users`` of the domain: the persons' entries."""
    return f"ou=users,{domain_dn(domain, base_dn)}"


def person_dn(local_part: str, domain: str, base_dn: str) -> str:
    return f"uid={escape_rdn(local_part)},{users_dn(domain, base_dn)}"


def share_dn(local_part: str, domain: str, base_dn: str) -> str:
    return f"cn={escape_rdn(local_part)},ou=mailShare,{domain_dn(domain, base_dn)}"


def mail_filter(address: str) -> str:
    """An entry holding ``address`` as its main address, an alias or a mailbox (one per need)."""
    value = escape_filter_chars(address)
    return f"(|(mail={value})(mailAlias={value})(mailBox={value})(mailBox=+{value}))"


@dataclass(frozen=True)
class Entry:
    """One directory entry as read: DN, lower-cased attribute names, values decoded as UTF-8."""

    dn: str
    values: dict[str, tuple[str, ...]]

    def all(self, name: str) -> tuple[str, ...]:
        return self.values.get(name.lower(), ())

    def first(self, name: str) -> Optional[str]:
        found = self.all(name)
        return found[0] if found else None

    def comparable(self, name: str) -> Any:
        """The value the plan compares: None (absent), the string (one value), a sorted tuple (more)."""
        found = self.all(name)
        if not found:
            return None
        return found[0] if len(found) == 1 else tuple(sorted(found))

    @property
    def classes(self) -> frozenset[str]:
        return frozenset(c.lower() for c in self.all("objectClass"))

    @property
    def is_share(self) -> bool:
        return "obmmailshare" in self.classes

    @property
    def address(self) -> Optional[str]:
        mail = self.first("mail")
        return mail.lower() if mail else None

    @property
    def enabled(self) -> bool:
        return (self.first("mailAccess") or "").upper() == PERMIT

    @property
    def reclaimed(self) -> bool:
        return (self.first("mailAccess") or "").upper() == RECLAIMED

    def addresses(self) -> set[str]:
        """Every address this entry answers to (main, aliases, mailbox), lower case."""
        found = {v.lower() for v in self.all("mail") + self.all("mailAlias")}
        found |= {v.lower().lstrip("+") for v in self.all("mailBox")}
        return found


def entry_from_response(item: dict[str, Any]) -> Entry:
    values: dict[str, tuple[str, ...]] = {}
    for name, raw in (item.get("raw_attributes") or {}).items():
        values[name.lower()] = tuple(v.decode("utf-8", "replace") for v in raw)
    return Entry(item.get("dn", ""), values)


def render(account: Account, config: ObmConfig) -> Attributes:
    """The managed LDAP attributes of ``account`` plus the Cyrus facts the plan compares:
    ``quota_mb`` (R-30; Cyrus counts KB, MB x 1024), ``cyrus_mailbox`` (``READY``) and, for a share,
    ``access`` (the addresses with every right on it, ``acl.observed_access``)."""
    name = nfc(account.display_name)
    common = {
        "mail": account.address,
        "mailBoxServer": config.mailbox_server_value,
        "obmDomain": account.domain,
        HOLDER_ATTRIBUTE: account.holder_id,  # whose account it is, checked by the plan
    }
    if account.shared:
        ldap_part = {
            "cn": account.local_part,
            "description": name,
            **common,
            # OBM: a mailshare's mailBox is "+<name>@<domain>" (Cyrus LMTP delivers "+name" to
            # the shared folder "<name>@<domain>", which needs the "anyone p" ACL).
            "mailBox": f"+{account.local_part}@{account.domain}",
        }
    else:
        ldap_part = {
            "cn": name,
            "displayName": name,
            "sn": nfc(account.last_name) if account.last_name else name,
            "givenName": nfc(account.first_name) if account.first_name else None,
            **common,
            "mailBox": f"{account.local_part}@{account.domain}",
            "hiddenUser": "FALSE",
            "homeDirectory": f"{config.home_base.rstrip('/')}/{account.local_part}",
        }
    cyrus = {"quota_mb": account.quota_mb, "cyrus_mailbox": READY}
    if account.shared:  # who may open the share, its Cyrus ACL (``acl``)
        cyrus["access"] = tuple(account.access)
    return {**ldap_part, **cyrus}
