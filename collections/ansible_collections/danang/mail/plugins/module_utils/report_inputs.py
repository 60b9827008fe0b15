# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a report is computed from (R-47, R-60), as plain values: the journals read and checked, and
one bulk read of each system.

The journals are the append-only files of ``journal.py``: the notifications sent
(``desired_state/notifications/YYYY-MM.yml``, one file per month: ``key, kind, recipient,
message_id, via, state, at``; only the months overlapping the period are read), the reclaim
notices (``reclaim-notices.yml``, R-23) and the forwards stopped (``forwards-removed.yml``, R-50).
A missing journal means nothing was recorded; a line that cannot be read stops the report, naming
the file, the line and the field (a report must not quietly leave records out).
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils import journal
from ansible_collections.danang.mail.plugins.module_utils.backends.contract import AccountFacts
from ansible_collections.danang.mail.plugins.module_utils.forwarding import Forward
from ansible_collections.danang.mail.plugins.module_utils.ledger import LedgerEntry
from ansible_collections.danang.mail.plugins.module_utils.model import (
    DesiredState,
    Problem,
    ValidationFailed,
    excerpt,
)
from ansible_collections.danang.mail.plugins.module_utils.password_policy import Calendar, PasswordFacts
from ansible_collections.danang.mail.plugins.module_utils.request_records import RequestRecord

NOTIFICATION_STATES = ("sending", "sent", "failed", "found")
DELIVERED = ("sent", "found")  # a notification counts as sent once either is recorded


@dataclass(frozen=True)
class Notification:
    key: str
    kind: str
    state: str
    at: datetime.datetime  # aware


@dataclass(frozen=True)
class Recorded:
    """A line of the reclaim notices or of the stopped forwards: who, what, which day."""

    address: str
    kind: str  # reclaim: warn / reclaimed / purged; forwards: the system
    day: datetime.date
    detail: str = ""  # forwards: the mechanism


@dataclass(frozen=True)
class SystemRead:
    """One bulk read of one system: ``read()``'s facts, the password facts, the forwards, and the
    filter's counters (rspamd's ``/stat``) where the system has them (None: not available)."""

    facts: Mapping[str, AccountFacts]
    password_facts: Mapping[str, PasswordFacts]
    forwards: Sequence[Forward]
    spam: Optional[Mapping[str, Any]] = None


@dataclass(frozen=True)
class Inputs:
    state: DesiredState
    ledger: Sequence[LedgerEntry]
    records: Sequence[RequestRecord]
    systems: Mapping[str, SystemRead]
    as_of: datetime.datetime  # aware: the data's as-of time; "today" is its date in the city
    calendar: Calendar
    city_domains: Sequence[str]
    notifications: Sequence[Notification] = ()
    reclaim_notices: Sequence[Recorded] = ()
    forwards_removed: Sequence[Recorded] = ()
    idle_months: int = 3


def _text(row: Mapping[str, Any], name: str, where: str, source: str, problems: list[Problem]) -> str:
    value = row.get(name)
    if not isinstance(value, str) or not value:
        problems.append(Problem(source, where, name, f"must be non-empty text, not {excerpt(value)}"))
        return ""
    return value


def _day(
    row: Mapping[str, Any], name: str, where: str, source: str, problems: list[Problem]
) -> datetime.date:
    value = row.get(name)
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        problems.append(Problem(source, where, name, f"must be a date YYYY-MM-DD, not {excerpt(value)}"))
        return datetime.date.min


def _moment(value: Any) -> Optional[datetime.datetime]:
    try:
        moment = datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def notifications(rows: Sequence[Mapping[str, Any]], source: str) -> list[Notification]:
    """The lines of the notification journal; raises ``ValidationFailed`` for every bad line."""
    problems: list[Problem] = []
    found = []
    for index, row in enumerate(rows):
        where = f"[{index}]"
        key, kind = (_text(row, name, where, source, problems) for name in ("key", "kind"))
        state = row.get("state")
        if state not in NOTIFICATION_STATES:
            message = f"must be one of {', '.join(NOTIFICATION_STATES)}, not {excerpt(state)}"
            problems.append(Problem(source, where, "state", message))
        at = _moment(row.get("at"))
        if at is None:
            message = f"must be an ISO 8601 time with its zone, not {excerpt(row.get('at'))}"
            problems.append(Problem(source, where, "at", message))
        else:
            found.append(Notification(key, kind, str(state), at))
    if problems:
        raise ValidationFailed(problems)
    return found


def reclaim_notices(rows: Sequence[Mapping[str, Any]], source: str) -> list[Recorded]:
    """The reclaim journal's lines (``address, kind, due, recorded_on``)."""
    problems: list[Problem] = []
    found = [
        Recorded(
            _text(row, "address", f"[{i}]", source, problems),
            _text(row, "kind", f"[{i}]", source, problems),
            _day(row, "recorded_on", f"[{i}]", source, problems),
        )
        for i, row in enumerate(rows)
    ]
    if problems:
        raise ValidationFailed(problems)
    return found


def forwards_removed(rows: Sequence[Mapping[str, Any]], source: str) -> list[Recorded]:
    """The stopped forwards' lines (``system, holder, target, mechanism, removed_on``)."""
    problems: list[Problem] = []
    found = [
        Recorded(
            str(row.get("holder") or ""),  # "" for an organisation-wide transport rule
            _text(row, "system", f"[{i}]", source, problems),
            _day(row, "removed_on", f"[{i}]", source, problems),
            _text(row, "mechanism", f"[{i}]", source, problems),
        )
        for i, row in enumerate(rows)
    ]
    if problems:
        raise ValidationFailed(problems)
    return found


def read_journal(path: Optional[str]) -> list[dict[str, Any]]:
    """A journal's records; none when no path is given or the file does not exist."""
    return journal.read(path)[1] if path else []


def read_notifications(
    directory: Optional[str], first: datetime.date, last: datetime.date
) -> list[Notification]:
    """The lines of every month file of the notification journal ``directory`` from ``first``'s
    month to ``last``'s (none when no directory is given or it does not exist); the problems of
    every file are raised together, each naming its file."""
    if not directory:
        return []
    found: list[Notification] = []
    problems: list[Problem] = []
    for month, (_text, rows) in sorted(journal.read_months(directory, first, last).items()):
        try:
            found += notifications(rows, os.path.join(directory, f"{month}.yml"))
        except ValidationFailed as exc:
            problems += exc.problems
    if problems:
        raise ValidationFailed(problems)
    return found
