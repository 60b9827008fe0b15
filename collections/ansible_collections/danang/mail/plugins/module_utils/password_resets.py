# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the password policy run does with its findings: one new password per person for every
system (R-45, R-46), each system's locks and resets, the credentials to hand over, and the rows,
counts and diff the module returns. Pure: the mail systems are read and written by the caller."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ansible_collections.danang.mail.plugins.module_utils.accounts import desired_accounts
from ansible_collections.danang.mail.plugins.module_utils.model import DesiredState
from ansible_collections.danang.mail.plugins.module_utils.password_policy import (
    LOCK,
    RESET,
    Calendar,
    Finding,
    PasswordFacts,
    evaluate,
    holders_of,
    report_rows,
    resolve_resets,
    summary,
)
from ansible_collections.danang.mail.plugins.module_utils.passwords import generate_password_for
from ansible_collections.danang.mail.plugins.module_utils.personal_data import PersonalData, password_context


class Outcome(Protocol):
    """A system's answer for one lock or reset (``backends.contract.Result``)."""

    address: str
    ok: bool
    error: Any


Outcomes = Mapping[tuple[str, str], Outcome]  # (system, address) -> what that system answered


@dataclass
class Judgement:
    """Every system's findings, how many accounts were checked, and the problems that stop the run
    before anything changes."""

    findings: list[Finding] = field(default_factory=list)
    checked: int = 0
    problems: list[str] = field(default_factory=list)


def judge(
    state: DesiredState,
    ledger_holders: Mapping[str, str],
    systems: Iterable[str],
    read_facts: Callable[[str], Mapping[str, PasswordFacts]],
    *,
    now: datetime.datetime,
    calendar: Calendar,
    scope: Collection[str] = (),
    requests: Collection[str] = (),
) -> Judgement:
    """Judge each system's accounts at ``now`` (``read_facts(system)``: its password facts, one bulk
    read). A reset request must name a person of the desired state with an account on each system
    that should hold one; a person may hold accounts on one system only, so a request is unknown only
    when no system knows it."""
    agency_names = {agency.abbreviation: agency.name for agency in state.agencies}
    judged = Judgement()
    unknown: list[set[str]] = []  # per system, the requests it does not know
    for system in dict.fromkeys(systems):
        accounts, found = desired_accounts(state, ledger_holders, system=system, agencies=scope or None)
        judged.problems += [str(p) for p in found if str(p) not in judged.problems]
        holders = holders_of(accounts, agency_names)
        resets, not_here = resolve_resets(requests, holders)
        unknown.append(set(not_here))
        facts = read_facts(system)
        judged.problems += [f"resets: {a} has no account on {system}" for a in resets if a not in facts]
        judged.checked += len(facts)
        judged.findings += evaluate(facts, now=now, calendar=calendar, holders=holders, resets=set(resets))
    judged.problems += sorted(set.intersection(*unknown)) if unknown else []
    return judged


def new_passwords(
    findings: Iterable[Finding],
    personal: Mapping[str, PersonalData],
    generate: Callable[..., str] = generate_password_for,
) -> dict[str, str]:
    """Holder id -> ONE new password for each person with a reset, whatever the number of systems
    holding an account of theirs (R-45), free of their names and personal data (R-43)."""
    passwords: dict[str, str] = {}
    for finding in findings:
        holder = finding.holder
        if finding.action == RESET and holder and holder.holder_id not in passwords:
            passwords[holder.holder_id] = generate(
                names=holder.names, **password_context(personal, holder.holder_id)
            )
    return passwords


def system_actions(
    findings: Iterable[Finding], system: str, passwords: Mapping[str, str]
) -> tuple[dict[str, str], list[str]]:
    """What ``system`` must do: address -> new password for each reset, and the addresses to lock."""
    mine = [f for f in findings if f.system == system]
    resets = {f.address: passwords[f.holder.holder_id] for f in mine if f.action == RESET and f.holder}
    return resets, [f.address for f in mine if f.action == LOCK]


def carry_out(
    findings: Iterable[Finding], backends: Mapping[str, Any], passwords: Mapping[str, str]
) -> dict[tuple[str, str], Outcome]:
    """Each system's resets and locks (``backends``: system -> its open backend), every answer by
    (system, address)."""
    findings = list(findings)
    outcome: dict[tuple[str, str], Outcome] = {}
    for system, backend in backends.items():
        resets, locks = system_actions(findings, system, passwords)
        for done in backend.reset(resets) + backend.lock(locks):
            outcome[(system, done.address)] = done
    return outcome


def reset_credentials(
    findings: Iterable[Finding], outcome: Outcomes, passwords: Mapping[str, str]
) -> dict[str, dict[str, Any]]:
    """Holder id -> address, password and the systems where the reset succeeded: what the action
    plugin writes to the encrypted credentials file. A person whose resets all failed is not in it."""
    credentials: dict[str, dict[str, Any]] = {}
    for finding in findings:
        done = outcome.get((finding.system, finding.address))
        if finding.action == RESET and done is not None and done.ok and finding.holder:
            holder = finding.holder.holder_id
            entry = credentials.setdefault(
                holder, {"address": finding.address, "password": passwords[holder], "systems": []}
            )
            entry["systems"].append(finding.system)
    return credentials


def outcome_rows(findings: Iterable[Finding], outcome: Outcomes) -> list[dict[str, Any]]:
    """One row per finding, with ``ok`` and ``error`` where a system was asked to change it."""
    rows = []
    for finding in findings:
        row = finding.as_dict()
        done = outcome.get((finding.system, finding.address))
        if done is not None:
            row.update(ok=done.ok, error=done.error)
        rows.append(row)
    return rows


def changes_of(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.action in (LOCK, RESET)]


def policy_diff(findings: Iterable[Finding]) -> dict[str, dict[str, Any]]:
    """Before and after of each lock and reset, as lock and forced-change flags (never a password)."""
    changes = changes_of(findings)
    return {
        "before": {
            f"{f.system}:{f.address}": {"locked": f.facts.locked, "must_change": f.facts.must_change}
            for f in changes
        },
        "after": {
            f"{f.system}:{f.address}": {
                "locked": f.action == LOCK,
                "must_change": f.action == RESET or f.facts.must_change,
            }
            for f in changes
        },
    }


def policy_result(
    findings: Sequence[Finding], outcome: Outcomes, checked: int, *, enforce: bool, applied: bool
) -> dict[str, Any]:
    """The module's result without the clock and credentials: ``changed``, rows, R-47 report, counts."""
    rows = outcome_rows(findings, outcome)
    counts = summary(list(findings), checked)
    counts["failed"] = sum(1 for r in outcome.values() if not r.ok)
    # Applied: whether a system changed something; check mode: whether enforcing would.
    changed = any(r.ok for r in outcome.values()) if applied else enforce and bool(changes_of(findings))
    return {"changed": changed, "accounts": rows, "report": report_rows(rows), "summary": counts}


def module_result(
    findings: Sequence[Finding],
    outcome: Outcomes,
    checked: int,
    passwords: Mapping[str, str],
    *,
    enforce: bool,
    applied: bool,
    diff: bool,
) -> dict[str, Any]:
    """``policy_result`` with the holders reset (``resets``), the diff when asked, and the new
    passwords under ``_reset_credentials``: deliberately not in no_log_values, the action plugin pops
    them before anything is shown and writes them to the encrypted credentials file (as
    danang.mail.mailbox does)."""
    result = policy_result(findings, outcome, checked, enforce=enforce, applied=applied)
    credentials = reset_credentials(findings, outcome, passwords)
    result["resets"] = sorted(credentials)
    if diff:
        result["diff"] = policy_diff(findings)
    if credentials:
        result["_reset_credentials"] = credentials
    return result
