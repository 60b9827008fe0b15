# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AD stand-in over ldap3: the single store of users and mailboxes' AD attributes.

The lab binds as the built-in Administrator (the database's rootdn). -Identity resolution and
uniqueness checks query LDAP each time (exchange_lab.identity) and entries are always read fresh,
so what the backend writes or deletes over LDAP (userAccountControl, pwdLastSet, an entry...) is
what the cmdlets see.
"""

from __future__ import annotations

import base64
import hashlib
import os
import random
import re
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from ldap3 import BASE, MODIFY_REPLACE, NONE, SUBTREE, Connection, Server
from ldap3.core.exceptions import LDAPException, LDAPNoSuchObjectResult

from exchange_lab.clock import LabClock, to_filetime
from exchange_lab.computed import TRIGGERS, ComputedAttributes
from exchange_lab.identity import USERS, any_of, canonical_path, lookup

BINARY_ATTRIBUTES = frozenset(
    {"objectguid", "msexchmailboxguid", "ntsecuritydescriptor", "objectsid", "ntpwdhistory"}
)

# userAccountControl bits (MS-ADTS 2.2.16).
UF_ACCOUNTDISABLE = 0x2
UF_NORMAL_ACCOUNT = 0x200
UF_DONT_EXPIRE_PASSWD = 0x10000
# msDS-LogonTimeSyncInterval's default (the domain object has none here) and AD's random skew.
LOGON_SYNC_DAYS = 14
LOGON_SKEW_DAYS = 5
TICKS_PER_DAY = 864_000_000_000


@dataclass(frozen=True)
class MailboxRef:
    dn: str
    alias: str
    primary_smtp_address: str
    exchange_guid: str


def ssha(password: str) -> str:
    salt = os.urandom(8)
    return "{SSHA}" + base64.b64encode(hashlib.sha1(password.encode("utf-8") + salt).digest() + salt).decode()


def guid_from_bytes(value: bytes | None) -> str | None:
    return str(uuid.UUID(bytes_le=value)) if value and len(value) == 16 else None


def logon_timestamp_due(previous: int | None, now: int, skew: float) -> bool:
    """Whether a logon at ``now`` (FILETIME) rewrites lastLogonTimestamp: only when the stored value
    is older than msDS-LogonTimeSyncInterval minus a random part (``skew`` in [0, 1)) of 5 days, so
    AD's value lags real logons by up to 14 days. Source: MS-ADA1 2.352 lastLogonTimestamp,
    https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-ada1/530d7194-20f6-4aaa-8d80-9ca6b6350ad6,
    and the Directory Services team's "The LastLogonTimeStamp Attribute - what it was designed for
    and how it works" (14 - random percentage of 5 days)."""
    if not previous:
        return True
    return now - previous >= (LOGON_SYNC_DAYS - LOGON_SKEW_DAYS * skew) * TICKS_PER_DAY


def ad_dn(dn: str) -> str:
    """slapd spells RDN types as its schema does (cn=, ou=, dc=); AD writes CN=, OU=, DC=."""
    return re.sub(r"(^|,)\s*([A-Za-z]+)=", lambda m: f"{m.group(1)}{m.group(2).upper()}=", dn)


def ldap_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, uuid.UUID):
        return value.bytes_le
    return value


class Directory:
    def __init__(self, uri: str, base_dn: str, domain: str, password: str, clock: LabClock) -> None:
        self.base_dn = base_dn
        self.domain = domain
        self.netbios = domain.split(".")[0].upper()
        self.admin_dn = f"CN=Administrator,CN=Users,{base_dn}"
        self.users_dn = f"CN=Users,{base_dn}"
        self.managed_ou = f"OU=DanangMail,{base_dn}"
        self.clock = clock
        self.store: Any = None  # MailboxStore, set by the server (record_logon stamps it too)
        self._server = Server(uri, get_info=NONE)
        self._conn = Connection(self._server, self.admin_dn, password, auto_bind=True, raise_exceptions=True)
        self.lock = threading.RLock()
        self._auth_cache: dict[tuple[str, str], float] = {}
        self._random = random.Random()
        self.computed = ComputedAttributes(self)
        self.computed.start()

    # -- LDAP primitives ---------------------------------------------------------------------------
    @staticmethod
    def _decode(raw: dict[str, list[bytes]]) -> dict[str, Any]:
        entry: dict[str, Any] = {}
        for name, values in raw.items():
            key = name.lower()
            if key in BINARY_ATTRIBUTES:
                entry[key] = list(values)
            else:
                entry[key] = [v.decode("utf-8", "replace") for v in values]
        return entry

    def read(self, dn: str, attributes: list[str] | None = None) -> dict[str, Any] | None:
        """The entry's attributes (lower-case names, lists; binary ones as bytes) and 'dn'; None when gone."""
        with self.lock:
            try:
                self._conn.search(dn, "(objectClass=*)", BASE, attributes=attributes or ["*"])
            except LDAPNoSuchObjectResult:
                return None
            if not self._conn.response:
                return None
            item = self._conn.response[0]
        entry = self._decode(item["raw_attributes"])
        entry["dn"] = ad_dn(item["dn"])
        return entry

    def search(self, base: str, ldap_filter: str, attributes: list[str]) -> list[dict[str, Any]]:
        with self.lock:
            items = self._conn.extend.standard.paged_search(
                base, ldap_filter, SUBTREE, attributes=attributes, paged_size=1000, generator=False
            )
        result = []
        for item in items:
            if item.get("type") != "searchResEntry":
                continue
            entry = self._decode(item["raw_attributes"])
            entry["dn"] = ad_dn(item["dn"])
            result.append(entry)
        return result

    def add(self, dn: str, attributes: dict[str, Any]) -> None:
        values = {
            k: [ldap_value(x) for x in v] if isinstance(v, list) else ldap_value(v)
            for k, v in attributes.items()
            if v is not None and v != []
        }
        with self.lock:
            self._conn.add(dn, attributes=values)
            self.computed.refresh(dn)

    def modify(self, dn: str, changes: dict[str, Any]) -> None:
        """Replace each attribute (None or [] clears it)."""
        ldap_changes = {}
        for name, value in changes.items():
            if value is None or value == []:
                ldap_changes[name] = [(MODIFY_REPLACE, [])]
            elif isinstance(value, list):
                ldap_changes[name] = [(MODIFY_REPLACE, [ldap_value(v) for v in value])]
            else:
                ldap_changes[name] = [(MODIFY_REPLACE, [ldap_value(value)])]
        with self.lock:
            self._conn.modify(dn, ldap_changes)
            if TRIGGERS & {n.lower() for n in changes}:
                self.computed.refresh(dn)

    def delete(self, dn: str) -> None:
        with self.lock:
            self._conn.delete(dn)

    @staticmethod
    def _first(values: list[Any] | None) -> Any:
        return values[0] if values else None

    # -- identity ------------------------------------------------------------------------------------
    def holders(self, kind: str, value: str) -> set[str]:
        """DNs of the users whose ``kind`` key (identity.KEYS) equals ``value``."""
        return {entry["dn"] for entry in self.search(self.base_dn, any_of((kind,), value), ["1.1"])}

    def resolve(self, identity: str, classes: str = USERS) -> list[str]:
        """DNs an -Identity value names (identity.lookup), asked of LDAP now; ``classes``: users,
        or RECIPIENTS (users and mail contacts)."""
        how = lookup(identity, self.domain, self.netbios, classes)
        if how.dn is not None:
            try:
                entry = self.read(how.dn, ["objectClass"])
            except LDAPException:  # not a DN after all
                entry = None
            kinds = {"user"} if classes == USERS else {"user", "contact"}
            if entry is None or not kinds & {c.lower() for c in entry.get("objectclass", [])}:
                return []
            return [entry["dn"]]
        for ldap_filter in how.filters:
            dns = [e["dn"] for e in self.search(self.base_dn, ldap_filter, ["1.1"])]
            if how.canonical is not None:
                dns = [dn for dn in dns if canonical_path(dn) == how.canonical]
            if dns:
                return sorted(dns)
        return []

    # -- what EWS and the server use -----------------------------------------------------------------
    def authenticate(self, user: str, password: str) -> bool:
        """Basic-auth check as AD does it: a simple bind, refused for disabled or must-change accounts."""
        if not password:
            return False
        cache_key = (user.lower(), hashlib.sha256(password.encode("utf-8")).hexdigest())
        if self._auth_cache.get(cache_key, 0) > time.monotonic():
            return True
        with self.lock:
            dns = [
                d
                for d in self.resolve(user)
                if "@" not in user or d in self.holders("upn", user) | self.holders("addr", user)
            ]
        if len(dns) != 1:
            return False
        entry = self.read(dns[0], ["userAccountControl", "pwdLastSet"])
        if entry is None:
            return False
        uac = int(self._first(entry.get("useraccountcontrol")) or 0)
        if uac & UF_ACCOUNTDISABLE or self._first(entry.get("pwdlastset")) == "0":
            return False
        try:
            Connection(self._server, entry["dn"], password, auto_bind=True, raise_exceptions=True).unbind()
        except LDAPException:
            return False
        self._auth_cache[cache_key] = time.monotonic() + 60
        return True

    def forget_credentials(self) -> None:
        self._auth_cache.clear()

    def resolve_mailbox(self, identity: str) -> MailboxRef | None:
        with self.lock:
            dns = self.resolve(identity)
        if len(dns) != 1:
            return None
        entry = self.read(dns[0], ["mailNickname", "proxyAddresses", "msExchMailboxGuid"])
        guid = guid_from_bytes(self._first(entry.get("msexchmailboxguid"))) if entry else None
        if entry is None or guid is None:
            return None
        primary = next((p[5:] for p in entry.get("proxyaddresses", []) if p.startswith("SMTP:")), "")
        return MailboxRef(entry["dn"], self._first(entry.get("mailnickname")) or "", primary, guid)

    def record_logon(self, dn: str, when: Any = None) -> None:
        """A mailbox logon: the DC's own lastLogon, the replicated lastLogonTimestamp when due (see
        ``logon_timestamp_due``) and the store's LastLogonTime (every logon)."""
        when = when or self.clock.now()
        stamp = to_filetime(when)
        entry = self.read(dn, ["msExchMailboxGuid", "lastLogonTimestamp"])
        previous = self._first(entry.get("lastlogontimestamp")) if entry else None
        changes: dict[str, Any] = {"lastLogon": stamp}
        if logon_timestamp_due(int(previous) if previous else None, stamp, self._random.random()):
            changes["lastLogonTimestamp"] = stamp
        self.modify(dn, changes)
        guid = guid_from_bytes(self._first(entry.get("msexchmailboxguid"))) if entry else None
        if guid and self.store is not None:
            self.store.update(guid, last_logon_time=when.isoformat())

    def rename(self, dn: str, new_rdn: str) -> str:
        """Rename an entry in place (Name changes); returns the new DN."""
        with self.lock:
            self._conn.modify_dn(dn, new_rdn)
        return f"{new_rdn},{dn.split(',', 1)[1]}"
