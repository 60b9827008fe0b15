# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Active Directory over LDAP (ldap3) for the Exchange backend: the accounts behind the mailboxes.

- ONE paged search of the managed OU reads every user with the attributes the backend and the
  password policy need (``READ_ATTRIBUTES``); times are converted from FILETIME / GeneralizedTime.
- Disable / enable flips ``ACCOUNTDISABLE`` (0x2) in ``userAccountControl``: the account cannot
  log on, the mailbox and its mail stay (R-23; reversible). AD has no administrator "lock".
- ``sAMAccountName`` (pre-Windows 2000 logon name, at most 20 characters, unique in the domain) is
  derived from the address, see :func:`sam_account_name`.
- The time an initial password was issued (R-41) is lost by AD once ``pwdLastSet`` is 0, so the
  backend records it itself in the mailbox's ``CustomAttribute1`` (AD ``extensionAttribute1``),
  as ``danang.mail initial-password-issued 2026-03-02T02:15:02Z`` (UTC), see :func:`issue_record`.
- The password policy's lock (R-41) is a disable marked as such in ``extensionAttribute2``
  (Exchange ``CustomAttribute2``), written in the same modify: ``danang.mail password-policy-lock
  <UTC>``. A marked, disabled account counts as enabled for the desired state (the mailbox plan does
  not re-enable it; only a reset unlocks it, ``passwords.py``); an enable or disable made
  for the desired state removes the mark (the flag is the desired state's again).
- A reclaimed mailbox (R-23, ``reclaim.py``) is a disable marked ``danang.mail reclaimed <UTC>`` in
  the same attribute: one mark says why an account is disabled; enabling it for the desired state
  (a new request) removes the mark with the flag.

Filter values and DNs are escaped by ldap3 (``escape_filter_chars``), never quoted by hand.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.backends.ldap import (
    HAS_LDAP3,
    LDAPException,
    LdapSession,
    LdapTarget,
    refusal,
)
from ansible_collections.danang.mail.plugins.module_utils.times import UTC, generalized_time, iso

if HAS_LDAP3:  # Directory refuses to start without it
    import ldap3
    from ldap3.utils.conv import escape_filter_chars


ACCOUNTDISABLE = 0x2
NO_SUCH_OBJECT = 32  # LDAP result code
NORMAL_ACCOUNT = 0x200
SAM_MAX = 20
# sAMAccountName may not hold these (besides control characters); local parts only hold . _ - but
# the rule is applied defensively.
_SAM_FORBIDDEN = frozenset('"/\\[]:;|=,+*?<>@ ')
ISSUE_ATTRIBUTE = "CustomAttribute1"  # Exchange's name; AD stores it as extensionAttribute1
ISSUE_AD_ATTRIBUTE = "extensionAttribute1"
ISSUE_PREFIX = "danang.mail initial-password-issued "
POLICY_LOCK_AD_ATTRIBUTE = "extensionAttribute2"  # Exchange CustomAttribute2
# The holder id (ledger id) on every mailbox this project makes; the plan never adopts a mailbox
# whose stored holder is missing or different (the ownership check of ``plan.ownership``).
HOLDER_ATTRIBUTE = "CustomAttribute3"  # AD extensionAttribute3
POLICY_LOCK_PREFIX = "danang.mail password-policy-lock "
RECLAIM_PREFIX = "danang.mail reclaimed "  # the reclaim marker, in POLICY_LOCK_AD_ATTRIBUTE
# lastLogonTimestamp is written only when older than msDS-LogonTimeSyncInterval (14 days) minus a
# random part: it may be up to 14 days behind the last logon (MS-ADA1 2.352).
AD_LOGON_LAG = datetime.timedelta(days=14)
USER_MAILBOX = 1  # msExchRecipientTypeDetails of a person's mailbox (4: shared)
USER_FILTER = "(&(objectClass=user)(!(objectClass=computer)))"
ADDRESS_FILTER = "(|(proxyAddresses=*)(mail=*))"
READ_ATTRIBUTES = (
    "sAMAccountName",
    "userPrincipalName",
    "userAccountControl",
    "pwdLastSet",
    "lastLogonTimestamp",
    "whenCreated",
    "givenName",
    "sn",
    "displayName",
    "mail",
    "proxyAddresses",
    ISSUE_AD_ATTRIBUTE,
    POLICY_LOCK_AD_ATTRIBUTE,
    "msExchRecipientTypeDetails",
)
_EPOCH_1601 = datetime.datetime(1601, 1, 1, tzinfo=datetime.UTC)
_NEVER = 0x7FFFFFFFFFFFFFFF


# --- times -----------------------------------------------------------------------------------------
def filetime_to_datetime(value: Any) -> Optional[datetime.datetime]:
    """A FILETIME (100 ns ticks since 1601-01-01 UTC) as an aware datetime; 0 / never → None."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):  # ldap3 with the AD schema converts it already
        return None if value <= _EPOCH_1601 else value.astimezone(datetime.UTC)
    ticks = int(value)
    if ticks <= 0 or ticks >= _NEVER:
        return None
    return _EPOCH_1601 + datetime.timedelta(microseconds=ticks // 10)


def datetime_to_filetime(moment: datetime.datetime) -> int:
    delta = moment.astimezone(datetime.UTC) - _EPOCH_1601
    return (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


def issue_record(moment: datetime.datetime) -> str:
    """The value recording when an initial password was issued (R-41)."""
    return ISSUE_PREFIX + iso(moment, UTC)  # type: ignore[operator]


def parse_issue_record(value: Optional[str]) -> Optional[datetime.datetime]:
    if not value or not value.startswith(ISSUE_PREFIX):
        return None
    try:
        moment = datetime.datetime.strptime(value[len(ISSUE_PREFIX) :], "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return None
    return moment.replace(tzinfo=datetime.UTC)


# --- sAMAccountName ---------------------------------------------------------------------------------
def sam_account_name(address: str, attempt: int = 0) -> str:
    """The sAMAccountName of the account at ``address`` (≤ 20 ASCII characters).

    Rule: the local part (already ASCII, R-12) when it has at most 20 characters and ``attempt`` is
    0; otherwise its first 15 characters, ``-`` and 4 characters of base32(SHA-1(address, attempt))
    (lower case). The hash keeps long names apart; ``attempt`` 1, 2, … is used when the name is
    taken in the domain (a built-in account, another OU). Deterministic: a re-run picks the same.
    """
    local = "".join(c for c in address.partition("@")[0].lower() if c.isascii() and c not in _SAM_FORBIDDEN)
    local = local.strip(".")  # AD refuses a trailing dot
    if attempt == 0 and 0 < len(local) <= SAM_MAX:
        return local
    digest = hashlib.sha1(f"{address.lower()}#{attempt}".encode()).digest()
    suffix = base64.b32encode(digest).decode("ascii")[:4].lower()
    return f"{local[: SAM_MAX - 5].rstrip('.')}-{suffix}"


def choose_sam_names(addresses: Iterable[str], taken: Iterable[str]) -> dict[str, str]:
    """A free sAMAccountName for each address, none in ``taken`` (case-insensitive) or given twice."""
    used = {name.lower() for name in taken}
    chosen: dict[str, str] = {}
    for address in sorted(addresses):
        attempt = 0
        while (name := sam_account_name(address, attempt)) in used:
            attempt += 1
        used.add(name)
        chosen[address] = name
    return chosen


# --- entries -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ADUser:
    dn: str
    sam_account_name: Optional[str]
    user_principal_name: Optional[str]
    user_account_control: int
    pwd_last_set: Optional[int]  # raw FILETIME: 0 means "must change at next logon"
    last_logon: Optional[datetime.datetime]
    created: Optional[datetime.datetime]
    given_name: Optional[str]
    surname: Optional[str]
    mail: Optional[str]
    issue_record: Optional[str]
    policy_lock: Optional[str] = None  # the password policy's mark, see the module docstring
    recipient_type: Optional[int] = None  # msExchRecipientTypeDetails

    @property
    def enabled(self) -> bool:
        return not self.user_account_control & ACCOUNTDISABLE

    @property
    def policy_locked(self) -> bool:
        """Disabled by the password policy (R-41): only a reset lifts it."""
        return not self.enabled and bool(self.policy_lock and self.policy_lock.startswith(POLICY_LOCK_PREFIX))

    @property
    def reclaimed(self) -> bool:
        """Carries the reclaim marker (R-23)."""
        return bool(self.policy_lock and self.policy_lock.startswith(RECLAIM_PREFIX))

    @property
    def must_change_password(self) -> bool:
        return self.pwd_last_set == 0

    @property
    def password_changed(self) -> Optional[datetime.datetime]:
        return filetime_to_datetime(self.pwd_last_set)

    @property
    def password_issued(self) -> Optional[datetime.datetime]:
        return parse_issue_record(self.issue_record)


def _first(attributes: Mapping[str, Any], name: str) -> Any:
    for key, value in attributes.items():
        if key.lower() == name.lower():
            if isinstance(value, list):
                return value[0] if value else None
            return value
    return None


def attribute_text(attributes: Mapping[str, Any], name: str) -> Optional[str]:
    """The first value of attribute ``name`` (any case) as text, or None."""
    value = _first(attributes, name)
    return None if value is None else str(value)


def user_from_entry(dn: str, attributes: Mapping[str, Any]) -> ADUser:
    def text(name: str) -> Optional[str]:
        return attribute_text(attributes, name)

    uac = _first(attributes, "userAccountControl")
    recipient_type = _first(attributes, "msExchRecipientTypeDetails")
    pwd = _first(attributes, "pwdLastSet")
    if isinstance(pwd, datetime.datetime):
        pwd = 0 if pwd <= _EPOCH_1601 else datetime_to_filetime(pwd)
    return ADUser(
        dn=dn,
        sam_account_name=text("sAMAccountName"),
        user_principal_name=text("userPrincipalName"),
        user_account_control=int(uac) if uac not in (None, "") else NORMAL_ACCOUNT,
        pwd_last_set=int(pwd) if pwd not in (None, "") else None,
        last_logon=filetime_to_datetime(_first(attributes, "lastLogonTimestamp")),
        created=generalized_time(_first(attributes, "whenCreated")),
        given_name=text("givenName"),
        surname=text("sn"),
        mail=text("mail"),
        issue_record=text(ISSUE_AD_ATTRIBUTE),
        policy_lock=text(POLICY_LOCK_AD_ATTRIBUTE),
        recipient_type=int(recipient_type) if recipient_type not in (None, "") else None,
    )


# --- the connection -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ADConnection:
    """How to reach AD (the doc fragment danang.mail.exchange, ``ad_*`` options)."""

    uri: str
    bind_user: str  # a UPN (administrator@danang.gov.vn) or a DN
    password: str
    base_dn: str
    managed_ou: str
    starttls: bool = False
    validate_certs: bool = True
    ca_file: Optional[str] = None
    timeout: int = 30
    page_size: int = 1000

    def __repr__(self) -> str:  # never the password
        return f"ADConnection({self.uri!r}, {self.bind_user!r}, managed_ou={self.managed_ou!r})"


class ADError(Exception):
    """AD cannot be used; the message holds no secret."""


class Directory:
    """AD's accounts over one lazy LDAP session (``ldap.LdapSession``), opened on first use."""

    def __init__(self, connection: ADConnection) -> None:
        self.connection = connection
        c = connection
        target = LdapTarget(
            c.uri,
            c.bind_user,
            c.password,
            starttls=c.starttls,
            validate_certs=c.validate_certs,
            ca_file=c.ca_file,
            timeout=c.timeout,
            label="AD",
        )
        self.session = LdapSession(target, ADError, "the Exchange backend (AD)")

    def conn(self) -> Any:
        return self.session.conn()

    def _search(
        self, base: str, search_filter: str, attributes: Iterable[str]
    ) -> list[tuple[str, dict[str, Any]]]:
        found = self.session.search(base, search_filter, attributes, self.connection.page_size)
        return [(item["dn"], dict(item.get("attributes") or {})) for item in found]

    def users(self) -> dict[str, ADUser]:
        """Every user of the managed OU, keyed by lower-cased DN: one paged search."""
        found = self._search(self.connection.managed_ou, USER_FILTER, READ_ATTRIBUTES)
        return {dn.lower(): user_from_entry(dn, attributes) for dn, attributes in found}

    def user_by_address(
        self, address: str, extra: Iterable[str] = ()
    ) -> Optional[tuple[ADUser, dict[str, Any]]]:
        """The one user of the managed OU whose ``mail`` or ``userPrincipalName`` is ``address``
        (the value escaped), with its attributes (``READ_ATTRIBUTES`` and ``extra``); None when no
        user has it; ``ADError`` when more than one has."""
        value = escape_filter_chars(address)
        search_filter = f"(&{USER_FILTER}(|(mail={value})(userPrincipalName={value})))"
        found = self._search(self.connection.managed_ou, search_filter, (*READ_ATTRIBUTES, *extra))
        if len(found) > 1:
            raise ADError(f"AD {self.connection.uri}: {len(found)} users have the address {address}")
        if not found:
            return None
        dn, attributes = found[0]
        return user_from_entry(dn, attributes), attributes

    def taken_sam_names(self, names: Iterable[str]) -> set[str]:
        """Which of ``names`` are used anywhere in the domain: one search (values escaped)."""
        wanted = sorted({n.lower() for n in names})
        if not wanted:
            return set()
        parts = "".join(f"(sAMAccountName={escape_filter_chars(n)})" for n in wanted)
        found = self._search(self.connection.base_dn, f"(|{parts})", ("sAMAccountName",))
        return {
            str(_first(attrs, "sAMAccountName")).lower()
            for _dn, attrs in found
            if _first(attrs, "sAMAccountName")
        }

    def addresses_in_use(self) -> set[str]:
        """Every SMTP address of any object in the domain (mailboxes, shared mailboxes, groups,
        contacts, mail users; managed or not), lower case: one paged search of ``base_dn``."""
        found: set[str] = set()
        for _dn, attrs in self._search(self.connection.base_dn, ADDRESS_FILTER, ("mail", "proxyAddresses")):
            values = {key.lower(): value for key, value in attrs.items()}
            proxies = values.get("proxyaddresses") or []
            mail = values.get("mail") or []
            for value in [*(proxies if isinstance(proxies, list) else [proxies])]:
                if str(value).lower().startswith("smtp:"):
                    found.add(str(value)[5:].lower())
            for value in mail if isinstance(mail, list) else [mail]:
                if value:
                    found.add(str(value).lower())
        return found

    def entry(self, dn: str, attributes: Iterable[str]) -> Optional[dict[str, Any]]:
        """One entry's attributes (ranged values such as a large ``member`` read whole by ldap3's
        ``auto_range``), or None when it does not exist."""
        conn = self.conn()
        try:
            conn.search(dn, "(objectClass=*)", search_scope=ldap3.BASE, attributes=list(attributes))
        except LDAPException as exc:
            self.session.drop()
            raise ADError(f"AD {self.connection.uri}: read of {dn} failed: {exc}") from None
        result = conn.result or {}
        if result.get("result") == NO_SUCH_OBJECT:
            return None
        if result.get("result", 0) != 0:
            raise ADError(f"AD {self.connection.uri}: read of {dn} failed: {result.get('description')}")
        found = [item for item in conn.response or [] if item.get("type") == "searchResEntry"]
        return dict(found[0].get("attributes") or {}) if found else None

    def dns(self, base: str, search_filter: str) -> list[str]:
        """The DNs below ``base`` matching ``search_filter``: one paged search."""
        return [dn for dn, _attributes in self._search(base, search_filter, ("1.1",))]

    def write(self, operation: str, dn: str, changes: Mapping[str, Any]) -> Optional[str]:
        """``add`` an entry (``changes`` are its attributes) or ``modify`` one (``changes`` as ldap3
        takes them); the error text, or None when done."""
        try:
            conn = self.conn()
            done = (
                conn.add(dn, attributes=dict(changes))
                if operation == "add"
                else conn.modify(dn, dict(changes))
            )
            if done:
                return None
            return f"AD {operation} of {dn} refused: {refusal(conn)}"
        except (LDAPException, ADError) as exc:
            self.session.drop()
            return f"AD {operation} of {dn} failed: {exc}"

    def set_enabled(self, user: ADUser, enabled: bool) -> Optional[str]:
        """Clear or set ACCOUNTDISABLE on ``user`` for the desired state, removing any policy lock
        mark in the same modify; the error text, or None when done."""
        uac = (
            user.user_account_control & ~ACCOUNTDISABLE
            if enabled
            else user.user_account_control | ACCOUNTDISABLE
        )
        changes = {"userAccountControl": [(ldap3.MODIFY_REPLACE, [str(uac)])]}
        if user.policy_lock is not None:
            changes[POLICY_LOCK_AD_ATTRIBUTE] = [(ldap3.MODIFY_REPLACE, [])]
        return self.write("modify", user.dn, changes)

    def close(self) -> None:
        self.session.close()
