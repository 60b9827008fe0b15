# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reclaiming idle personal mailboxes on Exchange (R-23): ``reclaim`` and ``purge`` of
``contract.Reclaim``. Only persons' mailboxes (``UserMailbox``); shares are refused.

Reclaim, for the accounts not already done, in this order so that the marker (last) means done:

1. ONE transport rule for all reclaimed mailboxes, made or corrected once per call:
   ``danang.mail R-23: reclaimed mailboxes`` with ``-RecipientADAttributeContainsWords
   "CustomAttribute2:danang.mail reclaimed"`` and ``-RejectMessageEnhancedStatusCode 5.7.1
   -RejectMessageReasonText <bounce>``: new mail to a marked mailbox is rejected with a permanent
   bounce carrying the text. Chosen over a rule ``-SentToMemberOf`` a group (the group's membership
   would be a second record of the same fact, kept in step with the mark) and over per-mailbox
   ``AcceptMessagesOnlyFrom`` (its NDR text is Exchange's own, not ours). The condition "works when
   the recipient is an individual user" and, on-premises, is evaluated on Mailbox servers
   (learn.microsoft.com/powershell/module/exchange/new-transportrule); Exchange's transport reads AD
   through its recipient cache, so a new mark takes effect within the cache's lifetime (minutes).
2. ``Set-Mailbox -HiddenFromAddressListsEnabled $true`` (batched pipelines): out of the address lists.
3. ONE LDAP modify per account: ``ACCOUNTDISABLE`` (every logon refused: Kerberos, NTLM, Basic for
   EWS and remote PowerShell, LDAP binds) and the marker ``danang.mail reclaimed <UTC>`` in
   ``extensionAttribute2`` (Exchange ``CustomAttribute2``, where the password policy's lock mark
   lives: one mark says why an account is disabled; see ``ad``). Mailbox and content are kept.

A re-request (ENABLE by the plan) clears the marker with the flag and shows the mailbox again
(``render.step_for``).

Purge: refused for a mailbox without the marker; ``Remove-Mailbox -Permanent $true`` (batched)
removes the AD user and purges the mailbox at once, so its storage is freed (without
``-Permanent`` Exchange keeps it disconnected for the database's retention period). With
``export_dir`` the mailbox is first exported by Exchange to ``exchange_export_share`` (a UNC share,
not ``export_dir`` on the controller): over two runs or more, see ``export``.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
from ansible_collections.danang.mail.plugins.module_utils.backends.contract import BackendError, Result
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.ad import (
    ACCOUNTDISABLE,
    POLICY_LOCK_AD_ATTRIBUTE,
    RECLAIM_PREFIX,
    ADUser,
    Directory,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.export import (
    Exports,
    export_aliases,
    plan_exports,
    remove_invocation,
    share_problem,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import OK, Invocation
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.read import Seen
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.render import SHARED, as_bool
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.transport import (
    ExchangeError,
    ExchangeTransport,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.ldap import HAS_LDAP3
from ansible_collections.danang.mail.plugins.module_utils.plan import Observed
from ansible_collections.danang.mail.plugins.module_utils.times import UTC, iso

if HAS_LDAP3:
    import ldap3

RECLAIM, PURGE = "reclaim", "purge"
RULE_NAME = "danang.mail R-23: reclaimed mailboxes"
BOUNCE_STATUS = "5.7.1"
BOUNCE_MAX = 256  # -RejectMessageReasonText, Exchange 2013 or later (new-transportrule)
# "AttributeName:Word" (a phrase may hold spaces); matches the marker whatever its date.
RULE_CONDITION = f"CustomAttribute2:{RECLAIM_PREFIX.strip()}"


def bounce_problem(bounce: str) -> Optional[str]:
    """Why Exchange would refuse ``bounce`` as -RejectMessageReasonText, or None."""
    if not bounce.strip():
        return "bounce: the bounce text is empty"
    if len(bounce) > BOUNCE_MAX:
        return f"bounce: {len(bounce)} characters, Exchange takes at most {BOUNCE_MAX}"
    return None


def reclaim_record(moment: datetime.datetime) -> str:
    """The reclaim marker, with its time (UTC)."""
    return RECLAIM_PREFIX + str(iso(moment, UTC))


def rule_params(bounce: str) -> dict[str, Any]:
    """The rule's managed properties (New-/Set-TransportRule parameters)."""
    return {
        "RecipientADAttributeContainsWords": RULE_CONDITION,  # Word[]: one value, bound as an array
        "RejectMessageEnhancedStatusCode": BOUNCE_STATUS,
        "RejectMessageReasonText": bounce,
    }


def rule_invocations(bounce: str, have: Optional[Mapping[str, Any]]) -> list[Invocation]:
    """What makes the rule ``bounce`` wants out of the one Get-TransportRule found (None: none)."""
    want = rule_params(bounce)
    if have is None:
        return [Invocation.of("New-TransportRule", {"Name": RULE_NAME, **want, "Enabled": True})]
    have_values = {k: _strings(have.get(k)) for k in want}
    differ = {k: v for k, v in want.items() if have_values[k] != [v]}
    invocations = [Invocation.of("Set-TransportRule", {"Identity": RULE_NAME, **differ})] if differ else []
    if str(have.get("State") or "Enabled") != "Enabled":
        invocations.append(Invocation.of("Enable-TransportRule", {"Identity": RULE_NAME}))
    return invocations


def hide_invocation(address: str) -> Invocation:
    return Invocation.of("Set-Mailbox", {"Identity": address, "HiddenFromAddressListsEnabled": True}, address)


def purge_invocation(address: str) -> Invocation:
    """Removes the AD user and, with -Permanent, the mailbox at once (its storage freed)."""
    params = {"Identity": address, "Permanent": True, "Confirm": False}
    return Invocation.of("Remove-Mailbox", params, address)


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


class ExchangeReclaim:
    """``reclaim`` and ``purge`` on the system's PowerShell and AD sessions; ``read`` is the
    system's bulk read (run first when the caller has not)."""

    def __init__(
        self,
        transport: ExchangeTransport,
        directory: Directory,
        seen: Seen,
        *,
        batch_size: int,
        clock: Callable[[], datetime.datetime],
        read: Callable[[], dict[str, Observed]],
        export_share: Optional[str] = None,
    ) -> None:
        self.transport = transport
        self.directory = directory
        self.seen = seen
        self.batch_size = batch_size
        self._clock = clock
        self._read = read
        self.export_share = export_share

    def _person(self, address: str) -> tuple[Optional[Mapping[str, Any]], Optional[ADUser], Optional[str]]:
        """The mailbox record and AD user of a person's mailbox, or why there is none."""
        record = self.seen.mailboxes.get(address)
        if record is None:
            return None, None, "no such mailbox"
        if str(record.get("RecipientTypeDetails")) == SHARED:
            return record, None, "a shared mailbox is not reclaimed (personal mailboxes only, R-23)"
        user = self.seen.users.get(str(record.get("DistinguishedName") or "").lower())
        if user is None:
            return record, None, f"no AD account found for {address}"
        return record, user, None

    def reclaim(self, accounts: Sequence[Account], bounce: str) -> list[Result]:
        refused = bounce_problem(bounce)
        if refused:  # before anything is changed
            return [Result(a.address, RECLAIM, False, refused) for a in accounts]
        if not self.seen.done:
            self._read()
        errors: dict[str, Optional[str]] = {}
        persons: list[str] = []
        todo: list[tuple[str, Mapping[str, Any], ADUser]] = []
        for account in accounts:
            record, user, why = self._person(account.address)
            if why is not None or record is None or user is None:
                errors[account.address] = why
                continue
            persons.append(account.address)
            if not (
                user.reclaimed and not user.enabled and as_bool(record.get("HiddenFromAddressListsEnabled"))
            ):
                todo.append((account.address, record, user))
        # Checked even when every mailbox is done: the bounce text may have changed.
        failed = self._ensure_rule(bounce) if persons else None
        if failed:
            errors.update({address: f"the bounce is not in place: {failed}" for address in persons})
            todo = []
        hide = [
            hide_invocation(a)
            for a, record, _u in todo
            if not as_bool(record.get("HiddenFromAddressListsEnabled"))
        ]
        for outcome in self.transport.run(hide, batch_size=self.batch_size) if hide else []:
            if outcome.status != OK:
                errors[str(outcome.invocation.key)] = f"Set-Mailbox: {outcome.error}"
        mark = reclaim_record(self._clock().replace(microsecond=0))
        for address, record, user in todo:
            if errors.get(address) is None:
                errors[address] = self._mark(user, mark)
            if errors.get(address) is None:  # what a re-read would see, for a purge on this session
                self.seen.mailboxes[address] = {**record, "HiddenFromAddressListsEnabled": True}
                self.seen.users[user.dn.lower()] = dataclasses.replace(
                    user, user_account_control=user.user_account_control | ACCOUNTDISABLE, policy_lock=mark
                )
        return [
            Result(a.address, RECLAIM, errors.get(a.address) is None, errors.get(a.address)) for a in accounts
        ]

    def _ensure_rule(self, bounce: str) -> Optional[str]:
        """The reclaim rule made or corrected; the error text, or None."""
        try:
            rules = self.transport.query(Invocation.of("Get-TransportRule", {}))
        except ExchangeError as exc:
            return str(exc)
        have = next((r for r in rules if str(r.get("Name") or "").lower() == RULE_NAME.lower()), None)
        for outcome in self.transport.run(rule_invocations(bounce, have)):
            if outcome.status != OK:
                return f"{outcome.invocation.cmdlet}: {outcome.error}"
        return None

    def _mark(self, user: ADUser, mark: str) -> Optional[str]:
        """Disable and mark in one modify: never marked without being disabled, nor the reverse."""
        return self.directory.write(
            "modify",
            user.dn,
            {
                "userAccountControl": [
                    (ldap3.MODIFY_REPLACE, [str(user.user_account_control | ACCOUNTDISABLE)])
                ],
                POLICY_LOCK_AD_ATTRIBUTE: [(ldap3.MODIFY_REPLACE, [mark])],
            },
        )

    def purge(self, accounts: Sequence[Account], export_dir: Optional[str]) -> list[Result]:
        if not self.seen.done:
            self._read()
        errors: dict[str, Optional[str]] = {}
        pending: set[str] = set()
        ready: list[str] = []
        for account in accounts:
            address = account.address
            if address not in self.seen.mailboxes:
                continue  # already gone
            _record, user, why = self._person(address)
            if why is not None or user is None:
                errors[address] = why
            elif not user.reclaimed:
                errors[address] = "refused: the mailbox is not reclaimed on Exchange"
            else:
                ready.append(address)
        if export_dir is not None and ready:
            ready = self._exported(ready, errors, pending)
        remove = [purge_invocation(address) for address in ready]
        outcomes = self.transport.run(remove, batch_size=self.batch_size) if remove else []
        unsure = [o for o in outcomes if o.status != OK]
        for outcome in unsure:
            errors[str(outcome.invocation.key)] = f"Remove-Mailbox: {outcome.error}"
        if unsure:
            self._settle([str(o.invocation.key) for o in unsure], errors)
        return [
            Result(
                a.address,
                PURGE,
                errors.get(a.address) is None,
                errors.get(a.address),
                pending=a.address in pending,
            )
            for a in accounts
        ]

    def _exported(
        self, addresses: list[str], errors: dict[str, Optional[str]], pending: set[str]
    ) -> list[str]:
        """Those of ``addresses`` whose export is complete and its request removed; the others
        get their export's state in ``errors`` (queued now, waiting, failed) and are kept; those
        queued or running also go in ``pending``."""
        refused = share_problem(self.export_share)
        if refused is not None or self.export_share is None:
            errors.update({a: refused for a in addresses})
            return []
        exports = Exports(self.transport, self.export_share, self.batch_size)
        aliases = export_aliases(self.seen.mailboxes, addresses)
        try:
            statuses = exports.statuses(addresses)
        except ExchangeError as exc:
            errors.update({a: f"the export requests could not be read: {exc}" for a in addresses})
            return []
        waiting, completed, queued = plan_exports(exports, statuses, aliases)
        errors.update(waiting)
        pending.update(queued)
        removed = exports.run([remove_invocation(aliases[a], a) for a in completed])
        errors.update({a: f"{e}: nothing was deleted" for a, e in removed.items() if e})
        return [a for a in completed if removed.get(a) is None]

    def _settle(self, addresses: list[str], errors: dict[str, Optional[str]]) -> None:
        """One re-read: a removal whose outcome was not clear is done when the mailbox is gone."""
        try:
            observed = self._read()
        except BackendError as exc:
            for address in addresses:
                errors[address] = f"{errors[address]}; the check afterwards failed too: {exc}"
            return
        for address in addresses:
            if address not in observed:
                errors[address] = None
