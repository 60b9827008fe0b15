# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reporting periods of R-60 and their due dates.

R-60: a six-monthly report (the first half year is due to the centre by 10 July and to the
Department by 20 July) and an annual one (10 and 20 January of the next year). The second half
year's report is due on the same January dates as the annual one.
"""

from __future__ import annotations

import datetime
import re

from ansible_collections.danang.mail.plugins.module_utils.model import Problem, ValidationFailed, excerpt
from ansible_collections.danang.mail.plugins.module_utils.report_model import Period

_NAME = re.compile(r"(20[0-9]{2})(H[12])?")
CENTRE_DAY = 10  # the centre's report
DEPARTMENT_DAY = 20  # the Department's


PREVIOUS_HALF = "previous-half"
PREVIOUS_YEAR = "previous-year"


def previous(word: str, today: datetime.date) -> str:
    """The last half year or year that ended before ``today`` (the city's date): what a scheduled
    run on 1 July or 1 January reports on."""
    if word == PREVIOUS_YEAR:
        return str(today.year - 1)
    return f"{today.year}H1" if today.month > 6 else f"{today.year - 1}H2"


def parse_period(value: object, today: datetime.date | None = None) -> Period:
    """``2026H1``, ``2026H2`` or ``2026`` as a ``Period``; with ``today``, also ``previous-half`` and
    ``previous-year`` (see ``previous``). Anything else raises ``ValidationFailed`` naming the value."""
    text = value.strip() if isinstance(value, str) else None
    if today is not None and text in (PREVIOUS_HALF, PREVIOUS_YEAR):
        text = previous(text, today)
    match = _NAME.fullmatch(text) if text is not None else None
    if match is None:
        message = (
            f"must be a half year YYYYH1 or YYYYH2, a year YYYY (R-60), {PREVIOUS_HALF} or "
            f"{PREVIOUS_YEAR}, not {excerpt(value)}"
        )
        raise ValidationFailed([Problem("period", "", "", message)])
    year, half = int(match.group(1)), match.group(2)
    if half == "H1":
        first, last = datetime.date(year, 1, 1), datetime.date(year, 6, 30)
        due_year, due_month = year, 7
    else:
        first = datetime.date(year, 7, 1) if half == "H2" else datetime.date(year, 1, 1)
        last = datetime.date(year, 12, 31)
        due_year, due_month = year + 1, 1
    return Period(
        name=match.group(0),
        first=first,
        last=last,
        due_centre=datetime.date(due_year, due_month, CENTRE_DAY),
        due_department=datetime.date(due_year, due_month, DEPARTMENT_DAY),
    )


def contains(period: Period, day: datetime.date) -> bool:
    return period.first <= day <= period.last


def period_text(period: Period) -> str:
    """The period in Vietnamese words, for titles."""
    year = period.first.year
    if period.name.endswith("H1"):
        return f"6 tháng đầu năm {year}"
    if period.name.endswith("H2"):
        return f"6 tháng cuối năm {year}"
    return f"năm {year}"
