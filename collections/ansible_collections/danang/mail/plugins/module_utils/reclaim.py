# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reclaiming idle personal mailboxes (R-23, R-03): the rule, pure, with no I/O.

A personal mailbox not used for ``idle_months`` calendar months since it was created or last
accessed is reclaimed; its address stays with its holder for ever (R-03). Per system where the
person has an account, ``since`` is the later of the account's creation and its last access, as a
date on the city's clock; the system's due date is ``since`` plus ``idle_months`` calendar months
(a day the target month lacks -> that month's last day). A person on both systems is idle only if
idle on both, so the person's due date is the later one. The holder is warned from ``due -
warn_days``, the mailbox is reclaimed on or after ``due`` and purged on or after ``reclaimed_on +
grace_days``.

A new request (R-20) restarts the clock: ``since`` is never before the person's ``requested_on``,
so a mailbox brought back is not reclaimed again the next day for its old idleness.

A system that cannot say when an account was made gives no due date: such a person is never
reclaimed, and the decision says why (the operator looks at it).
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.model import CITY_TIMEZONE

NONE = "none"
WARN = "warn"
RECLAIM = "reclaim"
PURGE = "purge"
ACTIONS = (NONE, WARN, RECLAIM, PURGE)

# What a notice records (sent in a later issue): a warning, a reclaim, a purge.
NOTICE_WARN = "warn"
NOTICE_RECLAIMED = "reclaimed"
NOTICE_PURGED = "purged"


@dataclass(frozen=True)
class Policy:
    """The numbers of the policy (module options, playbook variables)."""

    idle_months: int = 3
    warn_days: int = 14
    grace_days: int = 30


@dataclass(frozen=True)
class Use:
    """What one system knows of one account: when it was made and last used (aware), and whether it
    carries this system's reclaim marker."""

    created: Optional[datetime.datetime]
    last_access: Optional[datetime.datetime]
    reclaimed: bool = False


@dataclass(frozen=True)
class Decision:
    """What to do with one person's mailbox today, and the dates it was decided from."""

    holder_id: str
    address: str
    action: str
    due: Optional[datetime.date]  # the reclaim date; None: never (see reason)
    purge_on: Optional[datetime.date]  # reclaimed_on + grace_days, once reclaimed
    reason: str
    systems: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The systems whose account still needs this action (a half-done reclaim is completed).
    targets: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "holder_id": self.holder_id,
            "address": self.address,
            "action": self.action,
            "due": _text(self.due),
            "purge_on": _text(self.purge_on),
            "reason": self.reason,
            "systems": self.systems,
            "targets": list(self.targets),
        }


@dataclass(frozen=True, order=True)
class Notice:
    """One thing the holder (and the agency, if it has a mailbox) must be told; recorded once."""

    address: str
    kind: str
    due: datetime.date
    agency_address: Optional[str] = None

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.address, self.kind, self.due.isoformat())

    def as_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "agency_address": self.agency_address,
            "kind": self.kind,
            "due": self.due.isoformat(),
        }


def _text(day: Optional[datetime.date]) -> Optional[str]:
    return day.isoformat() if day is not None else None


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` plus ``months`` calendar months; 31 January + 1 month is the last day of February."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(day.day, last))


def city_date(moment: datetime.datetime) -> datetime.date:
    """The day of ``moment`` on the city's clock; a naive moment cannot be placed and is refused."""
    if moment.tzinfo is None:
        raise ValueError(f"a naive time cannot be placed on the city's clock: {moment.isoformat()}")
    return moment.astimezone(CITY_TIMEZONE).date()


def parse_moment(value: Optional[str]) -> Optional[datetime.datetime]:
    """An ISO 8601 fact (``2026-11-29T04:59:13Z``) as an aware datetime; None stays None."""
    if value is None:
        return None
    moment = datetime.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"a time without its zone: {value}")
    return moment


def system_due(
    use: Use, policy: Policy, requested_on: Optional[datetime.date] = None
) -> tuple[Optional[datetime.date], Optional[datetime.date]]:
    """``(since, due)`` of one account; both None when the system cannot say when it was made."""
    if use.created is None:
        return None, None
    since = city_date(use.created)
    if use.last_access is not None:
        since = max(since, city_date(use.last_access))
    if requested_on is not None:
        since = max(since, requested_on)
    return since, add_months(since, policy.idle_months)


def decide(
    holder_id: str,
    address: str,
    uses: Mapping[str, Use],
    today: datetime.date,
    policy: Policy,
    reclaimed_on: Optional[datetime.date] = None,
    requested_on: Optional[datetime.date] = None,
) -> Decision:
    """The decision for one person on ``today`` (the city's date).

    ``uses`` maps each system where the person has an account to what it knows; ``reclaimed_on``
    is the ledger's date when the ledger already says ``reclaimed``; ``requested_on`` the person's
    (latest) request.
    """
    systems: dict[str, dict[str, Any]] = {}
    dues: list[Optional[datetime.date]] = []
    for system in sorted(uses):
        use = uses[system]
        since, due = system_due(use, policy, requested_on)
        dues.append(due)
        systems[system] = {
            "created": use.created.isoformat() if use.created else None,
            "last_access": use.last_access.isoformat() if use.last_access else None,
            "since": _text(since),
            "due": _text(due),
            "reclaimed": use.reclaimed,
        }

    def made(action: str, reason: str, **dates: Any) -> Decision:
        return Decision(holder_id, address, action, reason=reason, systems=systems, **dates)

    if reclaimed_on is not None:
        purge_on = reclaimed_on + datetime.timedelta(days=policy.grace_days)
        if not uses:
            return made(NONE, "purged: no account left on any system", due=None, purge_on=purge_on)
        if today >= purge_on:
            reason = f"reclaimed on {reclaimed_on}; the grace period ended on {purge_on}"
            return made(PURGE, reason, due=None, purge_on=purge_on, targets=tuple(sorted(uses)))
        pending = tuple(s for s in sorted(uses) if not uses[s].reclaimed)
        if pending:  # a reclaim stopped half-way is completed, never undone
            reason = f"reclaimed on {reclaimed_on} but not yet on {', '.join(pending)}"
            return made(RECLAIM, reason, due=None, purge_on=purge_on, targets=pending)
        return made(NONE, f"reclaimed on {reclaimed_on}; purged on {purge_on}", due=None, purge_on=purge_on)
    if not uses:
        return made(NONE, "no account on any system", due=None, purge_on=None)
    if any(due is None for due in dues):
        unknown = ", ".join(s for s in systems if systems[s]["due"] is None)
        reason = f"never reclaimed: {unknown} cannot say when the account was created"
        return made(NONE, reason, due=None, purge_on=None)
    due = max(d for d in dues if d is not None)  # idle only if idle on every system
    if today >= due:
        purge_on = today + datetime.timedelta(days=policy.grace_days)  # reclaimed today
        reason = f"not used on any system for {policy.idle_months} months (due on {due})"
        return made(RECLAIM, reason, due=due, purge_on=purge_on, targets=tuple(sorted(uses)))
    if today >= due - datetime.timedelta(days=policy.warn_days):
        return made(WARN, f"reclaimed on {due} unless used before", due=due, purge_on=None)
    return made(NONE, f"in use; due on {due}", due=due, purge_on=None)


def notices(
    decision: Decision,
    done: bool,
    agency_address: Optional[str] = None,
) -> list[Notice]:
    """The notices one decision gives: a warning (with the reclaim date), a reclaim or a purge (with
    the purge date) once ``done`` (carried out, or the ledger already says so)."""
    if decision.action == WARN and decision.due is not None:
        return [Notice(decision.address, NOTICE_WARN, decision.due, agency_address)]
    if decision.action == RECLAIM and done and decision.purge_on is not None:
        return [Notice(decision.address, NOTICE_RECLAIMED, decision.purge_on, agency_address)]
    if decision.action == PURGE and done and decision.purge_on is not None:
        return [Notice(decision.address, NOTICE_PURGED, decision.purge_on, agency_address)]
    return []
