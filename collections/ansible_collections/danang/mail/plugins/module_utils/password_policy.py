# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The password rules of Điều 8 and Điều 11.2.h as pure decisions (R-40, R-41, R-44, R-47).

Input: every person account's password facts, read in bulk from one system (``PasswordFacts``,
backend-neutral), the run's clock ``now`` and the working-day calendar. Output: one ``Finding`` per
account that needs something, with the rule, the day it became due and what to do. No I/O here:
the backends read facts and apply locks and resets (``backends/password_base.py``).

The rules, counted on the city's calendar (UTC+7):

- R-41, initial or reset password unchanged: the holder has the 3 working days after the day of
  issue (that day not counted, ``workdays``); the lock is due the day after the third.
- R-41, password unchanged for 6 months: due on the same day of the month 6 months after the day
  of the last change (the month's last day when it has no such day: 31/8 -> 28 or 29/2).
- R-44, unchanged for 3 months: warn from 3 months on (a recommendation: never a lock).

A lock is administrator-only: only a reset (a new generated password, forced change at next login,
R-40) lifts it. Accounts not in the desired state are reported but never changed (as in
``danang.mail.mailbox``); disabled accounts are left alone (they cannot log in anyway).
"""

from __future__ import annotations

import calendar as _months
import datetime
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Optional, Protocol

from ansible_collections.danang.mail.plugins.module_utils.model import CITY_TIMEZONE
from ansible_collections.danang.mail.plugins.module_utils.times import iso

INITIAL_WORKING_DAYS = 3
LOCK_MONTHS = 6
WARN_MONTHS = 3

# Reasons (stable codes; the report templates give them their Vietnamese wording).
INITIAL_UNCHANGED = "initial_password_unchanged"
UNCHANGED_6_MONTHS = "unchanged_6_months"
UNCHANGED_3_MONTHS = "unchanged_3_months"
NO_CHANGE_TIME = "no_change_time"  # the system keeps no time: cannot judge, never locked
LOCK_REASONS = (INITIAL_UNCHANGED, UNCHANGED_6_MONTHS)
REASON_TEXT = {
    INITIAL_UNCHANGED: (
        f"initial or reset password not changed within {INITIAL_WORKING_DAYS} working days (R-41)"
    ),
    UNCHANGED_6_MONTHS: f"password not changed for {LOCK_MONTHS} months (R-41)",
    UNCHANGED_3_MONTHS: f"password not changed for {WARN_MONTHS} months: change it (R-44)",
    NO_CHANGE_TIME: "the system records no password change time: cannot be judged",
}

# Actions.
LOCK = "lock"  # to be locked by this run
LOCKED = "locked"  # already locked (by an earlier run, or by an administrator)
WARN = "warn"
RESET = "reset"  # asked for: new password, forced change, unlocked
REPORT = "report"  # due for a lock but not in the desired state: reported, never changed
MODES = ("audit", "enforce")


class Calendar(Protocol):
    def add_working_days(self, start: datetime.date, n: int) -> datetime.date: ...


@dataclass(frozen=True)
class PasswordFacts:
    """What one system says about one person account's password; times are aware datetimes.

    ``must_change``: the current password was issued by an administrator (initial or reset) and not
    changed since (R-40). ``issued_at``: when that password was issued (None unless must_change).
    ``changed_at``: when the current password was set, by anyone. ``locked``: locked so that only
    an administrator unlocks (OBM ``pwdAccountLockedTime: 000001010000Z``). A temporary lockout
    after failed logins is not a lock here.
    """

    address: str
    system: str
    enabled: bool
    must_change: bool
    issued_at: Optional[datetime.datetime]
    changed_at: Optional[datetime.datetime]
    locked: bool
    last_login: Optional[datetime.datetime] = None


@dataclass(frozen=True)
class Holder:
    """Who holds an address, from the desired state and the ledger (for the report and R-43)."""

    holder_id: str
    agency: str
    agency_name: str
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    address: str
    system: str
    action: str
    reason: Optional[str]
    due: Optional[datetime.date]  # the city day the rule became due (R-47 "since when")
    counted_from: Optional[datetime.datetime]  # issue or change time the rule counts from
    holder: Optional[Holder]
    facts: PasswordFacts

    def as_dict(self) -> dict[str, Any]:
        holder = self.holder
        return {
            "address": self.address,
            "system": self.system,
            "action": self.action,
            "reason": self.reason,
            "reason_text": REASON_TEXT.get(self.reason or ""),
            "due": self.due.isoformat() if self.due else None,
            "counted_from": iso(self.counted_from, CITY_TIMEZONE),
            "holder_id": holder.holder_id if holder else None,
            "agency": holder.agency if holder else None,
            "agency_name": holder.agency_name if holder else None,
            "managed": holder is not None,
            "must_change": self.facts.must_change,
            "locked": self.facts.locked,
            "last_login": iso(self.facts.last_login, CITY_TIMEZONE),
        }


def city_day(moment: datetime.datetime) -> datetime.date:
    if moment.tzinfo is None:
        raise ValueError("times must carry their time zone")
    return moment.astimezone(CITY_TIMEZONE).date()


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later, or the month's last day when it has none."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, _months.monthrange(year, month)[1]))


def rule(
    facts: PasswordFacts, today: datetime.date, calendar: Calendar
) -> tuple[Optional[str], Optional[datetime.date], Optional[datetime.datetime]]:
    """The rule ``facts`` break on ``today``: (reason, day it became due, time counted from).

    A lock rule wins over the warning; of two lock rules, the one due first.
    """
    due_locks: list[tuple[datetime.date, str, datetime.datetime]] = []
    if facts.must_change and facts.issued_at is not None:
        deadline = calendar.add_working_days(city_day(facts.issued_at), INITIAL_WORKING_DAYS)
        due = deadline + datetime.timedelta(days=1)
        if today >= due:
            due_locks.append((due, INITIAL_UNCHANGED, facts.issued_at))
    changed = facts.changed_at or (facts.issued_at if facts.must_change else None)
    if changed is None:
        return NO_CHANGE_TIME, None, None
    lock_due = add_months(city_day(changed), LOCK_MONTHS)
    if today >= lock_due:
        due_locks.append((lock_due, UNCHANGED_6_MONTHS, changed))
    if due_locks:
        due, reason, since = min(due_locks)
        return reason, due, since
    warn_due = add_months(city_day(changed), WARN_MONTHS)
    if today >= warn_due and not facts.must_change:
        return UNCHANGED_3_MONTHS, warn_due, changed
    return None, None, None


def evaluate(
    facts: Mapping[str, PasswordFacts],
    *,
    now: datetime.datetime,
    calendar: Calendar,
    holders: Mapping[str, Holder],
    resets: Collection[str] = (),
) -> list[Finding]:
    """One finding per account that breaks a rule, is locked, or is to be reset; address order.

    ``holders``: the accounts of the desired state (address -> holder); others are reported only.
    ``resets``: addresses to reset (they must be in ``holders``; the module checks).
    """
    today = city_day(now)
    findings: list[Finding] = []
    for address in sorted(facts):
        item = facts[address]
        holder = holders.get(address)
        reason, due, since = rule(item, today, calendar)
        if address in resets:
            action: Optional[str] = RESET
        elif not item.enabled:
            continue
        elif reason in LOCK_REASONS:
            action = LOCKED if item.locked else LOCK if holder is not None else REPORT
        elif item.locked:
            action = LOCKED
        elif reason is not None:
            action = WARN
        else:
            continue
        findings.append(Finding(address, item.system, action, reason, due, since, holder, item))
    return findings


def in_report(action: str, reason: Optional[str]) -> bool:
    """Whether an account is on the list of R-47 after this run: it kept an initial password past
    its 3 working days, or a password for 6 months, and is not being reset."""
    return reason in LOCK_REASONS and action in (LOCK, LOCKED, REPORT)


def report_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The R-47 list (mailbox, agency, reason, since when) from result rows (``Finding.as_dict``)."""
    return [dict(row) for row in rows if in_report(row["action"], row["reason"])]


def summary(findings: list[Finding], checked: int) -> dict[str, int]:
    counts = {"checked": checked, LOCK: 0, LOCKED: 0, WARN: 0, RESET: 0, REPORT: 0}
    for finding in findings:
        counts[finding.action] += 1
    counts["reported"] = sum(1 for finding in findings if in_report(finding.action, finding.reason))
    return counts


def holders_of(accounts: Mapping[str, Any], agency_names: Mapping[str, str]) -> dict[str, Holder]:
    """The person accounts of the desired state (``accounts.desired_accounts``) as ``Holder`` values."""
    return {
        address: Holder(
            account.holder_id,
            account.agency,
            agency_names.get(account.agency, account.agency),
            account.password_names,
        )
        for address, account in accounts.items()
        if not account.shared
    }


def resolve_resets(requests: Collection[str], holders: Mapping[str, Holder]) -> tuple[list[str], list[str]]:
    """The addresses to reset, from holder ids or addresses; and one problem per request not found."""
    by_holder = {holder.holder_id: address for address, holder in holders.items()}
    addresses: list[str] = []
    problems: list[str] = []
    for request in requests:
        text = str(request).strip()
        address = text.lower() if "@" in text else by_holder.get(text)
        if address is None or address not in holders:
            problems.append(f"resets: {text!r} is not a person of the desired state (holder id or address)")
        elif address not in addresses:
            addresses.append(address)
    return addresses, problems
