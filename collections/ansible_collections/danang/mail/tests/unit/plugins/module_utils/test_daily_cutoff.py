# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The daily cut-off (R-14): the last final request day, pending persons neither allocated nor
created, a day's requests ranked together whatever order they arrived in."""

from __future__ import annotations

import datetime

import pytest
from ansible_collections.danang.mail.plugins.module_utils.accounts import desired_accounts, pending_people
from ansible_collections.danang.mail.plugins.module_utils.allocation import allocate
from ansible_collections.danang.mail.plugins.module_utils.model import (
    CITY_TIMEZONE,
    Agency,
    DesiredState,
    Person,
    ValidationFailed,
)
from ansible_collections.danang.mail.plugins.module_utils.request_records import (
    final_through,
    parse_cutoff,
    through_date,
)
from ansible_collections.danang.mail.plugins.module_utils.vietnamese import parse_person_name

DOMAIN = "danang.gov.vn"
DAY = datetime.date(2026, 12, 7)
NEXT = datetime.date(2026, 12, 8)
CUTOFF = datetime.time(16, 0)


def P(holder: str, on: datetime.date, rank: int = 0, name: str = "Nguyễn Văn Dũng") -> dict:
    return {"id": holder, "full_name": name, "requested_on": on.isoformat(), "rank": rank}


@pytest.mark.parametrize(
    ("utc", "through"),
    [
        (datetime.datetime(2026, 12, 7, 8, 59, 59, tzinfo=datetime.UTC), DAY - datetime.timedelta(days=1)),
        (datetime.datetime(2026, 12, 7, 9, 0, tzinfo=datetime.UTC), DAY),  # 16:00 in Da Nang
        (datetime.datetime(2026, 12, 7, 16, 59, tzinfo=datetime.UTC), DAY),  # 23:59 in Da Nang
        (datetime.datetime(2026, 12, 7, 17, 0, tzinfo=datetime.UTC), DAY),  # 00:00 on the 8th
    ],
)
def test_final_through_at_the_cut_off_in_city_time(utc: datetime.datetime, through: datetime.date) -> None:
    """15:59 city time: yesterday's requests are final; 16:00: today's too. The machine's zone never
    enters: the same instant in any zone gives the same day."""
    for zone in (datetime.UTC, datetime.timezone(datetime.timedelta(hours=-10)), CITY_TIMEZONE):
        assert final_through(utc.astimezone(zone).astimezone(CITY_TIMEZONE), CUTOFF) == through


def test_final_through_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="aware"):
        final_through(datetime.datetime(2026, 12, 7, 16, 0), CUTOFF)


@pytest.mark.parametrize("text", ["16:00", " 07:30 "])
def test_cutoff_parsed(text: str) -> None:
    assert parse_cutoff(text) == datetime.time(*map(int, text.strip().split(":")))


@pytest.mark.parametrize("text", ["16", "24:00", "16:60", "4pm", "", None, 1600])
def test_cutoff_refused_with_the_option_named(text: object) -> None:
    with pytest.raises(ValidationFailed) as exc:
        parse_cutoff(text)  # type: ignore[arg-type]
    assert exc.value.problems[0].source == "cutoff"


def test_through_date() -> None:
    assert through_date(None) is None and through_date("") is None
    assert through_date("2026-12-07") == DAY
    with pytest.raises(ValidationFailed, match="requested_through"):
        through_date("7/12/2026")


def test_pending_persons_are_not_allocated_and_get_a_provisional_address() -> None:
    requests = [P("CB-1", DAY, rank=1), P("CB-2", NEXT, rank=9)]
    result = allocate(requests, (), domain=DOMAIN, today=NEXT, requested_through=DAY)
    assert [e.id for e in result.entries] == ["CB-1"]
    assert result.allocated == [{"id": "CB-1", "address": "dungnv@danang.gov.vn"}]
    # The higher rank of the next day does not take today's plain form: it is not final yet.
    assert result.pending == [{"id": "CB-2", "address": "dungnv1@danang.gov.vn"}]
    assert result.addresses == {"CB-1": "dungnv@danang.gov.vn", "CB-2": "dungnv1@danang.gov.vn"}


def test_without_requested_through_every_request_is_final() -> None:
    result = allocate([P("CB-1", DAY), P("CB-2", NEXT)], (), domain=DOMAIN, today=NEXT)
    assert [e.id for e in result.entries] == ["CB-1", "CB-2"] and result.pending == []


def test_a_days_requests_compete_by_rank_at_its_cut_off_whatever_came_first() -> None:
    """R-14: before the cut-off a low rank holds a provisional plain form; a higher rank requested the
    same day later still gets it at the cut-off, as the ledger was never written before."""
    before = allocate([P("CB-LOW", NEXT, rank=1)], (), domain=DOMAIN, today=NEXT, requested_through=DAY)
    assert before.entries == () and before.pending == [{"id": "CB-LOW", "address": "dungnv@danang.gov.vn"}]
    both = [P("CB-LOW", NEXT, rank=1), P("CB-HIGH", NEXT, rank=5)]
    for order in (both, both[::-1]):
        after = allocate(order, (), domain=DOMAIN, today=NEXT, requested_through=NEXT)
        assert after.addresses == {"CB-HIGH": "dungnv@danang.gov.vn", "CB-LOW": "dungnv1@danang.gov.vn"}
        assert after.pending == []


def test_final_addresses_do_not_depend_on_the_pending_ones() -> None:
    final = [P("CB-1", DAY), P("CB-3", DAY, name="Lê Văn An")]
    alone = allocate(final, (), domain=DOMAIN, today=NEXT)
    late = [P("CB-2", NEXT, rank=9), P("CB-4", NEXT, name="Lê Văn An", rank=9)]
    mixed = allocate(late + final, (), domain=DOMAIN, today=NEXT, requested_through=DAY)
    assert mixed.entries == alone.entries


def person(pid: str, on: datetime.date, **kwargs: object) -> Person:
    return Person(pid, parse_person_name("Nguyễn Văn Dũng"), "stttt", None, 0, on, **kwargs)  # type: ignore[arg-type]


def city(*people: Person) -> DesiredState:
    return DesiredState((Agency("stttt", "Sở Thông tin và Truyền thông", False, (), people, "stttt.yml"),))


def test_pending_persons_are_neither_created_nor_a_problem() -> None:
    state = city(person("CB-1", DAY), person("CB-2", NEXT), person("CB-3", NEXT))
    holders = {"CB-1": "dungnv@danang.gov.vn", "CB-3": "dungnv1@danang.gov.vn"}  # CB-3: provisional
    accounts, problems = desired_accounts(state, holders, system="obm", requested_through=DAY)
    assert problems == []
    assert sorted(a.holder_id for a in accounts.values()) == ["CB-1", "CB-3"]
    assert [p.id for p in pending_people(state, holders, DAY, system="obm")] == ["CB-2"]
    assert pending_people(state, holders, DAY, system="obm", agencies=["stc"]) == []
    assert pending_people(state, holders, None, system="obm") == []


def test_a_person_of_a_final_day_without_an_address_is_still_a_problem() -> None:
    state = city(person("CB-1", DAY), person("CB-2", NEXT))
    _accounts, problems = desired_accounts(state, {}, system="obm", requested_through=DAY)
    assert [p.entry for p in problems] == ["people[0] (id CB-1)"]
    _accounts, problems = desired_accounts(state, {}, system="obm")
    assert len(problems) == 2  # no through date: every person needs an address (make lab)


def test_removed_persons_are_never_pending() -> None:
    state = city(person("CB-2", NEXT, state="removed"))
    assert pending_people(state, {}, DAY, system="obm") == []


def test_persons_of_another_system_are_not_pending_here() -> None:
    state = city(person("CB-2", NEXT, systems=frozenset({"exchange"})))
    assert pending_people(state, {}, DAY, system="obm") == []
    assert [p.id for p in pending_people(state, {}, DAY, system="exchange")] == ["CB-2"]
