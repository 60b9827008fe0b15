# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OBM backend's bulk read: ONE paged LDAP search and ONE Cyrus pass, turned into what the plan
compares (``Observed``) and what ``mailbox_info`` reports (``AccountFacts``). No writes here.

Cyrus: ``LIST "" "user/*@<domain>"`` and ``LIST "" "%@<domain>"`` (every mailbox and folder),
then one GETQUOTA and one GETACL per top mailbox, pipelined (``cyrus``). A mailbox is
``ready`` when the read sees it, its default folders, and ``anyone p`` in its ACL. The ACL is OBM's
last step and apply sends it only in a second wave, once every earlier step of that mailbox was
answered OK: so ``anyone p`` also proves the steps before it, and a mailbox left half-made by a
failure is ``incomplete`` and finished by the next run. The quota is compared on its own
(``quota_mb``), read from Cyrus for every mailbox.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.backends.contract import AccountFacts, BackendError
from ansible_collections.danang.mail.plugins.module_utils.backends.ldap import LdapSession
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.acl import observed_access
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.config import ObmConfig
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.connection import search_domain
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.cyrus import (
    CyrusAdmin,
    CyrusError,
    parse_acl,
    parse_quota,
    quote,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.layout import (
    ADDRESS_ATTRIBUTES,
    ADDRESS_FILTER,
    ENTRY_FILTER,
    FIRST_UID,
    HOLDER_ATTRIBUTE,
    INCOMPLETE,
    MANAGED_LDAP,
    MISSING,
    READ_ATTRIBUTES,
    READY,
    Entry,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.steps import mailbox_name
from ansible_collections.danang.mail.plugins.module_utils.plan import Observed
from ansible_collections.danang.mail.plugins.module_utils.times import UTC, generalized_time, iso

Quota = Optional[tuple[int, int]]  # (used KB, limit KB) of a quota root, None without one


@dataclass
class Seen:
    """What the last read saw, kept current by apply (adds, deletes, uidNumbers)."""

    entries: dict[str, Entry] = field(default_factory=dict)  # main address -> entry
    in_use: dict[str, str] = field(default_factory=dict)  # every address any entry answers to -> DN
    next_uid: int = FIRST_UID
    facts: dict[str, AccountFacts] = field(default_factory=dict)
    done: bool = False


def _mb(kb: Optional[int]) -> Optional[float]:
    if kb is None:
        return None
    return kb // 1024 if kb % 1024 == 0 else round(kb / 1024, 3)


def search_entries(directory: LdapSession, config: ObmConfig) -> list[Entry]:
    """Every OBM entry (users and mailShare) under ``dc=<domain>,<base>``: one paged search."""
    return search_domain(directory, config, ENTRY_FILTER, READ_ATTRIBUTES)


def addresses_in_use(directory: LdapSession, config: ObmConfig) -> set[str]:
    """Every address any entry under ``dc=<domain>,<base>`` answers to, whatever its class or
    whoever made it (main, aliases, mailbox): one paged search, for allocation."""
    found: set[str] = set()
    for entry in search_domain(directory, config, ADDRESS_FILTER, ADDRESS_ATTRIBUTES):
        found |= entry.addresses()
    return found


@dataclass
class CyrusFacts:
    """One Cyrus pass: every mailbox and folder name, and the quota and ACL of each top mailbox."""

    names: set[str]
    quotas: dict[str, Quota]
    acls: dict[str, dict[str, str]]


def read_cyrus(cyrus: CyrusAdmin, domain: str) -> CyrusFacts:
    """Needs nothing from LDAP, so it runs beside the LDAP search. Tops: a person's
    ``user/<login>@<domain>``, a shared ``<name>@<domain>``."""
    try:
        if not cyrus.connected:
            cyrus.connect()
        # Not "*@<domain>": that also lists every deleted mailbox Cyrus keeps (delete_mode: delayed).
        names = cyrus.list_mailboxes(f"user/*@{domain}", f"%@{domain}")
        tops = sorted(n for n in names if n.count("/") == (1 if n.startswith("user/") else 0))
        replies = cyrus.pipeline([f"{verb} {quote(n)}" for n in tops for verb in ("GETQUOTA", "GETACL")])
    except CyrusError as exc:
        raise BackendError(str(exc)) from None
    quotas = {n: parse_quota(r) for n, r in zip(tops, replies[0::2], strict=True)}
    acls = {n: parse_acl(r) for n, r in zip(tops, replies[1::2], strict=True)}
    return CyrusFacts(names, quotas, acls)


def mailbox_state(address: str, entry: Entry, cyrus: CyrusFacts, folders: tuple[str, ...]) -> str:
    name = mailbox_name(address, entry.is_share)
    if name not in cyrus.names:
        return MISSING
    if "p" not in cyrus.acls.get(name, {}).get("anyone", ""):
        return INCOMPLETE
    local, _at, domain = address.partition("@")
    wanted = () if entry.is_share else folders
    return READY if all(f"user/{local}/{f}@{domain}" in cyrus.names for f in wanted) else INCOMPLETE


def observe(
    entries: dict[str, Entry], cyrus: CyrusFacts, config: ObmConfig
) -> tuple[dict[str, Observed], dict[str, AccountFacts]]:
    """What the plan compares, and the facts ``mailbox_info`` reports, per main address."""
    observed: dict[str, Observed] = {}
    facts: dict[str, AccountFacts] = {}
    for address, entry in entries.items():
        name = mailbox_name(address, entry.is_share)
        quota = cyrus.quotas.get(name)
        attributes: dict[str, Any] = {key: entry.comparable(key) for key in MANAGED_LDAP}
        attributes["quota_mb"] = _mb(quota[1]) if quota else None
        attributes["cyrus_mailbox"] = mailbox_state(address, entry, cyrus, config.default_folders)
        if entry.is_share:
            attributes["access"] = observed_access(cyrus.acls.get(name, {}), config.imap_admin)
        observed[address] = Observed(
            address,
            entry.enabled,
            attributes,
            holder=entry.first(HOLDER_ATTRIBUTE),
            created=generalized_time(entry.first("createTimestamp")),
        )
        uid_number = entry.first("uidNumber")
        last_login = iso(generalized_time(entry.first("pwdLastSuccess")), UTC)
        changed = iso(generalized_time(entry.first("pwdChangedTime")), UTC)
        # Measured on slapd 2.5: a bind while pwdReset is TRUE stamps pwdLastSuccess, but the user's
        # password change removes it; the change is an access too.
        times = [t for t in (last_login, changed) if t]
        facts[address] = AccountFacts(
            address=address,
            dn=entry.dn,
            shared=entry.is_share,
            enabled=entry.enabled,
            mailbox=name in cyrus.names,
            quota_mb=attributes["quota_mb"],
            used_mb=round(quota[0] / 1024, 3) if quota else None,
            last_login=last_login,
            last_access=max(times) if times else None,
            password_changed=changed,
            must_change_password=(entry.first("pwdReset") or "").upper() == "TRUE",
            locked=bool(entry.first("pwdAccountLockedTime")),
            created=iso(generalized_time(entry.first("createTimestamp")), UTC),
            reclaimed=entry.reclaimed,
            own={"uid_number": int(uid_number) if uid_number and uid_number.isdigit() else None}
            | ({"access": list(attributes["access"])} if entry.is_share else {}),
        )
    return observed, facts


def index_entries(entries: list[Entry]) -> tuple[dict[str, Entry], dict[str, str], int]:
    """Entries by main address, the DN behind every address any entry answers to, next uidNumber."""
    by_address: dict[str, Entry] = {}
    in_use: dict[str, str] = {}
    highest = FIRST_UID - 1
    for entry in entries:
        uid_number = entry.first("uidNumber")
        if uid_number and uid_number.isdigit():
            highest = max(highest, int(uid_number))
        for address in entry.addresses():
            in_use.setdefault(address, entry.dn)
        if entry.address:
            by_address[entry.address] = entry
    return by_address, in_use, highest + 1
