# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run of danang.mail.reclaim (R-23): read each system once, decide per person, carry it out.

The module is the edge (options, locks, exit); this holds the steps between: which accounts are
judged (personal mailboxes of active persons, and those the ledger says are reclaimed), the
decisions (``reclaim.decide``), the calls of the backend contract (``Reclaim``: ``reclaim``,
``purge``), the ledger lines to rewrite and the notices. Only the contract is used, so every system
that implements it is handled the same way.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils import reclaim
from ansible_collections.danang.mail.plugins.module_utils.accounts import Account, desired_accounts
from ansible_collections.danang.mail.plugins.module_utils.backends.contract import MailSystem, Result
from ansible_collections.danang.mail.plugins.module_utils.ledger import RECLAIMED, Ledger
from ansible_collections.danang.mail.plugins.module_utils.model import (
    KIND_PERSON,
    STATE_ACTIVE,
    STATE_RECLAIMED,
    DesiredState,
    Problem,
)

JUDGED_STATES = (STATE_ACTIVE, STATE_RECLAIMED)  # disabled and removed persons are the reconcile's


@dataclass
class Run:
    """The outcome of one run: decisions, what was done, the ledger statuses to write, the notices."""

    decisions: list[reclaim.Decision] = field(default_factory=list)
    accounts: dict[str, dict[str, Account]] = field(default_factory=dict)  # system -> address -> account
    results: dict[tuple[str, str], Result] = field(default_factory=dict)  # (system, address) -> result
    statuses: dict[str, str] = field(default_factory=dict)  # address -> new ledger status
    notices: list[reclaim.Notice] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def done(self, decision: reclaim.Decision) -> bool:
        """Carried out on at least one system, with no failure (a purge: on all of them)."""
        mine = [
            self.results[(s, decision.address)]
            for s in decision.targets
            if (s, decision.address) in self.results
        ]
        if decision.action == reclaim.PURGE:
            return bool(mine) and all(r.ok for r in mine)
        return any(r.ok for r in mine)


def judged_accounts(
    state: DesiredState, ledger: Ledger, systems: Sequence[str], scope: Sequence[str]
) -> tuple[dict[str, dict[str, Account]], list[Problem]]:
    """Per system, the personal accounts the rule applies to, keyed by address."""
    found: dict[str, dict[str, Account]] = {}
    problems: list[Problem] = []
    for system in systems:
        accounts, more = desired_accounts(
            state, ledger.holders(), system=system, agencies=scope or None, reclaimed=ledger.reclaimed()
        )
        problems += [p for p in more if p not in problems]
        found[system] = {
            a: acc for a, acc in accounts.items() if acc.kind == KIND_PERSON and acc.state in JUDGED_STATES
        }
    return found, problems


def _use(facts: Any) -> reclaim.Use:
    return reclaim.Use(
        created=reclaim.parse_moment(facts.created),
        last_access=reclaim.parse_moment(facts.last_access),
        reclaimed=bool(facts.reclaimed),
    )


def decide_all(
    state: DesiredState,
    accounts: Mapping[str, Mapping[str, Account]],
    facts: Mapping[str, Mapping[str, Any]],
    ledger: Ledger,
    today: datetime.date,
    policy: reclaim.Policy,
) -> list[reclaim.Decision]:
    """One decision per person, in address order; ``facts`` is each system's ``facts`` after its read."""
    reclaimed_on = ledger.reclaimed()
    requested = {p.id: p.requested_on for p in state.people()}
    people: dict[str, Account] = {}
    for system_accounts in accounts.values():
        people.update(system_accounts)
    decisions = []
    for address in sorted(people):
        account = people[address]
        uses = {
            system: _use(facts[system][address])
            for system in accounts
            if address in accounts[system] and address in facts[system]
        }
        since = reclaimed_on.get(account.holder_id) if account.state == STATE_RECLAIMED else None
        decisions.append(
            reclaim.decide(
                account.holder_id,
                address,
                uses,
                today,
                policy,
                reclaimed_on=since,
                requested_on=requested.get(account.holder_id),
            )
        )
    return decisions


def carry_out(run: Run, backends: Mapping[str, MailSystem], bounce: str, export_dir: Optional[str]) -> None:
    """The reclaims and purges of the decisions, per system in one call each; results in ``run``."""
    for system, backend in backends.items():
        for action, call in (
            (reclaim.RECLAIM, lambda accounts, b=backend: b.reclaim(accounts, bounce)),
            (reclaim.PURGE, lambda accounts, b=backend: b.purge(accounts, export_dir)),
        ):
            targets = [
                run.accounts[system][d.address]
                for d in run.decisions
                if d.action == action and system in d.targets
            ]
            for result in call(targets) if targets else []:
                run.results[(system, result.address)] = result


def follow_up(
    run: Run,
    ledger: Ledger,
    agency_mailboxes: Mapping[str, str],
    *,
    applied: bool,
) -> None:
    """The ledger statuses and notices the decisions give; ``applied``: they were carried out
    (else, check mode or audit: what a carried-out run would record)."""
    status = {e.address: e.status for e in ledger.entries}
    for decision in run.decisions:
        done = run.done(decision) if applied else decision.action in (reclaim.RECLAIM, reclaim.PURGE)
        if decision.action == reclaim.RECLAIM and done and status.get(decision.address) != RECLAIMED:
            run.statuses[decision.address] = RECLAIMED
        agency = next((run.accounts[s][decision.address].agency for s in decision.systems), None)
        run.notices += reclaim.notices(decision, done, agency_mailboxes.get(agency or ""))


def rows(run: Run, applied: bool) -> list[dict[str, Any]]:
    """One row per person whose mailbox is warned, reclaimed, purged or cannot be judged."""
    out = []
    for decision in run.decisions:
        row = decision.as_dict()
        results = {
            s: run.results[(s, decision.address)]
            for s in decision.targets
            if (s, decision.address) in run.results
        }
        row["done"] = (
            run.done(decision) if applied and decision.action in (reclaim.RECLAIM, reclaim.PURGE) else False
        )
        row["errors"] = {s: r.error for s, r in results.items() if not r.ok and not r.pending}
        row["waiting"] = {s: r.error for s, r in results.items() if r.pending}
        out.append(row)
    return out


def summary(run: Run) -> dict[str, int]:
    counts = dict.fromkeys(reclaim.ACTIONS, 0)
    for decision in run.decisions:
        counts[decision.action] += 1
    counts["failed"] = sum(1 for r in run.results.values() if not r.ok and not r.pending)
    counts["waiting"] = sum(1 for r in run.results.values() if r.pending)
    counts["unknown"] = sum(
        1 for d in run.decisions if d.action == reclaim.NONE and d.due is None and d.purge_on is None
    )
    return counts


def agency_mailboxes(state: DesiredState, holders: Mapping[str, str]) -> dict[str, str]:
    """Agency abbreviation -> its agency mailbox address, for the agencies that have one."""
    return {
        a.abbreviation: holders[a.holder_id] for a in state.agencies if a.mailbox and a.holder_id in holders
    }


ReadFacts = Callable[[str], Mapping[str, Any]]


def diff(run: Run) -> dict[str, Any]:
    """Ansible's diff: per address reclaimed or purged, its state before and after."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for decision in run.decisions:
        if decision.action == reclaim.RECLAIM:
            before[decision.address] = {"state": "active", "systems": list(decision.targets)}
            after[decision.address] = {"state": RECLAIMED, "purge_on": decision.purge_on.isoformat()}
        elif decision.action == reclaim.PURGE:
            before[decision.address] = {"state": RECLAIMED, "systems": list(decision.targets)}
            after[decision.address] = {"state": "purged"}
    return {"before": before, "after": after}
