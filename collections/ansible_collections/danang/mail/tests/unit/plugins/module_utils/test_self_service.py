# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""self_service: the page's sign-in, rules and change (R-40, R-42, R-43) over in-memory stand-ins
of the two systems (``backends/self_service.SelfServiceSystem``); the real backends are proven
against the labs in tests/integration/test_self_service_backends.py."""

from __future__ import annotations

import concurrent.futures
import datetime
import logging
import threading
from dataclasses import dataclass, field
from typing import Optional, Union

import pytest
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import Secret
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.passwords import (
    password_invocation,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.self_service import (
    ABSENT,
    DONE,
    NO,
    REFUSED,
    UNKNOWN,
    Person,
    Step,
)
from ansible_collections.danang.mail.plugins.module_utils.password_change import (
    CHANGED,
    INCONSISTENT,
    ROLLED_BACK,
    Holder,
)
from ansible_collections.danang.mail.plugins.module_utils.password_change import REFUSED as NOT_CHANGED
from ansible_collections.danang.mail.plugins.module_utils.passwords import (
    PROBLEM_MESSAGES,
    password_problem_codes,
    password_problems,
)
from ansible_collections.danang.mail.plugins.module_utils.personal_data import PersonalData
from ansible_collections.danang.mail.plugins.module_utils.self_service import SelfService
from cmdlet_signatures import assert_binds_in_lab, assert_matches_signature

DOMAIN = "danang.gov.vn"
AN = f"annv@{DOMAIN}"
OLD = "Kt-4d7e9a3b1c#A9"
NEW = "Mk7+hEa/N4dPyt"
ISSUED = "danang.mail initial-password-issued 2026-11-29T02:15:02Z"


@dataclass
class Account:
    password: str
    must_change: bool = True
    issue_record: Optional[str] = ISSUED
    names: tuple[str, ...] = ("Nguyễn Văn An",)
    holder_id: Optional[str] = "CB-2017-000101"
    enabled: bool = True


@dataclass
class System:
    """One system in memory: accounts by address, and the faults a test sets."""

    name: str
    can_put_back: bool
    accounts: dict[str, Account] = field(default_factory=dict)
    down: bool = False
    refuse: Optional[str] = None  # set_password refuses with this reason
    lose_answer: Optional[bool] = None  # set_password answers UNKNOWN; True: the change was made
    settles: bool = True  # settle can tell
    put_back_fails: bool = False
    calls: list[str] = field(default_factory=list)

    def check(self, address: str, password: str) -> Union[Person, str]:
        if self.down:
            return NO
        account = self.accounts.get(address)
        if account is None:
            return ABSENT
        if not account.enabled or account.password != password:
            return NO
        before = (account.must_change, account.issue_record)
        return Person(self.name, address, account.names, account.holder_id, account.must_change, before)

    def set_password(self, person: Person, new_password: str) -> Step:
        self.calls.append("set")
        account = self.accounts[person.address]
        if self.refuse:
            return Step(REFUSED, self.refuse)
        if self.lose_answer is False:
            return Step(UNKNOWN, "answer lost")
        account.password, account.must_change = new_password, False
        return Step(UNKNOWN, "answer lost") if self.lose_answer else Step(DONE)

    def settle(self, person: Person, old_password: str, new_password: str) -> Optional[bool]:
        self.calls.append("settle")
        return self.accounts[person.address].password == new_password if self.settles else None

    def put_back(self, person: Person, old_password: str) -> Step:
        self.calls.append("put_back")
        if self.put_back_fails:
            return Step(REFUSED, "history")
        account = self.accounts[person.address]
        account.password = old_password
        account.must_change, account.issue_record = person.before
        return Step(DONE)

    def close(self) -> None:
        self.calls.append("close")


def systems(exchange: bool = True, obm: bool = True) -> tuple[System, System]:
    ex = System("exchange", True, {AN: Account(OLD)} if exchange else {})
    ob = System(
        "obm", False, {AN: Account(OLD, issue_record=None, names=("An", "Nguyễn Văn"))} if obm else {}
    )
    return ex, ob


def service(ex: System, ob: System, personal: Optional[dict[str, PersonalData]] = None) -> SelfService:
    return SelfService(DOMAIN, [ex, ob], personal)


def signed_in(ex: System, ob: System) -> tuple[SelfService, Holder]:
    svc = service(ex, ob)
    holder = svc.sign_in(AN, OLD)
    assert holder is not None
    return svc, holder


# -- sign-in --------------------------------------------------------------------------------
def test_sign_in_on_both_systems_with_the_initial_password():
    ex, ob = systems()
    holder = service(ex, ob).sign_in("  AnNV@Danang.Gov.Vn ", OLD)
    assert holder == Holder(AN, ("exchange", "obm"), ("Nguyễn Văn An", "An", "Nguyễn Văn"), True)


@pytest.mark.parametrize("exchange,obm,held", [(True, False, ("exchange",)), (False, True, ("obm",))])
def test_a_person_on_one_system_signs_in_there(exchange, obm, held):
    ex, ob = systems(exchange, obm)
    holder = service(ex, ob).sign_in(AN, OLD)
    assert holder is not None and holder.systems == held


@pytest.mark.parametrize(
    "cause",
    [
        "wrong on exchange",
        "wrong on obm",
        "unknown address",
        "other domain",
        "disabled",
        "obm down",
        "exchange down",
        "empty password",
        "huge password",
        "not an address",
        "control character",
    ],
)
def test_every_sign_in_failure_is_the_same_none(cause):
    ex, ob = systems()
    address, password = AN, OLD
    if cause == "wrong on exchange":
        ex.accounts[AN].password = "Other-Pass-123"
    elif cause == "wrong on obm":
        ob.accounts[AN].password = "Other-Pass-123"
    elif cause == "unknown address":
        address = f"nobody@{DOMAIN}"
    elif cause == "other domain":
        address = "annv@gmail.com"
        for system in (ex, ob):
            system.accounts[address] = system.accounts[AN]
    elif cause == "disabled":
        ob.accounts[AN].enabled = False
    elif cause == "obm down":
        ob.down = True
    elif cause == "exchange down":
        ex.down = True
    elif cause == "empty password":
        password = ""
        for system in (ex, ob):
            system.accounts[AN].password = ""
    elif cause == "huge password":
        password = "Aa1-" * 100
        for system in (ex, ob):
            system.accounts[AN].password = password
    elif cause == "not an address":
        address = DOMAIN
    elif cause == "control character":
        address = f"an\x00nv@{DOMAIN}"
    assert service(ex, ob).sign_in(address, password) is None


# -- problems (R-42, R-43) ------------------------------------------------------------------------
def test_problems_use_the_directory_names_and_the_personal_data():
    ex, ob = systems()
    personal = {"CB-2017-000101": PersonalData(datetime.date(1985, 4, 12), "0905 123 456")}
    svc = service(ex, ob, personal)
    holder = svc.sign_in(AN, OLD)
    assert holder is not None
    assert svc.problems(holder, NEW) == []
    assert svc.problems(holder, "Mk7+Nguyen/dPyt") == ["name"]  # "Nguyễn", folded
    assert svc.problems(holder, "Mk7+12041985/dP") == ["birth_date"]
    assert svc.problems(holder, "Mk7+905123456/dP") == ["phone"]
    assert svc.problems(holder, "short") == ["too_short", "no_upper", "no_digit", "no_special"]


def test_a_person_without_personal_data_is_checked_on_names_only():
    ex, ob = systems()
    svc = service(ex, ob, {"CB-2099-000001": PersonalData(datetime.date(1985, 4, 12))})
    holder = svc.sign_in(AN, OLD)
    assert holder is not None and svc.problems(holder, "Mk7+12041985/dP") == []


def test_problem_codes_and_messages_agree_with_password_problems():
    names, birth, phone = ("Nguyễn Văn Dũng",), datetime.date(1990, 1, 31), "0905123456"
    samples = ["", "a", "ABCDEFGHIJKLMN", "Dung-31011990-0905123456", NEW, "dũng 905123456 X1-", "Ab1+" * 3]
    seen: set[str] = set()
    for sample in samples:
        codes = password_problem_codes(sample, names=names, birth_date=birth, phone=phone)
        texts = password_problems(sample, names=names, birth_date=birth, phone=phone)
        assert [PROBLEM_MESSAGES[code] for code in codes] == texts
        assert codes == sorted(codes, key=list(PROBLEM_MESSAGES).index)
        seen.update(codes)
    assert seen == set(PROBLEM_MESSAGES)


# -- change (design decision 1) ----------------------------------------------------------------
def test_both_systems_take_the_new_password():
    ex, ob = systems()
    svc, holder = signed_in(ex, ob)
    assert svc.change(holder, OLD, NEW).outcome == CHANGED
    for system in (ex, ob):
        assert system.accounts[AN].password == NEW and not system.accounts[AN].must_change


def test_a_password_breaking_the_rules_is_refused_before_any_write():
    ex, ob = systems()
    svc, holder = signed_in(ex, ob)
    result = svc.change(holder, OLD, "Nguyen-Van-An-1")
    assert result.outcome == NOT_CHANGED and result.problems == ("name",)
    assert ex.calls == ob.calls == []


def test_the_current_password_again_is_refused_before_any_write():
    ex, ob = systems()
    ex.accounts[AN].password = ob.accounts[AN].password = NEW
    svc = service(ex, ob)
    holder = svc.sign_in(AN, NEW)
    assert holder is not None and svc.change(holder, NEW, NEW).outcome == NOT_CHANGED
    assert ex.calls == ob.calls == []


def test_a_stale_sign_in_changes_nothing():
    ex, ob = systems()
    svc, holder = signed_in(ex, ob)
    ob.accounts[AN].password = "Changed-Elsewhere-1"
    assert svc.change(holder, OLD, NEW).outcome == NOT_CHANGED
    assert ex.calls == ob.calls == []


def test_the_first_system_refuses_nothing_changed():
    ex, ob = systems()
    ex.refuse = "the password does not meet the history requirement"
    svc, holder = signed_in(ex, ob)
    result = svc.change(holder, OLD, NEW)
    assert (result.outcome, result.system) == (NOT_CHANGED, "exchange")
    assert "history" in result.reason and ob.calls == []
    assert ex.accounts[AN].password == ob.accounts[AN].password == OLD


def test_the_second_system_refuses_the_first_is_put_back_with_its_flags():
    ex, ob = systems()
    ob.refuse = "constraintViolation Password is in history of old passwords"
    svc, holder = signed_in(ex, ob)
    result = svc.change(holder, OLD, NEW)
    assert (result.outcome, result.system) == (ROLLED_BACK, "obm")
    assert ex.calls == ["set", "put_back"]
    account = ex.accounts[AN]
    assert (account.password, account.must_change, account.issue_record) == (OLD, True, ISSUED)


def test_a_chosen_password_is_put_back_without_a_forced_change():
    ex, ob = systems()
    ex.accounts[AN].must_change, ex.accounts[AN].issue_record = False, None
    ob.refuse = "constraintViolation"
    svc, holder = signed_in(ex, ob)
    assert svc.change(holder, OLD, NEW).outcome == ROLLED_BACK
    account = ex.accounts[AN]
    assert (account.password, account.must_change, account.issue_record) == (OLD, False, None)


@pytest.mark.parametrize("made,outcome", [(True, CHANGED), (False, ROLLED_BACK)])
def test_a_lost_answer_on_the_second_system_is_settled_by_a_re_read(made, outcome):
    ex, ob = systems()
    ob.lose_answer = made
    svc, holder = signed_in(ex, ob)
    assert svc.change(holder, OLD, NEW).outcome == outcome
    assert ob.calls == ["set", "settle"]
    assert ex.accounts[AN].password == (NEW if made else OLD)


def test_a_lost_answer_the_second_system_cannot_settle_is_inconsistent(caplog):
    ex, ob = systems()
    ob.lose_answer, ob.settles = True, False
    svc, holder = signed_in(ex, ob)
    with caplog.at_level(logging.INFO, logger="danang.mail.self_service"):
        result = svc.change(holder, OLD, NEW)
    assert (result.outcome, result.system) == (INCONSISTENT, "obm")
    assert AN in caplog.text and "exchange, obm" in caplog.text


@pytest.mark.parametrize(
    "made,settles,outcome", [(True, True, CHANGED), (False, True, NOT_CHANGED), (True, False, NOT_CHANGED)]
)
def test_a_lost_answer_on_the_first_system(made, settles, outcome):
    ex, ob = systems()
    ex.lose_answer, ex.settles = made, settles
    svc, holder = signed_in(ex, ob)
    assert svc.change(holder, OLD, NEW).outcome == outcome
    if outcome == NOT_CHANGED:  # unsure: put back, which is right whether the change was made or not
        assert ob.calls == [] and ex.accounts[AN].password == OLD
        assert ex.calls == (["set", "settle", "put_back"] if not settles else ["set", "settle"])


def test_a_failed_put_back_is_inconsistent_and_logged_without_passwords(caplog):
    ex, ob = systems()
    ob.refuse, ex.put_back_fails = "slapd unreachable", True
    svc, holder = signed_in(ex, ob)
    with caplog.at_level(logging.INFO, logger="danang.mail.self_service"):
        result = svc.change(holder, OLD, NEW)
    assert (result.outcome, result.system) == (INCONSISTENT, "obm")
    assert "put-back failed" in result.reason
    assert AN in caplog.text and "exchange" in caplog.text
    assert OLD not in caplog.text + result.reason and NEW not in caplog.text + result.reason


@pytest.mark.parametrize("exchange,obm", [(True, False), (False, True)])
def test_a_person_on_one_system_is_changed_there_alone(exchange, obm):
    ex, ob = systems(exchange, obm)
    svc, holder = signed_in(ex, ob)
    assert svc.change(holder, OLD, NEW).outcome == CHANGED
    assert (ex.calls, ob.calls) == ((["set"], []) if exchange else ([], ["set"]))


def test_close_closes_every_system():
    ex, ob = systems()
    with service(ex, ob):
        pass
    assert ex.calls == ob.calls == ["close"]


# -- the Exchange cmdlets -------------------------------------------------------------------------
def test_the_change_and_the_put_back_cmdlets():
    change = password_invocation(AN, NEW, must_change=False)
    assert change.params == {"Identity": AN, "Password": Secret(NEW), "ResetPasswordOnNextLogon": False}
    back = password_invocation(AN, OLD, must_change=True, issue=ISSUED)
    assert back.params["ResetPasswordOnNextLogon"] is True and back.params["CustomAttribute1"] == ISSUED
    cleared = password_invocation(AN, OLD, must_change=False, issue=None)
    assert cleared.params["CustomAttribute1"] is None
    assert NEW not in repr(change) and OLD not in repr(back)
    for invocation in (change, back):
        assert_binds_in_lab(invocation)
        assert_matches_signature(invocation)


def test_sign_ins_run_at_once_on_sets_of_connections_and_close_closes_every_set() -> None:
    # A set of connections serves one call at a time; more sets let the page's threads sign people
    # in at once. Both sign-ins must be inside a system together, or the barrier breaks.
    together = threading.Barrier(2, timeout=5)
    accounts = {AN: Account(OLD)}
    opened: list[System] = []

    class Meeting(System):
        def check(self, address: str, password: str) -> Union[Person, str]:
            together.wait()
            return super().check(address, password)

    def more() -> list[System]:
        opened.append(Meeting("obm", False, accounts))
        return [opened[-1]]

    pooled = SelfService(DOMAIN, more(), more=more, connections=2)
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        holders = list(pool.map(lambda _n: pooled.sign_in(AN, OLD), range(2)))
    assert all(h is not None and h.systems == ("obm",) for h in holders)
    pooled.close()
    assert len(opened) == 2 and all(s.calls == ["close"] for s in opened)
