# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Exchange backend (R-02): Exchange 2016/2019 mailboxes over remote PowerShell, their AD
accounts over LDAP. Same accounts, same plan as OBM (``plan.make_plan``).

- ``render`` — ``exchange_render.render``: the managed attributes (``MANAGED``): Exchange ``Name``,
  display, first and last names in full Vietnamese; alias in ASCII (the local part); user or shared
  mailbox (R-10, R-11); quotas with ``UseDatabaseQuotaDefaults $false`` (R-30; without it Exchange
  ignores the mailbox's own quotas); message size limits (R-31, ``MESSAGE_SIZE_MB``); for persons,
  whether the initial password's issue time is recorded (R-41, ``exchange_ad.issue_record``).
- ``read`` — ONE pipeline ``Get-Mailbox -ResultSize Unlimited -OrganizationalUnit <managed OU>``,
  ONE paged AD search of that OU (joined on the DN), and with ``statistics`` one
  ``Get-MailboxStatistics -Database`` per database.
- ``apply`` — see :meth:`ExchangeBackend.apply`: ``batch_size`` changes (their cmdlets) per pipeline,
  AD writes for disable/enable, then a verifying re-read of whatever did not clearly succeed.

Connection options: ``exchange_config``. This module keeps the names the modules import (``__all__``).
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
from ansible_collections.danang.mail.plugins.module_utils.backends.base import Backend, BackendError, Result
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange_ad import (
    ACCOUNTDISABLE,
    ADError,
    ADUser,
    choose_sam_names,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange_config import (
    ARGUMENT_SPEC,
    REQUIRED,
    ExchangeConfig,
    config_from_params,
    missing_library,
    open_clients,
    utc_now,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange_render import (
    SHARED,
    Step,
    as_bool,
    observe,
    quota_invocation,
    read_invocation,
    render,
    size_mb,
    statistics_invocation,
    step_for,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange_transport import (
    FAILED,
    OK,
    ExchangeError,
    ExchangeTransport,
)
from ansible_collections.danang.mail.plugins.module_utils.model import STATE_REMOVED, SYSTEM_EXCHANGE
from ansible_collections.danang.mail.plugins.module_utils.plan import (
    CREATE,
    DISABLE,
    REMOVE,
    Attributes,
    Change,
    Observed,
)
from ansible_collections.danang.mail.plugins.module_utils.times import UTC, iso

# The names the modules, the tests and the benchmark import from here.
__all__ = [
    "ARGUMENT_SPEC",
    "REQUIRED",
    "ExchangeBackend",
    "ExchangeConfig",
    "config_from_params",
    "missing_library",
]


class ExchangeBackend(Backend):
    system = SYSTEM_EXCHANGE

    def __init__(
        self,
        config: ExchangeConfig,
        *,
        transport: Optional[ExchangeTransport] = None,
        clock: Callable[[], datetime.datetime] = utc_now,
    ) -> None:
        self.config = config
        self.transport, self.directory = open_clients(config, transport)
        self._clock = clock
        self._mailboxes: dict[str, dict[str, Any]] = {}  # address -> Get-Mailbox record
        self._users: dict[str, ADUser] = {}  # lower-cased DN -> AD user
        self._in_use: dict[str, str] = {}  # every address a mailbox answers to -> its primary address
        self._read_done = False
        self._reread_failed = False
        self._sam_error = ""
        self._planned_databases: dict[str, int] = {}  # database -> mailboxes this run adds to it
        self.facts: dict[str, dict[str, Any]] = {}
        self.password_set: set[str] = set()

    # --- render (pure) ---------------------------------------------------------------------------
    def render(self, account: Account) -> Attributes:
        return render(account)

    # --- read ------------------------------------------------------------------------------------
    def read(self) -> dict[str, Observed]:
        """Every mailbox of the managed OU, keyed by primary SMTP address. Raises ``BackendError``
        (nothing changed) when Exchange or AD cannot be used."""
        try:
            records = self.transport.query(read_invocation(self.config.ad.managed_ou))
            self._users = self.directory.users()
            statistics = self._statistics(records) if self.config.statistics else {}
        except (ExchangeError, ADError) as exc:
            raise BackendError(str(exc)) from None
        self._mailboxes, self._in_use, self.facts = {}, {}, {}
        observed: dict[str, Observed] = {}
        for record in records:
            address = str(record.get("PrimarySmtpAddress") or "").lower()
            if not address:
                continue
            self._mailboxes[address] = record
            for proxy in record.get("EmailAddresses") or []:
                if str(proxy).lower().startswith("smtp:"):
                    self._in_use.setdefault(str(proxy)[5:].lower(), address)
            self._in_use[address] = address
            user = self._users.get(str(record.get("DistinguishedName") or "").lower())
            shared = str(record.get("RecipientTypeDetails")) == SHARED
            # A shared mailbox's AD account is disabled by design (nobody logs on to it). A password
            # policy lock is not the desired state's disable: the plan must not lift it.
            enabled = shared or user is None or user.enabled or user.policy_locked
            observed[address] = observe(record, user, shared, enabled)
            self.facts[address] = self._facts(record, user, shared, enabled, statistics)
        self._read_done = True
        return observed

    def _statistics(self, records: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
        """Get-MailboxStatistics, one pipeline per database, keyed by mailbox GUID."""
        databases = sorted(
            {*self.config.databases, *(str(r["Database"]) for r in records if r.get("Database"))}
        )
        found: dict[str, Mapping[str, Any]] = {}
        for database in databases:
            for stat in self.transport.query(statistics_invocation(database)):
                if stat.get("MailboxGuid"):
                    found[str(stat["MailboxGuid"]).lower()] = stat
        return found

    def _facts(
        self,
        record: Mapping[str, Any],
        user: Optional[ADUser],
        shared: bool,
        enabled: bool,
        statistics: Mapping[str, Mapping[str, Any]],
    ) -> dict[str, Any]:
        stat = statistics.get(str(record.get("ExchangeGuid") or "").lower(), {})
        last_logon = stat.get("LastLogonTime")
        ad_logon = iso(user.last_logon, UTC) if user else None
        times = [t for t in (str(last_logon) if last_logon else None, ad_logon) if t]
        return {
            "dn": record.get("DistinguishedName"),
            "shared": shared,
            "enabled": enabled,
            "mailbox": True,
            "database": str(record.get("Database") or "") or None,
            # The mailbox's own quota; None while the database's defaults apply (R-30 needs its own).
            "quota_mb": None
            if as_bool(record.get("UseDatabaseQuotaDefaults"))
            else size_mb(record.get("ProhibitSendReceiveQuota")),
            "used_mb": size_mb(stat.get("TotalItemSize")) if stat else None,
            "sam_account_name": user.sam_account_name if user else None,
            "created": iso(user.created, UTC) if user else None,
            # LastLogonTime is stamped by background assistants too; AD's lastLogonTimestamp
            # (replicated, up to ~14 days late) is the other half of "not accessed".
            "last_login": str(last_logon) if last_logon else None,
            "last_logon_ad": ad_logon,
            "last_access": max(times) if times else None,
            "password_changed": iso(user.password_changed, UTC) if user else None,
            "password_issued": iso(user.password_issued, UTC) if user else None,
            "must_change_password": bool(user and user.must_change_password and not shared),
            "locked": bool(user and user.policy_locked),
        }

    # --- apply -----------------------------------------------------------------------------------
    def apply(self, changes: Sequence[Change], passwords: Mapping[str, str]) -> list[Result]:
        """Carry out ``changes``; one ``Result`` per change, in order.

        Per batch of ``batch_size`` changes: (1) AD disables first (nobody keeps access while the
        rest runs); (2) the cmdlets of every change as the statements of one pipeline — persons
        ``New-Mailbox`` (User set, ``-ResetPasswordOnNextLogon $true``, R-40) then ``Set-Mailbox``
        for quotas, sizes and the issue record, agencies and departments ``New-Mailbox -Shared``,
        updates ``Set-Mailbox``/``Set-User``, purges ``Remove-Mailbox`` (the AD user goes with it;
        Exchange keeps the disconnected mailbox for its retention period); (3) AD enables and the
        disabling of new accounts that should start disabled. Whatever did not clearly succeed
        (an error record, a dropped connection) is checked by one re-read at the end: a change is
        reported done only when the system now holds what the plan wanted. Every step is
        idempotent or guarded by the plan, so a re-run finishes what a failure left.
        """
        if not self._read_done:
            self.read()
        now = self._clock()
        new = [c.address for c in changes if c.action == CREATE]
        sam_names = self._sam_names(new) if new else {}
        steps = [self._prepare(change, passwords, now, sam_names) for change in changes]
        size = max(1, self.config.exchange.batch_size)
        for start in range(0, len(steps), size):
            self._run_batch(steps[start : start + size])
        self._finish_disabled_creates([s for s in steps if s.error is None and s.ad_after is False])
        if any(s.unsure for s in steps):
            self._verify(steps)
        for step in steps:
            account = step.change.account
            if step.change.action == CREATE and not account.shared and self._created(step):
                self.password_set.add(account.address)
        return [Result(s.change.address, s.change.action, s.error is None, s.error) for s in steps]

    def _created(self, step: Step) -> bool:
        """Whether a person's mailbox now exists (so it holds the initial password)."""
        if step.unsure or step.error is not None:
            # Unknown after a failed check: count it as made, so the password is recorded (the next
            # run reuses it for this person rather than issuing a second one).
            return self._reread_failed or step.change.address in self._mailboxes
        return True

    def _prepare(
        self,
        change: Change,
        passwords: Mapping[str, str],
        now: datetime.datetime,
        sam_names: Mapping[str, str],
    ) -> Step:
        if change.action == CREATE:
            owner = self._in_use.get(change.address)
            if owner is not None:
                return Step(change, error=f"the address is already used by the mailbox {owner}: nothing done")
            if change.address not in sam_names:
                return Step(change, error=f"not attempted: {self._sam_error}")
            return step_for(
                change,
                managed_ou=self.config.ad.managed_ou,
                now=now,
                password=passwords.get(change.account.holder_id),
                database=self._database(),
                sam_account_name=sam_names[change.address],
            )
        return step_for(change, managed_ou=self.config.ad.managed_ou, now=now)

    def _database(self) -> Optional[str]:
        """The configured database holding the fewest managed mailboxes (counting this run's)."""
        if not self.config.databases:
            return None
        counts = {db: 0 for db in self.config.databases}
        for record in self._mailboxes.values():
            db = str(record.get("Database") or "")
            if db in counts:
                counts[db] += 1
        for db, extra in self._planned_databases.items():
            counts[db] = counts.get(db, 0) + extra
        chosen = min(self.config.databases, key=lambda db: (counts[db], db))
        self._planned_databases[chosen] = self._planned_databases.get(chosen, 0) + 1
        return chosen

    def _sam_names(self, addresses: list[str]) -> dict[str, str]:
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

    def _run_batch(self, batch: list[Step]) -> None:
        for step in batch:
            if step.error is None and step.ad_before is not None:
                step.error = self._set_enabled(step.change.address, step.ad_before)
        live = [s for s in batch if s.error is None and s.invocations]
        invocations = [inv for s in live for inv in s.invocations]
        if invocations:
            outcomes = self.transport.run(invocations, batch_size=len(invocations))
            position = 0
            for step in live:
                mine = outcomes[position : position + len(step.invocations)]
                position += len(step.invocations)
                failed = [o for o in mine if o.status == FAILED]
                if failed:
                    step.error = "; ".join(f"{o.invocation.cmdlet}: {o.error}" for o in failed)
                elif any(o.status != OK for o in mine):
                    step.error = next(o.error for o in mine if o.status != OK)
                    step.unsure = True
                if step.error is not None and step.change.action == CREATE:
                    step.unsure = True  # was the mailbox made (and the password set) before the error?
        for step in batch:
            if step.error is None and step.ad_after is True:
                step.error = self._set_enabled(step.change.address, True)

    def _set_enabled(self, address: str, enabled: bool) -> Optional[str]:
        record = self._mailboxes.get(address)
        user = self._users.get(str((record or {}).get("DistinguishedName") or "").lower())
        if user is None:
            return f"no AD account found for {address}"
        error = self.directory.set_enabled(user, enabled)
        if error is None:
            uac = (
                user.user_account_control & ~ACCOUNTDISABLE
                if enabled
                else user.user_account_control | ACCOUNTDISABLE
            )
            self._users[user.dn.lower()] = dataclasses.replace(
                user, user_account_control=uac, policy_lock=None
            )
        return error

    def _finish_disabled_creates(self, steps: list[Step]) -> None:
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

    def _verify(self, steps: list[Step]) -> None:
        """One re-read; a change that did not clearly succeed is done when the system holds what the
        plan wanted (else its error stays, and the next run's plan finishes it)."""
        try:
            observed = self.read()
        except BackendError as exc:
            self._reread_failed = True
            for step in steps:
                if step.unsure:
                    step.error = f"{step.error}; the check afterwards failed too: {exc}"
            return
        for step in steps:
            if step.unsure and self._done(step.change, observed):
                step.error = None

    def _done(self, change: Change, observed: Mapping[str, Observed]) -> bool:
        have = observed.get(change.address)
        account = change.account
        if change.action == REMOVE:
            return have is None
        if have is None:
            return False
        if change.action == DISABLE and account.state == STATE_REMOVED:
            return not have.enabled
        want = self.render(account)
        return have.enabled == account.enabled and all(have.attributes.get(k) == v for k, v in want.items())

    def addresses_in_use(self) -> set[str]:
        """Every SMTP address in the domain's AD, managed or not: one paged search (allocation)."""
        try:
            return self.directory.addresses_in_use()
        except ADError as exc:
            raise BackendError(str(exc)) from None

    # --- quota only (danang.mail.quota) ---------------------------------------------------------
    def set_quotas(self, quotas: Mapping[str, int]) -> list[Result]:
        """The quota (MB) of each address seen by ``read()``: one Set-Mailbox each, batched."""
        results: dict[str, Result] = {}
        invocations = []
        for address, megabytes in quotas.items():
            if address not in self._mailboxes:
                results[address] = Result(address, "quota", False, "no such mailbox")
                continue
            invocations.append(quota_invocation(address, megabytes))
        for outcome in self.transport.run(invocations, batch_size=self.config.exchange.batch_size):
            address = outcome.invocation.key or ""
            results[address] = Result(address, "quota", outcome.status == OK, outcome.error)
        return [results[a] for a in quotas]

    def close(self) -> None:
        self.transport.close()
        self.directory.close()
