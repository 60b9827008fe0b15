"""Accounts derived from the desired state and the ledger (R-02, R-03, R-30)."""

from __future__ import annotations

import datetime

from ansible_collections.danang.mail.plugins.module_utils.accounts import QUOTA_MB, desired_accounts
from ansible_collections.danang.mail.plugins.module_utils.model import (
    Agency,
    Department,
    DesiredState,
    Person,
)
from ansible_collections.danang.mail.plugins.module_utils.vietnamese import parse_person_name

DAY = datetime.date(2026, 11, 2)


def city(*people: Person) -> DesiredState:
    cntt = Department("cntt", "Phòng Công nghệ thông tin", True, "stttt")
    return DesiredState(
        (Agency("stttt", "Sở Thông tin và Truyền thông", True, (cntt,), people, "stttt.yml"),)
    )


def someone(pid: str, name: str, **kwargs: object) -> Person:
    return Person(pid, parse_person_name(name), "stttt", "cntt", 0, DAY, **kwargs)  # type: ignore[arg-type]


HOLDERS = {
    "agency/stttt": "stttt@danang.gov.vn",
    "department/stttt/cntt": "cntt@danang.gov.vn",
    "CB-1": "dungnv@danang.gov.vn",
    "CB-2": "annv@danang.gov.vn",
}


def test_shared_and_personal_accounts_with_vietnamese_name_fields() -> None:
    accounts, problems = desired_accounts(city(someone("CB-1", "Nguyễn Văn Dũng")), HOLDERS, system="obm")
    assert problems == []
    assert sorted(accounts) == ["cntt@danang.gov.vn", "dungnv@danang.gov.vn", "stttt@danang.gov.vn"]
    dung = accounts["dungnv@danang.gov.vn"]
    assert (dung.first_name, dung.last_name, dung.display_name) == ("Dũng", "Nguyễn Văn", "Nguyễn Văn Dũng")
    assert dung.enabled and not dung.shared and dung.quota_mb == QUOTA_MB == 2048
    assert accounts["cntt@danang.gov.vn"].shared
    assert (
        accounts["cntt@danang.gov.vn"].display_name
        == "Phòng Công nghệ thông tin - Sở Thông tin và Truyền thông"
    )


def test_people_only_on_their_systems_and_removed_only_when_they_hold_an_address() -> None:
    state = city(
        someone("CB-1", "Nguyễn Văn Dũng", systems=frozenset({"exchange"})),
        someone("CB-2", "Nguyễn Văn An", state="removed"),
        someone("CB-3", "Lê Lợi", state="removed"),
    )
    accounts, problems = desired_accounts(state, HOLDERS, system="obm")
    assert problems == []
    assert "dungnv@danang.gov.vn" not in accounts
    assert accounts["annv@danang.gov.vn"].state == "removed"


def test_a_holder_without_an_address_is_a_problem_naming_file_and_entry() -> None:
    _accounts, problems = desired_accounts(city(someone("CB-9", "Lê Lợi")), HOLDERS, system="obm")
    (problem,) = problems
    assert (problem.source, problem.entry, problem.field) == ("stttt.yml", "people[0] (id CB-9)", "address")
    assert "allocate first" in problem.message


def test_scope_limits_the_agencies() -> None:
    accounts, problems = desired_accounts(
        city(someone("CB-1", "Nguyễn Văn Dũng")), HOLDERS, system="obm", agencies=[]
    )
    assert (accounts, problems) == ({}, [])
