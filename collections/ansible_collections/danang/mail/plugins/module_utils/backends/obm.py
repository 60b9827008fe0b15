# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OBM backend (R-02): OpenLDAP entries and Cyrus IMAP mailboxes, laid out as real OBM does.

- ``render`` — the managed attributes of an account (``obm_ldap``) plus two Cyrus facts the plan
  compares: ``quota_mb`` (R-30; Cyrus counts KB, MB x 1024) and ``cyrus_mailbox`` (``ready`` when
  the mailbox, its default folders and the ``anyone p`` ACL are there; see ``READY``).
- ``read`` — ONE paged LDAP search over ``dc=<domain>,<base>`` (users and mailShare), then ONE
  IMAP connection: one ``LIST "" "*@<domain>"`` (every mailbox and folder) and, pipelined, one
  GETQUOTA and one GETACL per mailbox (``obm_cyrus``).
- ``apply`` — batches, each in OBM's order: LDAP entry → Cyrus mailbox with default folders →
  SETQUOTA (KB) → SETACL ``anyone p``. See :meth:`ObmBackend.apply` for what a failure leaves.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
from ansible_collections.danang.mail.plugins.module_utils.backends.base import Backend, BackendError, Result
from ansible_collections.danang.mail.plugins.module_utils.backends.obm_cyrus import (
    CyrusAdmin,
    CyrusConnectionLost,
    CyrusError,
    parse_acl,
    parse_quota,
    quote,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.obm_ldap import (
    DEFAULT_GID,
    ENTRY_FILTER,
    FIRST_UID,
    HAS_LDAP3,
    LDAP3_IMPORT_ERROR,
    MANAGED_LDAP,
    PERMIT,
    PERSON_CLASSES,
    READ_ATTRIBUTES,
    REJECT,
    SHARE_CLASSES,
    Entry,
    LDAPException,
    domain_dn,
    entry_from_response,
    generalized_time,
    nfc,
    open_connection,
    person_dn,
    share_dn,
)
from ansible_collections.danang.mail.plugins.module_utils.model import DEFAULT_DOMAIN, SYSTEM_OBM
from ansible_collections.danang.mail.plugins.module_utils.plan import (
    CREATE,
    REMOVE,
    Attributes,
    Change,
    Observed,
)

if HAS_LDAP3:
    import ldap3

__all__ = ["HAS_LDAP3", "LDAP3_IMPORT_ERROR", "ObmBackend", "ObmConfig"]

# OBM's obm_conf.ini default: userMailboxDefaultFolders = 'Trash,Drafts,SPAM,Templates,Sent';
# shareMailboxDefaultFolders = '' (a shared mailbox gets none).
DEFAULT_FOLDERS = ("Trash", "Drafts", "SPAM", "Templates", "Sent")
# A mailbox is "ready" when the read sees it, its default folders, and "anyone p" in its ACL. The
# ACL is OBM's last step and apply() sends it only in a second wave, once every earlier step of that
# mailbox was answered OK: so "anyone p" also proves the steps before it, and a mailbox left
# half-made by a failure is "incomplete" and finished by the next run. The quota is compared on its
# own (``quota_mb``), read from Cyrus for every mailbox.
READY, INCOMPLETE, MISSING = "ready", "incomplete", "missing"
Step = tuple[str, tuple[str, ...]]  # an IMAP command and the NO texts it tolerates
CYRUS_KEYS = frozenset({"quota_mb", "cyrus_mailbox"})
_EXISTS = ("already exists", "alreadyexists")
_GONE = ("does not exist", "nonexistent")


@dataclass(frozen=True)
class ObmConfig:
    """How to reach one OBM installation (the modules' connection options)."""

    ldap_uri: str
    ldap_bind_dn: str
    ldap_bind_password: str = field(repr=False)
    imap_admin_password: str = field(repr=False)
    ldap_base_dn: str = "dc=local"
    ldap_starttls: bool = False
    imap_host: str = "127.0.0.1"
    imap_port: int = 143
    imap_admin: str = "cyrus"
    imap_ssl: bool = False
    imap_starttls: bool = False
    validate_certs: bool = True
    ca_file: Optional[str] = None
    domain: str = DEFAULT_DOMAIN
    mailbox_server: Optional[str] = None  # mailBoxServer; default lmtp:<imap host>:24 as OBM writes it
    home_base: str = "/home"
    default_folders: tuple[str, ...] = DEFAULT_FOLDERS
    batch_size: int = 500
    page_size: int = 1000
    timeout: float = 30

    @property
    def mailbox_server_value(self) -> str:
        return self.mailbox_server or f"lmtp:{self.imap_host}:24"


@dataclass
class AccountFacts:
    """What one read saw of an account (``mailbox_info``); times are ISO 8601 UTC strings."""

    address: str
    dn: str
    shared: bool
    enabled: bool
    mailbox: bool
    quota_mb: Optional[float]
    used_mb: Optional[float]
    uid_number: Optional[int]
    last_login: Optional[str]
    password_changed: Optional[str]
    must_change_password: bool
    locked: bool

    @property
    def last_access(self) -> Optional[str]:
        """The later of the last login and the last password change (R-23).

        Measured on slapd 2.5: a bind while ``pwdReset`` is TRUE stamps ``pwdLastSuccess``, but the
        user's password change removes ``pwdLastSuccess``; the change is an access too.
        """
        times = [t for t in (self.last_login, self.password_changed) if t]
        return max(times) if times else None

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "last_access": self.last_access}


def mailbox_name(account: Account) -> str:
    """Cyrus name (``virtdomains: userid``, ``unixhierarchysep``): ``user/<login>@<domain>`` for a
    person; a shared mailbox is the top-level ``<name>@<domain>``, as OBM creates mailshares."""
    return f"{account.local_part}@{account.domain}" if account.shared else f"user/{account.address}"


def folder_name(account: Account, folder: str) -> str:
    return f"user/{account.local_part}/{folder}@{account.domain}"


def _setquota(mailbox: str, megabytes: int) -> Step:
    return (f"SETQUOTA {quote(mailbox)} (STORAGE {int(megabytes) * 1024})", ())


def _mb(kb: Optional[int]) -> Optional[float]:
    if kb is None:
        return None
    return kb // 1024 if kb % 1024 == 0 else round(kb / 1024, 3)


@dataclass
class _Work:
    """One change on its way through a batch."""

    change: Change
    ldap: dict[str, Any] = field(default_factory=dict)  # attribute -> value (None deletes)
    cyrus: list[Step] = field(default_factory=list)
    final: Optional[Step] = None  # sent in a second wave, only once every step of ``cyrus`` was OK
    error: Optional[str] = None
    entry_added: bool = False

    @property
    def account(self) -> Account:
        return self.change.account


class ObmBackend(Backend):
    system = SYSTEM_OBM

    def __init__(self, config: ObmConfig) -> None:
        if not HAS_LDAP3:
            raise BackendError("the Python library ldap3 is needed for the OBM backend")
        self.config = config
        self._ldap: Any = None
        self._cyrus = CyrusAdmin(
            config.imap_host,
            config.imap_port,
            config.imap_admin,
            config.imap_admin_password,
            use_ssl=config.imap_ssl,
            starttls=config.imap_starttls,
            validate_certs=config.validate_certs,
            ca_file=config.ca_file,
            timeout=config.timeout,
        )
        self._entries: dict[str, Entry] = {}  # address -> entry, from the last read
        self._in_use: dict[str, str] = {}  # every address any entry answers to -> its DN
        self._next_uid = FIRST_UID
        self.facts: dict[str, AccountFacts] = {}
        self.password_set: set[str] = set()  # addresses whose entry now holds an initial password
        self._read_done = False

    # --- render (pure) ---------------------------------------------------------------------------
    def render(self, account: Account) -> Attributes:
        cfg = self.config
        name = nfc(account.display_name)
        common = {
            "mail": account.address,
            "mailBoxServer": cfg.mailbox_server_value,
            "obmDomain": account.domain,
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
                "homeDirectory": f"{cfg.home_base.rstrip('/')}/{account.local_part}",
            }
        return {**ldap_part, "quota_mb": account.quota_mb, "cyrus_mailbox": READY}

    # --- read ------------------------------------------------------------------------------------
    def _connect_ldap(self) -> Any:
        if self._ldap is None or self._ldap.closed:
            cfg = self.config
            try:
                self._ldap = open_connection(
                    cfg.ldap_uri,
                    cfg.ldap_bind_dn,
                    cfg.ldap_bind_password,
                    starttls=cfg.ldap_starttls,
                    validate_certs=cfg.validate_certs,
                    ca_file=cfg.ca_file,
                    timeout=cfg.timeout,
                )
            except ConnectionError as exc:
                raise BackendError(str(exc)) from None
        return self._ldap

    def _search_entries(self) -> list[Entry]:
        conn = self._connect_ldap()
        base = domain_dn(self.config.domain, self.config.ldap_base_dn)
        try:
            found = [
                entry_from_response(item)
                for item in conn.extend.standard.paged_search(
                    base,
                    ENTRY_FILTER,
                    search_scope=ldap3.SUBTREE,
                    attributes=list(READ_ATTRIBUTES),
                    paged_size=self.config.page_size,
                    generator=True,
                )
                if item.get("type") == "searchResEntry"
            ]
        except LDAPException as exc:
            raise BackendError(f"LDAP {self.config.ldap_uri}: search of {base} failed: {exc}") from None
        result = conn.result or {}
        if result.get("result", 0) != 0:
            raise BackendError(
                f"LDAP {self.config.ldap_uri}: search of {base} failed: "
                f"{result.get('description')} {result.get('message') or ''}".rstrip()
            )
        return found

    def _cyrus_facts(
        self, names: Mapping[str, str]
    ) -> tuple[set[str], dict[str, Optional[tuple[int, int]]], dict[str, dict[str, str]]]:
        """Every mailbox and folder of the domain (one LIST), and the quota and the ACL of each
        mailbox of ``names`` that exists (GETQUOTA + GETACL, pipelined on the same connection)."""
        try:
            if not self._cyrus.connected:
                self._cyrus.connect()
            existing = self._cyrus.list_mailboxes(f"*@{self.config.domain}")
            wanted = [(address, name) for address, name in names.items() if name in existing]
            commands = [f"{verb} {quote(n)}" for _a, n in wanted for verb in ("GETQUOTA", "GETACL")]
            replies = self._cyrus.pipeline(commands)
        except CyrusError as exc:
            raise BackendError(str(exc)) from None
        quotas = {a: parse_quota(r) for (a, _n), r in zip(wanted, replies[0::2], strict=True)}
        acls = {a: parse_acl(r) for (a, _n), r in zip(wanted, replies[1::2], strict=True)}
        return existing, quotas, acls

    def read(self) -> dict[str, Observed]:
        """Every OBM account of the domain (users and mailshares), keyed by main address.

        Raises ``BackendError`` (nothing changed) when LDAP or Cyrus cannot be used.
        """
        entries = self._search_entries()
        self._entries, self._in_use = {}, {}
        highest = FIRST_UID - 1
        for entry in entries:
            uid_number = entry.first("uidNumber")
            if uid_number and uid_number.isdigit():
                highest = max(highest, int(uid_number))
            for address in entry.addresses():
                self._in_use.setdefault(address, entry.dn)
            if entry.address:
                self._entries[entry.address] = entry
        self._next_uid = highest + 1
        self._read_done = True
        names = {a: self._mailbox_of_entry(a, e) for a, e in self._entries.items()}
        existing, quotas, acls = self._cyrus_facts(names)

        observed: dict[str, Observed] = {}
        self.facts = {}
        for address, entry in self._entries.items():
            quota = quotas.get(address)
            exists = names[address] in existing
            state = MISSING if not exists else INCOMPLETE
            if exists and "p" in acls.get(address, {}).get("anyone", ""):
                local, _at, domain = address.partition("@")
                folders = () if entry.is_share else self.config.default_folders
                if all(f"user/{local}/{f}@{domain}" in existing for f in folders):
                    state = READY
            attributes: dict[str, Any] = {name: entry.comparable(name) for name in MANAGED_LDAP}
            attributes["quota_mb"] = _mb(quota[1]) if quota else None
            attributes["cyrus_mailbox"] = state
            observed[address] = Observed(address, entry.enabled, attributes)
            uid_number = entry.first("uidNumber")
            self.facts[address] = AccountFacts(
                address=address,
                dn=entry.dn,
                shared=entry.is_share,
                enabled=entry.enabled,
                mailbox=exists,
                quota_mb=attributes["quota_mb"],
                used_mb=round(quota[0] / 1024, 3) if quota else None,
                uid_number=int(uid_number) if uid_number and uid_number.isdigit() else None,
                last_login=generalized_time(entry.first("pwdLastSuccess")),
                password_changed=generalized_time(entry.first("pwdChangedTime")),
                must_change_password=(entry.first("pwdReset") or "").upper() == "TRUE",
                locked=bool(entry.first("pwdAccountLockedTime")),
            )
        return observed

    def _mailbox_of_entry(self, address: str, entry: Entry) -> str:
        local, _at, domain = address.partition("@")
        return f"{local}@{domain}" if entry.is_share else f"user/{address}"

    # --- apply -----------------------------------------------------------------------------------
    def apply(self, changes: Sequence[Change], passwords: Mapping[str, str]) -> list[Result]:
        """Carry out ``changes`` in batches of ``batch_size``; one ``Result`` per change, in order.

        Per batch: (1) the LDAP step of every change (add, modify); (2) the Cyrus steps of the
        changes whose LDAP step succeeded, pipelined on one connection; (3) what depends on Cyrus:
        a removed account's entry is deleted only once its mailbox is gone, and a new account whose
        mailbox could not be made has its new entry deleted again. So a failed account is either
        untouched, or (when even that clean-up fails) left in a state the next run's plan sees as
        unfinished (``cyrus_mailbox`` not ready) and completes. Nothing is created twice: Cyrus
        CREATE of an existing mailbox is accepted, an LDAP entry is only added when read() did not
        see it. When Cyrus cannot be reached, the changes that need it are not attempted at all.
        """
        if not self._read_done:
            self.read()  # the uidNumber to start from and the addresses in use
        results: list[Optional[Result]] = [None] * len(changes)
        size = max(1, self.config.batch_size)
        for start in range(0, len(changes), size):
            batch = [self._prepare(change, passwords) for change in changes[start : start + size]]
            self._run_batch(batch, passwords)
            for offset, work in enumerate(batch):
                change = work.change
                results[start + offset] = Result(
                    change.address, change.action, work.error is None, work.error
                )
        return [r for r in results if r is not None]

    def _prepare(self, change: Change, passwords: Mapping[str, str]) -> _Work:
        work = _Work(change)
        account = change.account
        mailbox = mailbox_name(account)
        if change.action == REMOVE:
            admin = self.config.imap_admin
            # Cyrus admins may not delete a mailbox without the "x" right on it.
            work.cyrus = [
                (f"SETACL {quote(mailbox)} {quote(admin)} x", _GONE),
                (f"DELETE {quote(mailbox)}", _GONE),
            ]
            return work
        after = dict(change.after)
        if change.action == CREATE:
            holder = account.holder_id
            if not account.shared and not passwords.get(holder):
                work.error = "no initial password for this person: nothing done"
                return work
            user = self._in_use.get(account.address.lower())
            if user:
                work.error = f"the address is already used by {user}: nothing done"
                return work
        for key, value in after.items():
            if key == "enabled":
                work.ldap["mailAccess"] = PERMIT if value else REJECT
            elif key not in CYRUS_KEYS:
                work.ldap[key] = value
        if change.action == CREATE or "cyrus_mailbox" in after:
            self._ensure_mailbox(work)
        elif "quota_mb" in after:
            work.cyrus = [_setquota(mailbox, account.quota_mb)]
        return work

    def _ensure_mailbox(self, work: _Work) -> None:
        """OBM's order: mailbox, default folders (persons), quota in KB; then ``anyone p`` (see READY)."""
        account = work.account
        mailbox = mailbox_name(account)
        work.cyrus = [(f"CREATE {quote(mailbox)}", _EXISTS)]
        if not account.shared:
            work.cyrus += [
                (f"CREATE {quote(folder_name(account, f))}", _EXISTS) for f in self.config.default_folders
            ]
        work.cyrus.append(_setquota(mailbox, account.quota_mb))
        work.final = (f"SETACL {quote(mailbox)} anyone p", ())

    def _run_batch(self, batch: list[_Work], passwords: Mapping[str, str]) -> None:
        cyrus_down: Optional[str] = None
        if any(w.cyrus and w.error is None for w in batch) and not self._cyrus.connected:
            try:
                self._cyrus.connect()
            except CyrusError as exc:
                cyrus_down = str(exc)
        for work in batch:
            if work.error is not None:
                continue
            if work.cyrus and cyrus_down:
                work.error = f"not attempted: {cyrus_down}"
                continue
            if work.change.action == CREATE:
                self._ldap_add(work, passwords)
            elif work.ldap:
                self._ldap_modify(work)
        self._cyrus_steps([w for w in batch if w.error is None and w.cyrus])
        for work in batch:
            if work.change.action == REMOVE and work.error is None:
                self._ldap_delete(work)
            elif work.entry_added and work.error is not None:
                self._undo_add(work)

    def _dn(self, account: Account) -> str:
        entry = self._entries.get(account.address)
        if entry is not None:
            return entry.dn
        make = share_dn if account.shared else person_dn
        return make(account.local_part, account.domain, self.config.ldap_base_dn)

    def _ldap_call(self, work: _Work, what: str, call: Any) -> bool:
        try:
            if self._ldap is None or self._ldap.closed:
                self._connect_ldap()
            if call(self._ldap):
                return True
            result = self._ldap.result or {}
            work.error = (
                f"LDAP {what} refused: {result.get('description')} {result.get('message') or ''}".rstrip()
            )
        except (LDAPException, BackendError) as exc:
            self._ldap = None
            work.error = f"LDAP {what} failed: {exc}"
        return False

    def _ldap_add(self, work: _Work, passwords: Mapping[str, str]) -> None:
        account = work.account
        attributes = {k: v for k, v in work.ldap.items() if v is not None and k in MANAGED_LDAP}
        attributes["mailAccess"] = work.ldap.get("mailAccess", PERMIT if account.enabled else REJECT)
        if account.shared:
            classes = list(SHARE_CLASSES)
        else:
            classes = list(PERSON_CLASSES)
            attributes.update(
                uid=account.local_part,
                uidNumber=str(self._next_uid),
                gidNumber=str(DEFAULT_GID),
                webAccess=PERMIT,
                # Sent in clear over the admin connection; ppolicy hashes it (olcPPolicyHashCleartext).
                userPassword=passwords[account.holder_id],
                # must change at first use. Set by the administrator in the add itself.
                pwdReset="TRUE",
            )
        dn = self._dn(account)
        if self._ldap_call(work, "add", lambda conn: conn.add(dn, classes, attributes)):
            work.entry_added = True
            if not account.shared:
                self._next_uid += 1
                self.password_set.add(account.address)
            self._in_use[account.address] = dn

    def _ldap_modify(self, work: _Work) -> None:
        dn = self._dn(work.account)
        mods = {
            name: [(ldap3.MODIFY_REPLACE, [] if value is None else [value])]
            for name, value in work.ldap.items()
        }
        self._ldap_call(work, "modify", lambda conn: conn.modify(dn, mods))

    def _ldap_delete(self, work: _Work) -> None:
        dn = self._dn(work.account)
        if self._ldap_call(work, "delete", lambda conn: conn.delete(dn)):
            self._entries.pop(work.account.address, None)

    def _undo_add(self, work: _Work) -> None:
        """A new account whose mailbox could not be made: take its new entry away again."""
        dn = self._dn(work.account)
        first_error = work.error
        if self._ldap_call(work, "delete", lambda conn: conn.delete(dn)):
            work.error = f"{first_error}; its new directory entry was removed again: nothing is left"
            self.password_set.discard(work.account.address)
            self._in_use.pop(work.account.address, None)
        else:
            work.error = (
                f"{first_error}; the directory entry stays without a finished mailbox "
                f"({work.error}): the next run finishes it"
            )

    def _cyrus_steps(self, works: list[_Work]) -> None:
        """Each work's ``cyrus`` steps, pipelined on one connection; then, in a second pipelined
        wave, the ``final`` step of every work whose steps were all answered OK."""
        self._cyrus_wave(works, lambda w: w.cyrus)
        self._cyrus_wave([w for w in works if w.error is None and w.final], lambda w: [w.final])

    def _cyrus_wave(self, works: list[_Work], steps_of: Any) -> None:
        commands = [cmd for w in works for cmd, _t in steps_of(w)]
        if not commands:
            return
        try:
            replies = self._cyrus.pipeline(commands)
            lost = None
        except CyrusConnectionLost as exc:
            replies, lost = list(getattr(exc, "partial", [])), str(exc)
        except CyrusError as exc:
            replies, lost = [], str(exc)
        position = 0
        for work in works:
            for command, tolerated in steps_of(work):
                reply = replies[position] if position < len(replies) else None
                position += 1
                if work.error is not None:
                    continue
                if reply is None:
                    work.error = f"Cyrus: {lost}"
                elif not reply.ok and not (reply.status == "NO" and reply.says(*tolerated)):
                    verb = command.split(" ", 1)[0]
                    work.error = f"Cyrus {verb} refused: {reply.status} {reply.text}"

    # --- quota only (danang.mail.quota) ---------------------------------------------------------
    def set_quotas(self, quotas: Mapping[str, int]) -> list[Result]:
        """SETQUOTA (MB x 1024 KB) for each address seen by ``read()``, pipelined on one connection."""
        works = []
        for address, megabytes in quotas.items():
            facts = self.facts.get(address)
            local, _at, domain = address.partition("@")
            name = f"{local}@{domain}" if facts and facts.shared else f"user/{address}"
            account = Account(address, "agency" if facts and facts.shared else "person", "", "", "")
            work = _Work(Change("update", address, account, {}, {"quota_mb": megabytes}))
            if facts is None or not facts.mailbox:
                work.error = "no such mailbox"
            else:
                work.cyrus = [_setquota(name, megabytes)]
            works.append(work)
        self._cyrus_steps([w for w in works if w.error is None])
        return [Result(w.change.address, "quota", w.error is None, w.error) for w in works]

    def close(self) -> None:
        self._cyrus.close()
        if self._ldap is not None:
            with contextlib.suppress(LDAPException):
                self._ldap.unbind()
            self._ldap = None


# --- module glue: the connection options of the doc fragment danang.mail.obm ----------------------
ARGUMENT_SPEC: dict[str, dict[str, Any]] = {
    "ldap_uri": {"type": "str", "required": True},
    "ldap_bind_dn": {"type": "str", "default": "uid=ldapadmin,ou=sysusers,dc=local"},
    "ldap_bind_password": {"type": "str", "required": True, "no_log": True},
    "ldap_base_dn": {"type": "str", "default": "dc=local"},
    "ldap_starttls": {"type": "bool", "default": False},
    "imap_host": {"type": "str", "default": "127.0.0.1"},
    "imap_port": {"type": "int", "default": 143},
    "imap_admin": {"type": "str", "default": "cyrus"},
    "imap_admin_password": {"type": "str", "required": True, "no_log": True},
    "imap_ssl": {"type": "bool", "default": False},
    "imap_starttls": {"type": "bool", "default": False},
    "validate_certs": {"type": "bool", "default": True},
    "ca_file": {"type": "path"},
    "domain": {"type": "str", "default": DEFAULT_DOMAIN},
    "mailbox_server": {"type": "str"},
    "batch_size": {"type": "int", "default": 500},
    "page_size": {"type": "int", "default": 1000},
    "timeout": {"type": "int", "default": 30},
}


def config_from_params(params: Mapping[str, Any], **overrides: Any) -> ObmConfig:
    """An ``ObmConfig`` from a module's parameters (the keys of ``ARGUMENT_SPEC``) and ``overrides``."""
    values = {key: params[key] for key in ARGUMENT_SPEC if params.get(key) is not None}
    return ObmConfig(**{**values, **overrides})
