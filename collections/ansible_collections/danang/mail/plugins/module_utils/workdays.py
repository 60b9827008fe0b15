# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Vietnamese civil-service working-day calendar (R-22, R-41).

A day is a working day unless it is a Saturday or Sunday, a public holiday of the ``holidays``
package's Vietnam calendar (New Year, Tết, Hùng Kings, 30/4, 1/5, 2/9 and its adjacent day, with
make-up days), or a decreed day off; a decreed working Saturday is a working day. Decreed days come
from three layers, the later winning for a date:

1. ``holidays.VN`` (pinned ``holidays==0.109`` in requirements.txt), its swaps included;
2. the list shipped with the collection (``workdays_overrides.py``: date, off or working, decree);
3. the environment's file (``load_overrides``), for a decree newer than the collection.

Each list says up to which year it was reviewed (``reviewed_through``, the later of the two). Asking
about a later year still answers from the package, and records one warning per year in
``WorkingCalendar.warnings`` so that the modules report it: swaps of that year may be missing.
"""

from __future__ import annotations

import datetime
import traceback
from dataclasses import dataclass
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils import strict_yaml, workdays_overrides
from ansible_collections.danang.mail.plugins.module_utils.model import Problem, ValidationFailed

try:
    import holidays

    HAS_HOLIDAYS = True
    HOLIDAYS_IMPORT_ERROR: Optional[str] = None
except ImportError:  # the modules report it with missing_required_lib('holidays')
    HAS_HOLIDAYS = False
    HOLIDAYS_IMPORT_ERROR = traceback.format_exc()

OFF, WORKING = "off", "working"


@dataclass(frozen=True)
class DayOverride:
    """A decreed day off or working day."""

    day: datetime.date
    working: bool
    decree: str


@dataclass(frozen=True)
class Overrides:
    days: tuple[DayOverride, ...]
    reviewed_through: int
    source: str


def _shipped() -> Overrides:
    days = tuple(
        DayOverride(datetime.date.fromisoformat(day), kind == WORKING, decree)
        for day, kind, decree in workdays_overrides.DAYS
    )
    return Overrides(days, workdays_overrides.REVIEWED_THROUGH, "workdays_overrides.py")


def _as_day(value: Any) -> datetime.date:
    if isinstance(value, datetime.datetime):
        raise ValueError("a date without a time")
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        return datetime.date.fromisoformat(value.strip())
    raise ValueError("a date (YYYY-MM-DD)")


def parse_overrides(data: Any, source: str) -> Overrides:
    """Validate an environment's override list (already parsed from YAML); every problem at once.

    Shape::

        reviewed_through: 2027
        days:
          - {date: 2027-02-05, day: "off", decree: "Thông báo 1234/TB-BNV (..)"}
    """
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise ValidationFailed([Problem(source, "", "", "must be a mapping with reviewed_through and days")])
    unknown = sorted(set(data) - {"reviewed_through", "days"})
    for key in unknown:
        problems.append(Problem(source, "", str(key), "unknown key (reviewed_through, days)"))
    reviewed = data.get("reviewed_through")
    if isinstance(reviewed, bool) or not isinstance(reviewed, int) or not 2000 <= reviewed <= 2200:
        problems.append(Problem(source, "", "reviewed_through", "must be a year, e.g. 2027"))
    items = data.get("days", [])
    if not isinstance(items, list):
        problems.append(Problem(source, "", "days", "must be a list"))
        items = []
    days: list[DayOverride] = []
    seen: set[datetime.date] = set()
    for index, item in enumerate(items):
        entry = f"days[{index}]"
        if not isinstance(item, dict):
            problems.append(Problem(source, entry, "", "must be a mapping with date, day and decree"))
            continue
        for key in sorted(set(item) - {"date", "day", "decree"}):
            problems.append(Problem(source, entry, str(key), "unknown key (date, day, decree)"))
        try:
            day = _as_day(item.get("date"))
        except ValueError as exc:
            problems.append(Problem(source, entry, "date", f"must be {exc}"))
            day = None
        kind = item.get("day")
        if kind not in (OFF, WORKING):
            problems.append(Problem(source, entry, "day", "must be off or working"))
        decree = item.get("decree")
        if not isinstance(decree, str) or not decree.strip():
            problems.append(Problem(source, entry, "decree", "must name the decree or notice it comes from"))
        if day is not None and day in seen:
            problems.append(Problem(source, entry, "date", f"{day} is listed twice"))
        if day is not None and kind in (OFF, WORKING) and isinstance(decree, str) and decree.strip():
            seen.add(day)
            days.append(DayOverride(day, kind == WORKING, decree.strip()))
    if problems:
        raise ValidationFailed(problems)
    return Overrides(tuple(days), int(reviewed), source)


def load_overrides(path: str) -> Overrides:
    """An environment's override file (YAML, see ``parse_overrides``), read by ``strict_yaml``."""
    data = strict_yaml.load_file(path, path, max_bytes=strict_yaml.FILE_MAX_BYTES, dates=True)
    return parse_overrides(data, path)


class WorkingCalendar:
    """Working days of the Vietnamese civil service.

    ``overrides``: the environment's list (``load_overrides``), applied over the shipped one.
    """

    def __init__(self, overrides: Optional[Overrides] = None) -> None:
        if not HAS_HOLIDAYS:
            raise RuntimeError("the Python library holidays is needed for the working-day calendar")
        layers = [_shipped()] + ([overrides] if overrides is not None else [])
        self._days: dict[datetime.date, DayOverride] = {}
        for layer in layers:
            self._days.update((item.day, item) for item in layer.days)
        self.reviewed_through = max(layer.reviewed_through for layer in layers)
        self._public = holidays.VN()  # years are filled in on first use
        self._warned: set[int] = set()
        self.warnings: list[str] = []

    def decree(self, day: datetime.date) -> Optional[str]:
        """The decree that makes ``day`` off or working, when an override list names it."""
        found = self._days.get(day)
        return found.decree if found else None

    def is_working_day(self, day: datetime.date) -> bool:
        if isinstance(day, datetime.datetime):
            day = day.date()
        if day.year > self.reviewed_through and day.year not in self._warned:
            self._warned.add(day.year)
            self.warnings.append(
                f"the working-day calendar was reviewed through {self.reviewed_through}; days in "
                f"{day.year} come from the holidays package alone and may miss a decreed swap (add "
                "them to the calendar overrides and raise reviewed_through)"
            )
        found = self._days.get(day)
        if found is not None:
            return found.working
        return bool(self._public.is_working_day(day))

    def add_working_days(self, start: datetime.date, n: int) -> datetime.date:
        """The ``n``-th working day after ``start`` (``start`` itself not counted; n >= 1)."""
        if isinstance(start, datetime.datetime):
            start = start.date()
        if n < 1:
            raise ValueError("n must be at least 1")
        day, counted = start, 0
        while counted < n:
            day += datetime.timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day
