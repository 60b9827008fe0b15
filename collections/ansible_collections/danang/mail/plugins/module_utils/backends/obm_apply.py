# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OBM backend's writes, in batches and in OBM's order: LDAP entry → Cyrus mailbox with default
folders → SETQUOTA (KB) → SETACL ``anyone p`` (the ACL in a second wave, see ``obm_read``).

``ObmApply`` is a mixin of ``ObmBackend``: it uses the connections and what the last read saw.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
from ansible_collections.danang.mail.plugins.module_utils.backends.base import BackendError, Result
from ansible_collections.danang.mail.plugins.module_utils.backends.ldap_common import (
    HAS_LDAP3,
    LDAPException,
    refusal,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.obm_config import ObmConfig
from ansible_collections.danang.mail.plugins.module_utils.backends.obm_cyrus import (
    CyrusAdmin,
    CyrusConnectionLost,
    CyrusError,
    quote,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.obm_ldap import (
    DEFAULT_GID,
    HOLDER_ATTRIBUTE,
    MANAGED_LDAP,
    PERMIT,
    PERSON_CLASSES,
    REJECT,
    SHARE_CLASSES,
    Entry,
    person_dn,
    share_dn,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.obm_read import AccountFacts
from ansible_collections.danang.mail.plugins.module_utils.plan import CREATE, REMOVE, Change

if HAS_LDAP3:
    import ldap3

Step = tuple[str, tuple[str, ...]]  # an IMAP command and the NO texts it tolerates
CYRUS_KEYS = frozenset({"quota_mb", "cyrus_mailbox"})
_EXISTS = ("already exists", "alreadyexists")
_GONE = ("does not exist", "nonexistent")


def mailbox_name(account: Account) -> str:
    """Cyrus name (``virtdomains: userid``, ``unixhierarchysep``): ``user/<login>@<domain>`` for a
    person; a shared mailbox is the top-level ``<name>@<domain>``, as OBM creates mailshares."""
    return f"{account.local_part}@{account.domain}" if account.shared else f"user/{account.address}"


def folder_name(account: Account, folder: str) -> str:
    return f"user/{account.local_part}/{folder}@{account.domain}"


def _setquota(mailbox: str, megabytes: int) -> Step:
    return (f"SETQUOTA {quote(mailbox)} (STORAGE {int(megabytes) * 1024})", ())


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


class ObmApply:
    """``apply`` and ``set_quotas`` of ``ObmBackend``, which also gives them ``read()`` and
    ``_connect_ldap()`` (``DirectorySession``) and sets the attributes below."""

    config: ObmConfig
    _ldap: Any
    _cyrus: CyrusAdmin
    _entries: dict[str, Entry]
    _in_use: dict[str, str]
    _next_uid: int
    _read_done: bool
    facts: dict[str, AccountFacts]
    password_set: set[str]

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
            work.error = f"LDAP {what} refused: {refusal(self._ldap)}"
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
        entry = self._entries.get(work.account.address)
        if HOLDER_ATTRIBUTE in work.ldap and entry is not None and entry.is_share:
            # Stamping a share made before holder ids: its class must allow the attribute first.
            missing = [c for c in SHARE_CLASSES if c.lower() not in entry.classes]
            if missing:
                mods["objectClass"] = [(ldap3.MODIFY_ADD, missing)]
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
