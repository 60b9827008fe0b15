# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exchange's part of ``apply`` (:class:`ExchangeWriter`) and its quota path (:func:`set_quotas`).

Per batch of ``batch_size`` times ``runspaces`` changes: (1) AD disables first (nobody keeps access
while the rest runs); (2) the cmdlets of the changes, ``batch_size`` changes a pipeline, the
pipelines on parallel sessions (``parallel.run_groups``; one change's cmdlets always in one
pipeline, in order) — persons ``New-Mailbox`` (User set, ``-ResetPasswordOnNextLogon $true``, R-40)
then ``Set-Mailbox`` for quotas, sizes and the issue record, agencies and departments ``New-Mailbox
-Shared``, updates ``Set-Mailbox``/``Set-User``, purges ``Remove-Mailbox`` (the AD user goes with
it; Exchange keeps the disconnected mailbox for its retention period); (3) AD enables and the
disabling of new accounts that should start disabled. After the last batch, the shared mailboxes'
FullAccess and Send As (``rights.py``): a trustee made in this run exists by then.
Whatever did not clearly succeed (an error record, a dropped connection) is checked by one re-read
at the end: a change is reported done only when the system now holds what the plan wanted. Every
step is idempotent or guarded by the plan, so a re-run finishes what a failure left.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Mapping, Sequence
from typing import Optional

from ansible_collections.danang.mail.plugins.module_utils.backends.contract import BackendError, Result
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.ad import (
    ACCOUNTDISABLE,
    HOLDER_ATTRIBUTE,
    ADError,
    Directory,
    choose_sam_names,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.config import ExchangeConfig
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import (
    FAILED,
    OK,
    Outcome,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.parallel import run_groups
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.read import Seen
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.render import (
    ExchangeStep,
    created_dn,
    quota_invocation,
    renamed_dn,
    render,
    step_for,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.rights import name_trustees
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.transport import ExchangeTransport
from ansible_collections.danang.mail.plugins.module_utils.model import STATE_REMOVED
from ansible_collections.danang.mail.plugins.module_utils.plan import (
    CREATE,
    DISABLE,
    REMOVE,
    Change,
    Observed,
)


class ExchangeWriter:
    """The cmdlets and AD switches of Exchange's changes and how a batch of them is sent
    (``apply.Writer``). ``reread`` is the system's ``read()``, for the verifying re-read."""

    step_type = ExchangeStep

    def __init__(
        self,
        config: ExchangeConfig,
        transport: ExchangeTransport,
        directory: Directory,
        seen: Seen,
        *,
        clock: Callable[[], datetime.datetime],
        reread: Callable[[], dict[str, Observed]],
    ) -> None:
        self.config = config
        self.pipeline_size = max(1, config.exchange.batch_size)  # changes per pipeline
        self.batch_size = self.pipeline_size * max(1, config.exchange.runspaces)
        self.transport = transport
        self.directory = directory
        self.seen = seen
        self._clock = clock
        self._reread = reread
        self._now: Optional[datetime.datetime] = None  # the run's issue time, taken by prepare()
        self._sam_names: dict[str, str] = {}
        self._sam_error = ""
        self._reread_failed = False
        self._planned_databases: dict[str, int] = {}  # database -> mailboxes this run adds to it

    def owner(self, address: str) -> Optional[str]:
        owner = self.seen.in_use.get(address)
        return None if owner is None else f"the mailbox {owner}"

    def prepare(self, changes: Sequence[Change]) -> None:
        self._now = self._clock()
        new = [c.address for c in changes if c.action == CREATE]
        self._sam_names = self._choose_sam_names(new) if new else {}

    def step(self, change: Change, password: Optional[str]) -> ExchangeStep:
        managed_ou = self.config.ad.managed_ou
        if change.action != CREATE:
            record = self.seen.mailboxes.get(change.address) or {}
            dn = str(record.get("DistinguishedName") or "") or None
            user = self.seen.users.get((dn or "").lower())
            reclaimed = bool(user and user.reclaimed)
            return step_for(change, managed_ou=managed_ou, now=self._now, dn=dn, reclaimed=reclaimed)
        if change.address not in self._sam_names:
            return ExchangeStep(change, error=f"not attempted: {self._sam_error}")
        return step_for(
            change,
            managed_ou=managed_ou,
            now=self._now,
            password=password,
            database=self._database(),
            sam_account_name=self._sam_names[change.address],
        )

    def _database(self) -> Optional[str]:
        """The configured database holding the fewest managed mailboxes (counting this run's)."""
        if not self.config.databases:
            return None
        counts = {db: 0 for db in self.config.databases}
        for record in self.seen.mailboxes.values():
            db = str(record.get("Database") or "")
            if db in counts:
                counts[db] += 1
        for db, extra in self._planned_databases.items():
            counts[db] = counts.get(db, 0) + extra
        chosen = min(self.config.databases, key=lambda db: (counts[db], db))
        self._planned_databases[chosen] = self._planned_databases.get(chosen, 0) + 1
        return chosen

    def _choose_sam_names(self, addresses: list[str]) -> dict[str, str]:
        """sAMAccountNames for the new accounts, free in the whole domain (usually one AD search);
        empty, with ``_sam_error`` set, when AD cannot say."""
        taken: set[str] = set()
        checked: set[str] = set()
        try:
            while True:  # until every chosen name has been checked against the domain
                names = choose_sam_names(addresses, taken)
                unchecked = set(names.values()) - checked
                if not unchecked:
                    return names
                taken |= self.directory.taken_sam_names(unchecked)
                checked |= unchecked
        except ADError as exc:
            self._sam_error = str(exc)
            return {}

    def run_batch(self, batch: list[ExchangeStep]) -> None:
        for step in batch:
            if step.error is None and step.ad_before is not None:
                step.error = self._set_enabled(step.change.address, step.ad_before)
        live = [s for s in batch if s.error is None and s.invocations]
        if live:
            size = self.pipeline_size
            groups = [
                [inv for s in live[start : start + size] for inv in s.invocations]
                for start in range(0, len(live), size)
            ]
            outcomes = run_groups(self.transport, groups)
            position = 0
            for step in live:
                _settle(step, outcomes[position : position + len(step.invocations)])
                position += len(step.invocations)
                if step.error is not None and step.change.action == CREATE:
                    step.unsure = True  # was the mailbox made (and the password set) before the error?
        for step in batch:
            if step.error is None and step.ad_after is True:
                step.error = self._set_enabled(step.change.address, True)

    def finish(self, steps: list[ExchangeStep]) -> None:
        self._finish_disabled_creates([s for s in steps if s.error is None and s.ad_after is False])
        self._grant_rights([s for s in steps if s.error is None and s.rights], steps)
        if any(s.unsure for s in steps):
            self._verify(steps)
        for step in steps:
            step.holds_password = self._created(step)

    def _created(self, step: ExchangeStep) -> bool:
        """Whether a person's mailbox now exists (so it holds the initial password)."""
        if step.unsure or step.error is not None:
            # Unknown after a failed check: count it as made, so the password is recorded (the next
            # run reuses it for this person rather than issuing a second one).
            return self._reread_failed or step.change.address in self.seen.mailboxes
        return True

    def _set_enabled(self, address: str, enabled: bool) -> Optional[str]:
        record = self.seen.mailboxes.get(address)
        user = self.seen.users.get(str((record or {}).get("DistinguishedName") or "").lower())
        if user is None:
            return f"no AD account found for {address}"
        error = self.directory.set_enabled(user, enabled)
        if error is None:
            uac = (
                user.user_account_control & ~ACCOUNTDISABLE
                if enabled
                else user.user_account_control | ACCOUNTDISABLE
            )
            self.seen.users[user.dn.lower()] = dataclasses.replace(
                user, user_account_control=uac, policy_lock=None
            )
        return error

    def _finish_disabled_creates(self, steps: list[ExchangeStep]) -> None:
        """New persons the desired state wants disabled: their AD accounts exist only now."""
        if not steps:
            return
        try:
            users = {
                u.user_principal_name.lower(): u
                for u in self.directory.users().values()
                if u.user_principal_name
            }
        except ADError as exc:
            for step in steps:
                step.error, step.unsure = f"AD: {exc}", True
            return
        for step in steps:
            user = users.get(step.change.address)
            step.error = (
                "no AD account after New-Mailbox" if user is None else self.directory.set_enabled(user, False)
            )
            step.unsure = step.error is not None

    def _grant_rights(self, steps: list[ExchangeStep], done: list[ExchangeStep]) -> None:
        """The shared mailboxes' FullAccess and Send As, once every mailbox of the run exists: each
        grant to the DN of the trustee's verified account (``_trustees``), none to anyone else (an
        address could name a stranger's object outside the managed OU); the next run grants it."""
        if not steps:
            return
        trustees = self._trustees(done)
        refused: list[list[str]] = []
        for step in steps:
            step.rights, missing = name_trustees(step.rights, trustees)
            holders = dict(step.change.account.access_holders)
            refused.append(
                [
                    f"FullAccess and Send As for {address} not granted: no account of "
                    f"{holders.get(address, 'its holder')} in the managed OU yet"
                    for address in missing
                ]
            )
        outcomes = self.transport.run([inv for s in steps for inv in s.rights], batch_size=self.pipeline_size)
        position = 0
        for step, errors in zip(steps, refused, strict=True):
            _settle(step, outcomes[position : position + len(step.rights)])
            position += len(step.rights)
            if errors:
                step.error = "; ".join(filter(None, [step.error, *errors]))

    def _trustees(self, steps: list[ExchangeStep]) -> dict[str, str]:
        """address -> DN of each account verified as its holder's own: one of the managed OU the read
        saw storing the holder's id, or one this run made or changed without error (its DN after a
        rename). A person whose change failed is left out: what the account holds is unknown."""
        holders = {pair for step in steps for pair in step.change.account.access_holders}
        found = {
            address: str(record["DistinguishedName"])
            for address, record in self.seen.mailboxes.items()
            if record.get("DistinguishedName") and (address, record.get(HOLDER_ATTRIBUTE)) in holders
        }
        for step in steps:
            change = step.change
            if (change.address, change.account.holder_id) not in holders:
                continue
            if step.error is not None:
                found.pop(change.address, None)
            elif change.action == CREATE:
                found[change.address] = created_dn(change.after["name"], self.config.ad.managed_ou)
            elif dn := str((self.seen.mailboxes.get(change.address) or {}).get("DistinguishedName") or ""):
                found[change.address] = renamed_dn(dn, change.after["name"]) if "name" in change.after else dn
        return found

    def _verify(self, steps: list[ExchangeStep]) -> None:
        """One re-read; a change that did not clearly succeed is done when the system holds what the
        plan wanted (else its error stays, and the next run's plan finishes it)."""
        try:
            observed = self._reread()
        except BackendError as exc:
            self._reread_failed = True
            for step in steps:
                if step.unsure:
                    step.error = f"{step.error}; the check afterwards failed too: {exc}"
            return
        for step in steps:
            if step.unsure and _done(step.change, observed):
                step.error = None


def _settle(step: ExchangeStep, outcomes: Sequence[Outcome]) -> None:
    """A step's error from the outcomes of its invocations (unsure when one's fate is unknown)."""
    failed = [o for o in outcomes if o.status == FAILED]
    if failed:
        step.error = "; ".join(f"{o.invocation.cmdlet}: {o.error}" for o in failed)
    elif any(o.status != OK for o in outcomes):
        step.error = next(o.error for o in outcomes if o.status != OK)
        step.unsure = True


def _done(change: Change, observed: Mapping[str, Observed]) -> bool:
    have = observed.get(change.address)
    account = change.account
    if change.action == REMOVE:
        return have is None
    if have is None:
        return False
    if change.action == DISABLE and account.state == STATE_REMOVED:
        return not have.enabled
    want = render(account)
    return have.enabled == account.enabled and all(have.attributes.get(k) == v for k, v in want.items())


def set_quotas(
    transport: ExchangeTransport, seen: Seen, quotas: Mapping[str, int], batch_size: int
) -> list[Result]:
    """The quota (MB) of each address the read saw: one Set-Mailbox each, batched."""
    results: dict[str, Result] = {}
    invocations = []
    for address, megabytes in quotas.items():
        if address not in seen.mailboxes:
            results[address] = Result(address, "quota", False, "no such mailbox")
            continue
        invocations.append(quota_invocation(address, megabytes))
    for outcome in transport.run(invocations, batch_size=batch_size):
        address = outcome.invocation.key or ""
        results[address] = Result(address, "quota", outcome.status == OK, outcome.error)
    return [results[a] for a in quotas]
