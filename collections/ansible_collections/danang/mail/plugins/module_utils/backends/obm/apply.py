# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""OBM's part of ``apply`` (:class:`ObmWriter`) and its quota path (:func:`set_quotas`).

Per batch: (1) the LDAP step of every change (add, modify); (2) the Cyrus commands of the changes
whose LDAP step succeeded, pipelined on one connection, then the ``final`` ACLs in a second wave;
(3) what depends on Cyrus: a removed account's entry is deleted only once its mailbox is gone, and
a new account whose mailbox could not be made has its new entry deleted again. So a failed account
is either untouched, or (when even that clean-up fails) left in a state the next run's plan sees as
unfinished (``cyrus_mailbox`` not ready) and completes. Nothing is created twice: Cyrus CREATE of
an existing mailbox is accepted, an LDAP entry is only added when the read did not see it. When
Cyrus cannot be reached, the changes that need it are not attempted at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
from ansible_collections.danang.mail.plugins.module_utils.backends.contract import (
    AccountFacts,
    BackendError,
    Result,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.ldap import (
    HAS_LDAP3,
    LDAPException,
    LdapSession,
    refusal,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.config import ObmConfig
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.cyrus import (
    CyrusAdmin,
    CyrusConnectionLost,
    CyrusError,
    Reply,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.layout import (
    BOUNCE_ATTRIBUTE,
    DEFAULT_GID,
    HOLDER_ATTRIBUTE,
    MANAGED_LDAP,
    PERMIT,
    PERSON_CLASSES,
    REJECT,
    SHARE_CLASSES,
    person_dn,
    share_dn,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.read import Seen
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.steps import (
    Command,
    ObmStep,
    mailbox_name,
    setquota,
    step_for,
)
from ansible_collections.danang.mail.plugins.module_utils.plan import CREATE, ENABLE, REMOVE, Change

if HAS_LDAP3:
    import ldap3


class ObmWriter:
    """The steps of OBM's changes and how a batch of them is sent (``apply.Writer``)."""

    step_type = ObmStep

    def __init__(self, config: ObmConfig, directory: LdapSession, cyrus: CyrusAdmin, seen: Seen) -> None:
        self.config = config
        self.batch_size = config.batch_size
        self.directory = directory
        self.cyrus = cyrus
        self.seen = seen  # what the last read saw; adds and deletes keep it current

    def owner(self, address: str) -> Optional[str]:
        return self.seen.in_use.get(address)

    def prepare(self, changes: Sequence[Change]) -> None:
        """Nothing to prepare: a step needs only its change."""

    def step(self, change: Change, password: Optional[str]) -> ObmStep:
        step = step_for(
            change,
            imap_admin=self.config.imap_admin,
            default_folders=self.config.default_folders,
            password=password,
        )
        entry = self.seen.entries.get(change.address)
        if change.action == ENABLE and entry is not None and entry.reclaimed:
            step.ldap[BOUNCE_ATTRIBUTE] = None  # R-23, a new request: the reclaim bounce goes too
        return step

    def finish(self, steps: list[ObmStep]) -> None:
        """Nothing left: each batch finishes its own changes."""

    def run_batch(self, batch: list[ObmStep]) -> None:
        cyrus_down: Optional[str] = None
        if any(s.cyrus and s.error is None for s in batch) and not self.cyrus.connected:
            try:
                self.cyrus.connect()
            except CyrusError as exc:
                cyrus_down = str(exc)
        for step in batch:
            if step.error is not None:
                continue
            if step.cyrus and cyrus_down:
                step.error = f"not attempted: {cyrus_down}"
                continue
            if step.change.action == CREATE:
                self._ldap_add(step)
            elif step.ldap:
                self._ldap_modify(step)
        self._cyrus_steps([s for s in batch if s.error is None and s.cyrus])
        for step in batch:
            if step.change.action == REMOVE and step.error is None:
                self._ldap_delete(step)
            elif step.entry_added and step.error is not None:
                self._undo_add(step)

    def _dn(self, account: Account) -> str:
        entry = self.seen.entries.get(account.address)
        if entry is not None:
            return entry.dn
        make = share_dn if account.shared else person_dn
        return make(account.local_part, account.domain, self.config.ldap_base_dn)

    def _ldap_call(self, step: ObmStep, what: str, call: Callable[[Any], bool]) -> bool:
        try:
            conn = self.directory.conn()
            if call(conn):
                return True
            step.error = f"LDAP {what} refused: {refusal(conn)}"
        except (LDAPException, BackendError) as exc:
            self.directory.drop()
            step.error = f"LDAP {what} failed: {exc}"
        return False

    def _ldap_add(self, step: ObmStep) -> None:
        account = step.account
        attributes = {k: v for k, v in step.ldap.items() if v is not None and k in MANAGED_LDAP}
        attributes["mailAccess"] = step.ldap.get("mailAccess", PERMIT if account.enabled else REJECT)
        if account.shared:
            classes = list(SHARE_CLASSES)
        else:
            classes = list(PERSON_CLASSES)
            attributes.update(
                uid=account.local_part,
                uidNumber=str(self.seen.next_uid),
                gidNumber=str(DEFAULT_GID),
                webAccess=PERMIT,
                # Sent in clear over the admin connection; ppolicy hashes it (olcPPolicyHashCleartext).
                userPassword=step.password,
                # must change at first use. Set by the administrator in the add itself.
                pwdReset="TRUE",
            )
        dn = self._dn(account)
        if self._ldap_call(step, "add", lambda conn: conn.add(dn, classes, attributes)):
            step.entry_added = True
            if not account.shared:
                self.seen.next_uid += 1
                step.holds_password = True
            self.seen.in_use[account.address] = dn

    def _ldap_modify(self, step: ObmStep) -> None:
        dn = self._dn(step.account)
        mods = {
            name: [(ldap3.MODIFY_REPLACE, [] if value is None else [value])]
            for name, value in step.ldap.items()
        }
        entry = self.seen.entries.get(step.account.address)
        if HOLDER_ATTRIBUTE in step.ldap and entry is not None and entry.is_share:
            # Stamping a share made before holder ids: its class must allow the attribute first.
            missing = [c for c in SHARE_CLASSES if c.lower() not in entry.classes]
            if missing:
                mods["objectClass"] = [(ldap3.MODIFY_ADD, missing)]
        self._ldap_call(step, "modify", lambda conn: conn.modify(dn, mods))

    def _ldap_delete(self, step: ObmStep) -> None:
        dn = self._dn(step.account)
        if self._ldap_call(step, "delete", lambda conn: conn.delete(dn)):
            self.seen.entries.pop(step.account.address, None)

    def _undo_add(self, step: ObmStep) -> None:
        """A new account whose mailbox could not be made: take its new entry away again."""
        dn = self._dn(step.account)
        first_error = step.error
        if self._ldap_call(step, "delete", lambda conn: conn.delete(dn)):
            step.error = f"{first_error}; its new directory entry was removed again: nothing is left"
            step.holds_password = False
            self.seen.in_use.pop(step.account.address, None)
        else:
            step.error = (
                f"{first_error}; the directory entry stays without a finished mailbox "
                f"({step.error}): the next run finishes it"
            )

    def _cyrus_steps(self, steps: list[ObmStep]) -> None:
        """Each step's ``cyrus`` commands, pipelined on one connection; then, in a second pipelined
        wave, the ``final`` command of every step whose commands were all answered OK."""
        _cyrus_wave(self.cyrus, [(s, s.cyrus) for s in steps])
        _cyrus_wave(self.cyrus, [(s, [s.final]) for s in steps if s.error is None and s.final])


def _cyrus_wave(cyrus: CyrusAdmin, work: Sequence[tuple[Any, Sequence[Command]]]) -> None:
    """Send every command of ``work`` (holder, commands) as one pipeline; the first refusal of a
    holder's commands becomes its ``error``."""
    commands = [c.text for _holder, mine in work for c in mine]
    if not commands:
        return
    try:
        replies: list[Reply] = cyrus.pipeline(commands)
        lost = None
    except CyrusConnectionLost as exc:
        replies, lost = list(getattr(exc, "partial", [])), str(exc)
    except CyrusError as exc:
        replies, lost = [], str(exc)
    position = 0
    for holder, mine in work:
        for command in mine:
            reply = replies[position] if position < len(replies) else None
            position += 1
            if holder.error is not None:
                continue
            if reply is None:
                holder.error = f"Cyrus: {lost}"
            elif not reply.ok and not (reply.status == "NO" and reply.says(*command.tolerated)):
                verb = command.text.split(" ", 1)[0]
                holder.error = f"Cyrus {verb} refused: {reply.status} {reply.text}"


class _QuotaItem:
    def __init__(self, address: str) -> None:
        self.address = address
        self.error: Optional[str] = None


def set_quotas(
    cyrus: CyrusAdmin, facts: Mapping[str, AccountFacts], quotas: Mapping[str, int]
) -> list[Result]:
    """SETQUOTA (MB x 1024 KB) for each address the read saw with a mailbox, pipelined on one
    connection; one ``Result`` per address, in order."""
    items = [_QuotaItem(address) for address in quotas]
    work = []
    for item in items:
        seen = facts.get(item.address)
        if seen is None or not seen.mailbox:
            item.error = "no such mailbox"
        else:
            work.append((item, [setquota(mailbox_name(item.address, seen.shared), quotas[item.address])]))
    _cyrus_wave(cyrus, work)
    return [Result(i.address, "quota", i.error is None, i.error) for i in items]
