# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""reclaim: the idle rule of R-23 on the city's calendar, pure (no clock, no server)."""

from __future__ import annotations

import datetime

import pytest
from ansible_collections.danang.mail.plugins.module_utils import reclaim
from ansible_collections.danang.mail.plugins.module_utils.reclaim import Policy, Use, add_months, decide

D = datetime.date
UTC = datetime.UTC
ICT = datetime.timezone(datetime.timedelta(hours=7))
POLICY = Policy()


def at(year: int, month: int, day: int, hour: int = 3, zone: datetime.tzinfo = UTC) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, tzinfo=zone)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2026, 1, 31), 1, D(2026, 2, 28)),  # a day February lacks: its last day
        (D(2028, 1, 31), 1, D(2028, 2, 29)),  # leap year
        (D(2026, 11, 30), 3, D(2027, 2, 28)),  # across the year end
        (D(2026, 3, 31), -1, D(2026, 2, 28)),
        (D(2026, 5, 15), 3, D(2026, 8, 15)),
        (D(2026, 12, 31), 12, D(2027, 12, 31)),
    ],
)
def test_calendar_months(day: datetime.date, months: int, expected: datetime.date) -> None:
    assert add_months(day, months) == expected


def test_the_city_day_decides_not_utc() -> None:
    # 18:00 UTC on 30 November is 1 December in Da Nang: the due date is 1 March, not 28 February.
    use = Use(created=at(2026, 11, 30, 18), last_access=None)
    assert reclaim.system_due(use, POLICY) == (D(2026, 12, 1), D(2027, 3, 1))


def test_since_is_the_later_of_created_and_last_access() -> None:
    created_later = Use(created=at(2026, 6, 1), last_access=at(2026, 5, 1))
    accessed_later = Use(created=at(2026, 5, 1), last_access=at(2026, 7, 20))
    assert reclaim.system_due(created_later, POLICY)[1] == D(2026, 9, 1)
    assert reclaim.system_due(accessed_later, POLICY)[1] == D(2026, 10, 20)


def test_warn_then_reclaim_on_the_due_day() -> None:
    uses = {"obm": Use(created=at(2026, 1, 31), last_access=None)}  # due 30 April (31 Jan + 3 months)
    before = decide("CB-1", "a@x", uses, D(2026, 4, 15), POLICY)
    warned = decide("CB-1", "a@x", uses, D(2026, 4, 16), POLICY)
    due_day = decide("CB-1", "a@x", uses, D(2026, 4, 30), POLICY)
    assert (before.action, before.due) == (reclaim.NONE, D(2026, 4, 30))
    assert warned.action == reclaim.WARN
    assert (due_day.action, due_day.targets) == (reclaim.RECLAIM, ("obm",))
    assert due_day.purge_on == D(2026, 5, 30)  # reclaimed today + 30 days of grace


def test_a_person_used_on_one_system_is_not_idle() -> None:
    uses = {
        "obm": Use(created=at(2026, 1, 5), last_access=None),  # idle on OBM since January
        "exchange": Use(created=at(2026, 1, 5), last_access=at(2026, 4, 2)),  # used in April
    }
    decision = decide("CB-1", "a@x", uses, D(2026, 6, 1), POLICY)
    assert decision.action == reclaim.NONE
    assert decision.due == D(2026, 7, 2)  # the later system's due date
    assert decision.systems["obm"]["due"] == "2026-04-05"
    assert decision.systems["exchange"]["due"] == "2026-07-02"


def test_an_account_on_one_system_only_counts_that_system() -> None:
    uses = {"exchange": Use(created=at(2026, 1, 5), last_access=None)}
    decision = decide("CB-1", "a@x", uses, D(2026, 4, 5), POLICY)
    assert (decision.action, decision.targets) == (reclaim.RECLAIM, ("exchange",))


def test_unknown_creation_is_never_reclaimed_and_says_why() -> None:
    uses = {
        "obm": Use(created=None, last_access=None),
        "exchange": Use(created=at(2020, 1, 1), last_access=None),
    }
    decision = decide("CB-1", "a@x", uses, D(2026, 6, 1), POLICY)
    assert (decision.action, decision.due) == (reclaim.NONE, None)
    assert "obm cannot say when the account was created" in decision.reason


def test_no_account_at_all_is_reported_not_reclaimed() -> None:
    decision = decide("CB-1", "a@x", {}, D(2026, 6, 1), POLICY)
    assert (decision.action, decision.reason) == (reclaim.NONE, "no account on any system")


def test_purge_only_after_the_grace_period() -> None:
    done = {"obm": Use(created=at(2026, 1, 1), last_access=None, reclaimed=True)}
    in_grace = decide("CB-1", "a@x", done, D(2026, 5, 30), POLICY, reclaimed_on=D(2026, 5, 1))
    after = decide("CB-1", "a@x", done, D(2026, 5, 31), POLICY, reclaimed_on=D(2026, 5, 1))
    gone = decide("CB-1", "a@x", {}, D(2026, 6, 30), POLICY, reclaimed_on=D(2026, 5, 1))
    assert in_grace.action == reclaim.NONE
    assert (after.action, after.targets, after.purge_on) == (reclaim.PURGE, ("obm",), D(2026, 5, 31))
    assert gone.action == reclaim.NONE


def test_a_half_done_reclaim_is_completed_on_the_systems_left() -> None:
    uses = {
        "obm": Use(created=at(2026, 1, 1), last_access=None, reclaimed=True),
        "exchange": Use(created=at(2026, 1, 1), last_access=None, reclaimed=False),
    }
    decision = decide("CB-1", "a@x", uses, D(2026, 5, 2), POLICY, reclaimed_on=D(2026, 5, 1))
    assert (decision.action, decision.targets) == (reclaim.RECLAIM, ("exchange",))


def test_the_numbers_are_settings() -> None:
    policy = Policy(idle_months=1, warn_days=3, grace_days=7)
    uses = {"obm": Use(created=at(2026, 3, 10), last_access=None)}
    assert decide("CB-1", "a@x", uses, D(2026, 4, 7), policy).action == reclaim.WARN
    assert decide("CB-1", "a@x", uses, D(2026, 4, 10), policy).purge_on == D(2026, 4, 17)


def test_notices_are_keyed_by_address_kind_and_date() -> None:
    uses = {"obm": Use(created=at(2026, 1, 31), last_access=None)}
    warned = decide("CB-1", "a@x", uses, D(2026, 4, 20), POLICY)
    twice = reclaim.notices(warned, done=False, agency_address="ag@x")
    again = reclaim.notices(decide("CB-1", "a@x", uses, D(2026, 4, 21), POLICY), done=False)
    assert twice == [reclaim.Notice("a@x", "warn", D(2026, 4, 30), "ag@x")]
    assert twice[0].key == again[0].key  # the next day's warning is the same notice
    reclaimed = decide("CB-1", "a@x", uses, D(2026, 4, 30), POLICY)
    assert reclaim.notices(reclaimed, done=False) == []  # audit mode: nothing happened
    assert reclaim.notices(reclaimed, done=True)[0].as_dict() == {
        "address": "a@x",
        "agency_address": None,
        "kind": "reclaimed",
        "due": "2026-05-30",
    }


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError):
        reclaim.parse_moment("2026-01-01T00:00:00")
    assert reclaim.parse_moment("2026-01-01T00:00:00Z") == at(2026, 1, 1, 0)
    assert reclaim.city_date(at(2026, 1, 1, 20, ICT)) == D(2026, 1, 1)


def test_a_new_request_restarts_the_clock() -> None:
    """R-20: a mailbox brought back is not reclaimed again the next day for its old idleness."""
    uses = {"obm": Use(created=at(2026, 1, 1), last_access=None)}
    back = decide("CB-1", "a@x", uses, D(2026, 6, 2), POLICY, requested_on=D(2026, 6, 1))
    assert (back.action, back.due) == (reclaim.NONE, D(2026, 9, 1))
