# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""password_policy: the decisions of R-41, R-44 and R-47 on a settable clock."""

from __future__ import annotations

import datetime

import pytest
from ansible_collections.danang.mail.plugins.module_utils.model import CITY_TIMEZONE
from ansible_collections.danang.mail.plugins.module_utils.password_policy import (
    INITIAL_UNCHANGED,
    LOCK,
    LOCKED,
    NO_CHANGE_TIME,
    REPORT,
    RESET,
    UNCHANGED_3_MONTHS,
    UNCHANGED_6_MONTHS,
    WARN,
    Holder,
    PasswordFacts,
    add_months,
    evaluate,
    report_rows,
    rule,
    summary,
)
from ansible_collections.danang.mail.plugins.module_utils.workdays import WorkingCalendar

D = datetime.date
UTC = datetime.UTC


def at(y: int, m: int, d: int, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(y, m, d, hour, tzinfo=CITY_TIMEZONE)


def facts(
    address="a@danang.gov.vn", *, must_change=False, issued=None, changed=None, locked=False, enabled=True
):
    return PasswordFacts(address, "obm", enabled, must_change, issued, changed or issued, locked)


def initial(issued, **extra):
    return facts(must_change=True, issued=issued, **extra)


@pytest.fixture(scope="module")
def calendar():
    return WorkingCalendar()


HOLDER = Holder("CB-1", "stttt", "Sở Thông tin và Truyền thông", ("Nguyễn Văn Dũng",))


# --- initial password, 3 working days ----------------------------------------------------


@pytest.mark.parametrize(
    ("issued", "last_allowed"),
    [
        (at(2025, 4, 29), D(2025, 5, 7)),  # 30/4, 1/5, 2/5 (swap), weekend: Mon 5, Tue 6, Wed 7
        (at(2025, 4, 24), D(2025, 4, 28)),  # Fri 25, Sat 26 (worked), Mon 28
        (at(2025, 1, 24), D(2025, 2, 5)),  # Tết 2025
        (at(2026, 2, 13), D(2026, 2, 25)),  # Tết 2026
        (at(2026, 8, 20), D(2026, 8, 24)),  # Sat 22/8/2026 worked
    ],
)
def test_initial_password_locks_the_day_after_the_third_working_day(calendar, issued, last_allowed):
    assert rule(initial(issued), last_allowed, calendar) == (None, None, None)
    due = last_allowed + datetime.timedelta(days=1)
    assert rule(initial(issued), due, calendar) == (INITIAL_UNCHANGED, due, issued)
    assert rule(initial(issued), due + datetime.timedelta(days=40), calendar)[:2] == (INITIAL_UNCHANGED, due)


def test_issue_day_is_the_city_day(calendar):
    # 23:30 UTC on Monday 28 April is 06:30 on Tuesday 29 April in Da Nang.
    issued = datetime.datetime(2025, 4, 28, 23, 30, tzinfo=UTC)
    assert rule(initial(issued), D(2025, 5, 7), calendar)[0] is None
    assert rule(initial(issued), D(2025, 5, 8), calendar)[0] == INITIAL_UNCHANGED


def test_naive_times_are_refused(calendar):
    with pytest.raises(ValueError, match="time zone"):
        rule(initial(datetime.datetime(2025, 4, 29, 10)), D(2025, 5, 8), calendar)


# --- R-41 six months, R-44 three months --------------------------------------------------------


@pytest.mark.parametrize(
    ("changed", "today", "expected"),
    [
        (at(2025, 1, 15), D(2025, 4, 14), None),
        (at(2025, 1, 15), D(2025, 4, 15), (UNCHANGED_3_MONTHS, D(2025, 4, 15))),
        (at(2025, 1, 15), D(2025, 7, 14), (UNCHANGED_3_MONTHS, D(2025, 4, 15))),
        (at(2025, 1, 15), D(2025, 7, 15), (UNCHANGED_6_MONTHS, D(2025, 7, 15))),
        (at(2025, 8, 31), D(2026, 2, 27), (UNCHANGED_3_MONTHS, D(2025, 11, 30))),
        (at(2025, 8, 31), D(2026, 2, 28), (UNCHANGED_6_MONTHS, D(2026, 2, 28))),
    ],
)
def test_age_rules(calendar, changed, today, expected):
    reason, due, since = rule(facts(changed=changed), today, calendar)
    assert ((reason, due) if reason else None) == expected
    assert since == (changed if reason else None)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2025, 8, 31), 6, D(2026, 2, 28)),
        (D(2023, 8, 31), 6, D(2024, 2, 29)),
        (D(2025, 11, 30), 3, D(2026, 2, 28)),
        (D(2025, 7, 15), 6, D(2026, 1, 15)),
        (D(2025, 1, 31), 3, D(2025, 4, 30)),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


def test_initial_password_is_not_warned_but_old_one_locks_on_age(calendar):
    old_initial = initial(at(2025, 1, 15))
    assert rule(old_initial, D(2025, 1, 20), calendar) == (None, None, None)
    # Both lock rules are due: the earlier one is reported.
    assert rule(old_initial, D(2025, 8, 1), calendar)[:2] == (INITIAL_UNCHANGED, D(2025, 1, 21))


def test_no_change_time_cannot_be_judged(calendar):
    assert rule(facts(), D(2025, 8, 1), calendar) == (NO_CHANGE_TIME, None, None)


# --- evaluate: actions ------------------------------------------------------------------------


def test_actions(calendar):
    now = at(2025, 8, 1)
    accounts = {
        "fresh@x": facts("fresh@x", changed=at(2025, 7, 1)),
        "warn@x": facts("warn@x", changed=at(2025, 4, 1)),
        "old@x": facts("old@x", changed=at(2025, 1, 1)),
        "initial@x": initial(at(2025, 7, 1), address="initial@x"),
        "locked@x": facts("locked@x", changed=at(2025, 1, 1), locked=True),
        "handlocked@x": facts("handlocked@x", changed=at(2025, 7, 1), locked=True),
        "stranger@x": facts("stranger@x", changed=at(2025, 1, 1)),
        "disabled@x": facts("disabled@x", changed=at(2025, 1, 1), enabled=False),
        "reset@x": facts("reset@x", changed=at(2025, 1, 1), locked=True),
    }
    holders = {a: HOLDER for a in accounts if a != "stranger@x"}
    found = {
        f.address: f
        for f in evaluate(accounts, now=now, calendar=calendar, holders=holders, resets={"reset@x"})
    }
    assert {a: (f.action, f.reason) for a, f in found.items()} == {
        "warn@x": (WARN, UNCHANGED_3_MONTHS),
        "old@x": (LOCK, UNCHANGED_6_MONTHS),
        "initial@x": (LOCK, INITIAL_UNCHANGED),
        "locked@x": (LOCKED, UNCHANGED_6_MONTHS),
        "handlocked@x": (LOCKED, None),
        "stranger@x": (REPORT, UNCHANGED_6_MONTHS),
        "reset@x": (RESET, UNCHANGED_6_MONTHS),
    }
    # Issued Tuesday 1 July: Wed 2, Thu 3, Fri 4 are the three working days; due from Saturday 5.
    assert found["initial@x"].due == D(2025, 7, 5)
    assert found["old@x"].due == D(2025, 7, 1) and found["old@x"].counted_from == at(2025, 1, 1)

    rows = report_rows(f.as_dict() for f in found.values())
    assert [r["address"] for r in rows] == ["initial@x", "locked@x", "old@x", "stranger@x"]
    row = rows[0]
    assert row["agency"] == "stttt" and row["holder_id"] == "CB-1" and row["managed"] is True
    assert row["due"] == "2025-07-05" and row["counted_from"] == "2025-07-01T10:00:00+07:00"
    assert row["reason"] == INITIAL_UNCHANGED and "3 working days (R-41)" in row["reason_text"]
    assert rows[3]["managed"] is False and rows[3]["agency"] is None

    assert summary(list(found.values()), len(accounts)) == {
        "checked": 9,
        LOCK: 2,
        LOCKED: 2,
        WARN: 1,
        RESET: 1,
        REPORT: 1,
        "reported": 4,
    }


def test_a_second_evaluation_after_locking_changes_nothing(calendar):
    now = at(2025, 8, 1)
    first = evaluate(
        {"a@x": initial(at(2025, 7, 1), address="a@x")}, now=now, calendar=calendar, holders={"a@x": HOLDER}
    )
    assert [f.action for f in first] == [LOCK]
    again = evaluate(
        {"a@x": initial(at(2025, 7, 1), address="a@x", locked=True)},
        now=now,
        calendar=calendar,
        holders={"a@x": HOLDER},
    )
    assert [(f.action, f.reason, f.due) for f in again] == [(LOCKED, INITIAL_UNCHANGED, D(2025, 7, 5))]


def test_a_fresh_reset_is_within_its_days(calendar):
    # A reset on Friday 1 August 2025 (pwdChangedTime = issue time, pwdReset TRUE).
    reset = initial(at(2025, 8, 1, 15), address="a@x")
    assert evaluate({"a@x": reset}, now=at(2025, 8, 6), calendar=calendar, holders={"a@x": HOLDER}) == []
    assert [
        f.action
        for f in evaluate({"a@x": reset}, now=at(2025, 8, 7), calendar=calendar, holders={"a@x": HOLDER})
    ] == [LOCK]


def test_resets_by_holder_id_or_address():
    from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
    from ansible_collections.danang.mail.plugins.module_utils.password_policy import (
        holders_of,
        resolve_resets,
    )

    accounts = {
        "dungnv@x": Account("dungnv@x", "person", "CB-1", "Nguyễn Văn Dũng", "stttt", first_name="Dũng"),
        "stttt@x": Account("stttt@x", "agency", "agency/stttt", "Sở TTTT", "stttt"),
    }
    holders = holders_of(accounts, {"stttt": "Sở Thông tin và Truyền thông"})
    assert list(holders) == ["dungnv@x"]  # shared mailboxes have no password of their own
    assert holders["dungnv@x"].agency_name == "Sở Thông tin và Truyền thông"
    assert "Nguyễn Văn Dũng" in holders["dungnv@x"].names  # the new password avoids them
    assert resolve_resets(["CB-1", "DungNV@x", "CB-1"], holders) == (["dungnv@x"], [])
    addresses, problems = resolve_resets(["CB-9", "stttt@x"], holders)
    assert addresses == [] and len(problems) == 2 and "'CB-9'" in problems[0]
