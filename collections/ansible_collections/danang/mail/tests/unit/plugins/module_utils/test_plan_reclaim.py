# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Git stays the truth (R-23, R-20): the reconcile honours the ledger's reclaim, never undoes it."""

from __future__ import annotations

import datetime

from ansible_collections.danang.mail.plugins.module_utils.accounts import Account, desired_accounts
from ansible_collections.danang.mail.plugins.module_utils.model import (
    STATE_RECLAIMED,
    Agency,
    DesiredState,
    Person,
)
from ansible_collections.danang.mail.plugins.module_utils.plan import DISABLE, ENABLE, Observed, make_plan
from ansible_collections.danang.mail.plugins.module_utils.vietnamese import parse_person_name

REQUESTED = datetime.date(2026, 11, 2)
RECLAIMED = datetime.date(2027, 3, 2)
A = "dungnv@danang.gov.vn"


def city(requested_on: datetime.date, state: str = "active") -> DesiredState:
    person = Person("CB-1", parse_person_name("Nguyễn Văn Dũng"), "stttt", None, 0, requested_on, state)
    return DesiredState((Agency("stttt", "Sở", False, (), (person,), "stttt.yml"),))


def state_of(requested_on: datetime.date, reclaimed: dict[str, datetime.date], state: str = "active") -> str:
    accounts, problems = desired_accounts(
        city(requested_on, state), {"CB-1": A}, system="obm", reclaimed=reclaimed
    )
    assert problems == []
    return accounts[A].state


def test_a_person_reclaimed_after_the_request_is_reclaimed() -> None:
    assert state_of(REQUESTED, {"CB-1": RECLAIMED}) == STATE_RECLAIMED
    assert state_of(REQUESTED, {"CB-1": RECLAIMED}, "disabled") == STATE_RECLAIMED
    assert state_of(REQUESTED, {}) == "active"


def test_a_new_request_after_the_reclaim_makes_the_person_active_again() -> None:
    assert state_of(RECLAIMED + datetime.timedelta(days=1), {"CB-1": RECLAIMED}) == "active"


def test_a_removed_person_stays_removed() -> None:
    assert state_of(REQUESTED, {"CB-1": RECLAIMED}, "removed") == "removed"


def reclaimed_account() -> Account:
    return Account(A, "person", "CB-1", "Nguyễn Văn Dũng", "stttt", state=STATE_RECLAIMED)


def render(account: Account) -> dict[str, object]:
    return {"cn": account.display_name, "holder": account.holder_id}


def test_a_reclaimed_account_is_never_created_enabled_or_updated() -> None:
    desired = {A: reclaimed_account()}
    purged = make_plan(desired, {}, render)
    kept = make_plan(desired, {A: Observed(A, False, {"cn": "old"}, "CB-1")}, render)
    assert purged.changes == () and purged.unchanged == ()
    assert kept.changes == () and kept.unchanged == (A,)


def test_an_enabled_reclaimed_account_is_disabled_a_half_done_reclaim_completed() -> None:
    plan = make_plan({A: reclaimed_account()}, {A: Observed(A, True, {"cn": "old"}, "CB-1")}, render)
    assert [(c.action, dict(c.after)) for c in plan.changes] == [(DISABLE, {"enabled": False})]


def test_a_new_request_during_grace_enables_the_account() -> None:
    back = Account(A, "person", "CB-1", "Nguyễn Văn Dũng", "stttt")
    plan = make_plan({A: back}, {A: Observed(A, False, render(back), "CB-1")}, render)
    assert [c.action for c in plan.changes] == [ENABLE]
