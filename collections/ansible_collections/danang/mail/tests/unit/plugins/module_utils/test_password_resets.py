# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a password policy run does with its findings: one password per person on every system
(R-45, R-46), per-system locks and resets, the credentials handed over, the diff (never a password)."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
from ansible_collections.danang.mail.plugins.module_utils.model import CITY_TIMEZONE
from ansible_collections.danang.mail.plugins.module_utils.password_policy import (
    LOCK,
    RESET,
    UNCHANGED_6_MONTHS,
    WARN,
    Finding,
    Holder,
    PasswordFacts,
)
from ansible_collections.danang.mail.plugins.module_utils.password_resets import (
    judge,
    new_passwords,
    policy_diff,
    policy_result,
    reset_credentials,
    system_actions,
)
from ansible_collections.danang.mail.plugins.module_utils.personal_data import PersonalData
from ansible_collections.danang.mail.plugins.module_utils.workdays import WorkingCalendar
from test_accounts import HOLDERS, city, someone  # the desired-state builders of the accounts tests

DUNG = Holder("CB-1", "stttt", "Sở Thông tin và Truyền thông", ("Nguyễn Văn Dũng", "Dũng", "dungnv"))
OANH = Holder("CB-2", "stttt", "Sở Thông tin và Truyền thông", ("Trần Thị Oanh",))
WHEN = datetime.datetime(2027, 1, 4, 9, tzinfo=CITY_TIMEZONE)


def finding(address: str, system: str, action: str, holder: Holder | None = DUNG) -> Finding:
    facts = PasswordFacts(address, system, True, False, None, WHEN, False)
    reason = UNCHANGED_6_MONTHS if action == LOCK else None
    return Finding(address, system, action, reason, None, WHEN, holder, facts)


def done(address: str, ok: bool = True) -> SimpleNamespace:
    return SimpleNamespace(address=address, ok=ok, error=None if ok else "refused")


RESET_BOTH = [
    finding("dungnv@danang.gov.vn", "obm", RESET),
    finding("dungnv@danang.gov.vn", "exchange", RESET),
    finding("oanhtt@danang.gov.vn", "obm", LOCK, OANH),
    finding("x@danang.gov.vn", "obm", WARN, None),
]


def test_one_password_per_person_whatever_the_number_of_systems():
    calls = []

    def generate(**context):
        calls.append(context)
        return f"Pw-{len(calls)}"

    personal = {"CB-1": PersonalData(datetime.date(1990, 5, 17), "0905123456")}
    assert new_passwords(RESET_BOTH, personal, generate) == {"CB-1": "Pw-1"}
    # The generator is told the holder's names and personal data.
    assert calls == [{"names": DUNG.names, "birth_date": datetime.date(1990, 5, 17), "phone": "0905123456"}]


def test_the_real_generator_avoids_the_names():
    passwords = new_passwords(RESET_BOTH, {})
    assert list(passwords) == ["CB-1"] and "dung" not in passwords["CB-1"].lower()


def test_each_system_gets_its_resets_with_the_shared_password_and_its_locks():
    passwords = {"CB-1": "Pw-1"}
    assert system_actions(RESET_BOTH, "obm", passwords) == (
        {"dungnv@danang.gov.vn": "Pw-1"},
        ["oanhtt@danang.gov.vn"],
    )
    assert system_actions(RESET_BOTH, "exchange", passwords) == ({"dungnv@danang.gov.vn": "Pw-1"}, [])


def test_credentials_list_the_systems_where_the_reset_succeeded():
    outcome = {
        ("obm", "dungnv@danang.gov.vn"): done("dungnv@danang.gov.vn"),
        ("exchange", "dungnv@danang.gov.vn"): done("dungnv@danang.gov.vn", ok=False),
        ("obm", "oanhtt@danang.gov.vn"): done("oanhtt@danang.gov.vn"),
    }
    assert reset_credentials(RESET_BOTH, outcome, {"CB-1": "Pw-1"}) == {
        "CB-1": {"address": "dungnv@danang.gov.vn", "password": "Pw-1", "systems": ["obm"]}
    }
    # Every system failed: nothing to hand over.
    failed = {key: done(key[1], ok=False) for key in outcome}
    assert reset_credentials(RESET_BOTH, failed, {"CB-1": "Pw-1"}) == {}


def test_result_counts_failures_and_marks_rows():
    outcome = {("obm", "oanhtt@danang.gov.vn"): done("oanhtt@danang.gov.vn", ok=False)}
    result = policy_result(RESET_BOTH, outcome, 4, enforce=True, applied=True)
    assert result["changed"] is False and result["summary"]["failed"] == 1
    row = next(r for r in result["accounts"] if r["address"] == "oanhtt@danang.gov.vn")
    assert row["ok"] is False and row["error"] == "refused"
    assert [r["address"] for r in result["report"]] == ["oanhtt@danang.gov.vn"]


def test_changed_in_check_mode_only_when_enforcing():
    assert policy_result(RESET_BOTH, {}, 4, enforce=True, applied=False)["changed"] is True
    assert policy_result(RESET_BOTH, {}, 4, enforce=False, applied=False)["changed"] is False
    quiet = [finding("x@danang.gov.vn", "obm", WARN, None)]
    assert policy_result(quiet, {}, 1, enforce=True, applied=False)["changed"] is False


def test_diff_shows_flags_never_a_password():
    diff = policy_diff(RESET_BOTH)
    assert diff["after"] == {
        "obm:dungnv@danang.gov.vn": {"locked": False, "must_change": True},
        "exchange:dungnv@danang.gov.vn": {"locked": False, "must_change": True},
        "obm:oanhtt@danang.gov.vn": {"locked": True, "must_change": False},
    }
    assert set(diff["before"]) == set(diff["after"])


def test_password_names_are_the_holders_names_without_blanks():
    person = Account(
        "dungnv@danang.gov.vn", "person", "CB-1", "Nguyễn Văn Dũng", "stttt", None, "Dũng", "Nguyễn Văn"
    )
    assert person.password_names == ("Nguyễn Văn Dũng", "Dũng", "Nguyễn Văn", "dungnv")
    shared = Account("stttt@danang.gov.vn", "agency", "CQ-stttt", "Sở TTTT", "stttt")
    assert shared.password_names == ("Sở TTTT", "stttt")


def test_judge_reads_each_system_once_and_knows_people_on_one_system_only():
    state = city(
        someone("CB-1", "Nguyễn Văn Dũng"), someone("CB-2", "Nguyễn Văn An", systems=frozenset({"obm"}))
    )
    read: list[str] = []

    def read_facts(system):
        read.append(system)
        addresses = ["dungnv@danang.gov.vn"] + (["annv@danang.gov.vn"] if system == "obm" else [])
        return {a: PasswordFacts(a, system, True, False, None, WHEN, False) for a in addresses}

    judged = judge(
        state,
        HOLDERS,
        ["obm", "exchange", "obm"],
        read_facts,
        now=WHEN,
        calendar=WorkingCalendar(),
        requests=["CB-2"],
    )
    assert read == ["obm", "exchange"] and judged.checked == 3
    assert judged.problems == []  # CB-2 is on OBM only: Exchange not knowing CB-2 is fine
    assert [(f.system, f.address, f.action) for f in judged.findings] == [
        ("obm", "annv@danang.gov.vn", RESET)
    ]
    unknown = judge(
        state,
        HOLDERS,
        ["obm", "exchange"],
        read_facts,
        now=WHEN,
        calendar=WorkingCalendar(),
        requests=["CB-9"],
    )
    assert unknown.problems == ["resets: 'CB-9' is not a person of the desired state (holder id or address)"]


def test_judge_refuses_a_reset_of_an_account_the_system_lacks():
    state = city(someone("CB-1", "Nguyễn Văn Dũng"))
    judged = judge(
        state, HOLDERS, ["obm"], lambda _system: {}, now=WHEN, calendar=WorkingCalendar(), requests=["CB-1"]
    )
    assert judged.problems == ["resets: dungnv@danang.gov.vn has no account on obm"]
