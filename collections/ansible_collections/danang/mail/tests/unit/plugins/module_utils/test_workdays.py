# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""workdays: the civil-service calendar across Tết 2025 and 2026 and the decreed swaps (R-22, R-41)."""

from __future__ import annotations

import datetime

import pytest
from ansible_collections.danang.mail.plugins.module_utils import workdays, workdays_overrides
from ansible_collections.danang.mail.plugins.module_utils.model import ValidationFailed
from ansible_collections.danang.mail.plugins.module_utils.workdays import (
    DayOverride,
    Overrides,
    WorkingCalendar,
    load_overrides,
    parse_overrides,
)

D = datetime.date


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return WorkingCalendar()


def test_the_pinned_holidays_package():
    # The dates below were checked against this release; a new one must be checked again.
    assert workdays.holidays.__version__ == "0.109"


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2025, 4, 26), True),  # Saturday worked (Thông báo 6150)
        (D(2025, 5, 2), False),  # Friday off in exchange
        (D(2025, 4, 30), False),
        (D(2025, 5, 1), False),
        (D(2025, 5, 3), False),  # an ordinary Saturday
        (D(2025, 5, 4), False),
        (D(2025, 5, 5), True),
        (D(2025, 4, 7), False),  # Hùng Kings, 10/3 lunar
        (D(2025, 9, 1), False),
        (D(2025, 9, 2), False),
        (D(2026, 8, 22), True),  # Saturday worked (Thông báo 9441)
        (D(2026, 8, 31), False),
        (D(2026, 4, 27), False),  # Hùng Kings on Sunday 26/4: Monday off
        (D(2026, 1, 1), False),
        (D(2026, 1, 2), True),
    ],
)
def test_days(calendar, day, working):
    assert calendar.is_working_day(day) is working


def test_tet_2025_is_monday_27_january_to_friday_31(calendar):
    week = [D(2025, 1, 25) + datetime.timedelta(days=i) for i in range(10)]  # Sat 25/1 .. Mon 3/2
    assert [d for d in week if calendar.is_working_day(d)] == [D(2025, 2, 3)]
    assert calendar.is_working_day(D(2025, 1, 24))


def test_tet_2026_is_monday_16_february_to_friday_20(calendar):
    days = [D(2026, 2, 13) + datetime.timedelta(days=i) for i in range(11)]  # Fri 13/2 .. Mon 23/2
    assert [d for d in days if calendar.is_working_day(d)] == [D(2026, 2, 13), D(2026, 2, 23)]


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        # a request of Tuesday 29 April 2025 is due on Monday 5 May (not 2 May: the swap).
        (D(2025, 4, 29), 1, D(2025, 5, 5)),
        # a password issued on 29 April 2025 has until Wednesday 7 May.
        (D(2025, 4, 29), 3, D(2025, 5, 7)),
        # Issued Thursday 24 April 2025: Friday 25, Saturday 26 (worked), Monday 28.
        (D(2025, 4, 24), 3, D(2025, 4, 28)),
        # Issued just before Tết 2025: Friday 24 January, then nothing until Monday 3 February.
        (D(2025, 1, 24), 3, D(2025, 2, 5)),
        (D(2025, 1, 25), 1, D(2025, 2, 3)),  # a Saturday start is not counted either
        # Tết 2026: issued Friday 13 February, due Wednesday 25 February.
        (D(2026, 2, 13), 3, D(2026, 2, 25)),
        # Quốc khánh 2026: issued Thursday 20 August: Friday 21, Saturday 22 (worked), Monday 24.
        (D(2026, 8, 20), 3, D(2026, 8, 24)),
        (D(2026, 8, 28), 1, D(2026, 9, 3)),  # 31/8, 1/9 and 2/9 off
    ],
)
def test_add_working_days(calendar, start, n, due):
    assert calendar.add_working_days(start, n) == due


def test_add_working_days_takes_a_datetime_and_refuses_zero(calendar):
    assert calendar.add_working_days(datetime.datetime(2025, 4, 29, 23, 59), 1) == D(2025, 5, 5)
    with pytest.raises(ValueError):
        calendar.add_working_days(D(2025, 4, 29), 0)


def test_shipped_days_are_in_force_and_name_their_decree(calendar):
    for day, kind, decree in workdays_overrides.DAYS:
        date = D.fromisoformat(day)
        assert calendar.is_working_day(date) is (kind == "working")
        assert calendar.decree(date) == decree and "/T" in decree
        assert date.year <= workdays_overrides.REVIEWED_THROUGH


def test_shipped_days_win_over_the_package(monkeypatch):
    """What 0.105 did: no 2025 swap in the package. The shipped list still gives the right days."""
    cal = WorkingCalendar()
    monkeypatch.setattr(cal._public, "is_working_day", lambda day: day.weekday() < 5)
    assert cal.is_working_day(D(2025, 4, 26)) and not cal.is_working_day(D(2025, 5, 2))
    assert not cal.is_working_day(D(2025, 1, 27))
    assert not cal.is_working_day(D(2026, 2, 18))


def test_environment_overrides_win_and_extend_the_review():
    extra = Overrides(
        (
            DayOverride(D(2027, 1, 4), False, "Thông báo 1/TB-BNV"),
            DayOverride(D(2025, 5, 2), True, "a correction"),
        ),
        2027,
        "env.yml",
    )
    cal = WorkingCalendar(extra)
    assert not cal.is_working_day(D(2027, 1, 4)) and cal.is_working_day(D(2025, 5, 2))
    assert cal.reviewed_through == 2027 and cal.warnings == []


def test_a_year_past_the_review_warns_once(calendar):
    cal = WorkingCalendar()
    cal.add_working_days(D(2026, 12, 30), 3)
    cal.is_working_day(D(2027, 3, 1))
    assert len(cal.warnings) == 1 and "2027" in cal.warnings[0] and "reviewed through 2026" in cal.warnings[0]
    cal.is_working_day(D(2028, 1, 3))
    assert len(cal.warnings) == 2


def test_load_overrides(tmp_path):
    path = tmp_path / "calendar.yml"
    path.write_text(
        "reviewed_through: 2027\n"
        "days:\n"
        "  - {date: 2027-02-05, day: 'off', decree: 'Thông báo 1234/TB-BNV'}\n"
        "  - {date: '2027-02-20', day: working, decree: 'Thông báo 1234/TB-BNV'}\n",
        encoding="utf-8",
    )
    found = load_overrides(str(path))
    assert found.reviewed_through == 2027
    assert [(d.day, d.working) for d in found.days] == [(D(2027, 2, 5), False), (D(2027, 2, 20), True)]


def test_invalid_overrides_name_every_entry_and_field(tmp_path):
    data = {
        "reviewed_through": "soon",
        "days": [
            {"date": "2027-02-30", "day": "off", "decree": "x"},
            {"date": "2027-02-05", "day": "holiday", "decree": ""},
            {"date": "2027-03-01", "day": "off", "decree": "y", "note": 1},
            {"date": "2027-03-01", "day": "off", "decree": "z"},
            "2027-04-01",
        ],
        "extra": 1,
    }
    with pytest.raises(ValidationFailed) as raised:
        parse_overrides(data, "env.yml")
    text = str(raised.value)
    for fragment in (
        "env.yml: extra: unknown key",
        "env.yml: reviewed_through: must be a year",
        "env.yml: days[0]: date: must be",
        "env.yml: days[1]: day: must be off or working",
        "env.yml: days[1]: decree: must name",
        "env.yml: days[2]: note: unknown key",
        "env.yml: days[3]: date: 2027-03-01 is listed twice",
        "env.yml: days[4]: must be a mapping",
    ):
        assert fragment in text
    with pytest.raises(ValidationFailed, match="cannot read"):
        load_overrides(str(tmp_path / "missing.yml"))
    (tmp_path / "bad.yml").write_text("days: [\n", encoding="utf-8")
    with pytest.raises(ValidationFailed, match="invalid YAML"):
        load_overrides(str(tmp_path / "bad.yml"))


def test_unquoted_off_in_the_overrides_says_to_quote_it(tmp_path):
    # YAML 1.1 reads a plain off as false: before, the message was "must be off or working".
    path = tmp_path / "calendar.yml"
    path.write_text(
        "reviewed_through: 2027\ndays:\n  - {date: 2027-02-05, day: off, decree: x}\n", encoding="utf-8"
    )
    with pytest.raises(ValidationFailed) as raised:
        load_overrides(str(path))
    [problem] = raised.value.problems
    assert problem.entry == "line 3, column 29" and 'quote it ("off")' in problem.message
