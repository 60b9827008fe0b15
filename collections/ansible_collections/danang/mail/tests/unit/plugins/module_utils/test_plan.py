"""The pure plan: desired accounts vs observed -> changes (shared by every backend)."""

from __future__ import annotations

import datetime

from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
from ansible_collections.danang.mail.plugins.module_utils.plan import (
    CREATE,
    DISABLE,
    ENABLE,
    REMOVE,
    UPDATE,
    Observed,
    make_plan,
)

UTC = datetime.UTC


def person(address: str, state: str = "active", name: str = "Nguyễn Văn Dũng") -> Account:
    return Account(address, "person", "CB-1", name, "stttt", "cntt", "Dũng", "Nguyễn Văn", state)


def render(account: Account) -> dict[str, object]:
    return {"cn": account.display_name, "quota_mb": account.quota_mb, "holder": account.holder_id}


A = "dungnv@danang.gov.vn"


def test_missing_account_is_created_with_its_attributes_and_state() -> None:
    plan = make_plan({A: person(A, "disabled")}, {}, render)
    (change,) = plan.changes
    assert change.action == CREATE
    assert change.after == {"cn": "Nguyễn Văn Dũng", "quota_mb": 2048, "holder": "CB-1", "enabled": False}
    assert plan.diff() == {"before": {}, "after": {A: change.after}}


def test_matching_account_is_left_alone() -> None:
    observed = {
        A: Observed(
            A, True, {"cn": "Nguyễn Văn Dũng", "quota_mb": 2048, "holder": "CB-1", "extra": 1}, holder="CB-1"
        )
    }
    plan = make_plan({A: person(A)}, observed, render)
    assert plan.changes == () and plan.unchanged == (A,)


def test_only_differing_attributes_are_in_an_update() -> None:
    observed = {
        A: Observed(A, True, {"cn": "Nguyen Van Dung", "quota_mb": 2048, "holder": "CB-1"}, holder="CB-1")
    }
    (change,) = make_plan({A: person(A)}, observed, render).changes
    assert (change.action, change.before, change.after) == (
        UPDATE,
        {"cn": "Nguyen Van Dung"},
        {"cn": "Nguyễn Văn Dũng"},
    )


def test_state_changes_are_enable_and_disable_and_carry_attribute_differences() -> None:
    observed = {A: Observed(A, True, {"cn": "x", "quota_mb": 2048, "holder": "CB-1"}, holder="CB-1")}
    (change,) = make_plan({A: person(A, "disabled")}, observed, render).changes
    assert change.action == DISABLE
    assert change.after == {"cn": "Nguyễn Văn Dũng", "enabled": False}
    observed = {
        A: Observed(A, False, {"cn": "Nguyễn Văn Dũng", "quota_mb": 2048, "holder": "CB-1"}, holder="CB-1")
    }
    (change,) = make_plan({A: person(A)}, observed, render).changes
    assert (change.action, change.before, change.after) == (ENABLE, {"enabled": False}, {"enabled": True})


def test_removed_person_is_disabled_first_and_removed_only_when_disabled_and_purging() -> None:
    enabled = {A: Observed(A, True, {"cn": "x"}, holder="CB-1")}
    disabled = {A: Observed(A, False, {"cn": "x"}, holder="CB-1")}
    removed = {A: person(A, "removed")}
    assert [c.action for c in make_plan(removed, enabled, render, purge=True).changes] == [DISABLE]
    assert make_plan(removed, disabled, render).changes == ()  # no purge: kept, disabled
    (change,) = make_plan(removed, disabled, render, purge=True).changes
    assert change.action == REMOVE and change.before == {"cn": "x"}
    assert make_plan(removed, {}, render, purge=True).changes == ()


def test_accounts_outside_the_desired_state_are_never_touched() -> None:
    stranger = "postmaster@danang.gov.vn"
    plan = make_plan({}, {stranger: Observed(stranger, True)}, render, purge=True)
    assert plan.changes == () and plan.unmanaged == (stranger,)


def test_plan_is_in_address_order_and_counts_actions() -> None:
    b = "anhnv@danang.gov.vn"
    plan = make_plan({A: person(A), b: person(b)}, {}, render)
    assert [c.address for c in plan.changes] == [b, A]
    assert plan.count() == {"create": 2, "update": 0, "enable": 0, "disable": 0, "remove": 0}


# --- holders: never a person someone else's mailbox ------------------------------------
ISSUED = {A: datetime.date(2026, 3, 2)}
LEGACY = Observed(
    A,
    True,
    {"cn": "Nguyễn Văn Dũng", "quota_mb": 2048},
    created=datetime.datetime(2026, 3, 2, 1, 0, tzinfo=UTC),  # 08:00 city time, the issue day
)


def test_account_storing_another_holder_is_a_conflict_and_never_changed() -> None:
    theirs = Observed(A, False, {"cn": "Lê Văn Tám", "quota_mb": 10, "holder": "CB-9"}, holder="CB-9")
    plan = make_plan({A: person(A)}, {A: theirs}, render, issued_on=ISSUED)
    assert plan.changes == () and plan.unchanged == () and plan.unmanaged == ()
    (conflict,) = plan.conflicts
    assert (conflict.address, conflict.stored_holder, conflict.account.holder_id) == (A, "CB-9", "CB-1")
    assert A in conflict.message and "CB-9" in conflict.message and "CB-1" in conflict.message
    assert plan.diff()["prepared"].startswith(f"CONFLICT {A}")
    assert plan.diff()["before"] == {} and plan.diff()["after"] == {}


def test_chanthurac_storing_its_former_holder_id_is_adopted_and_gets_the_current_one() -> None:
    """exchange_org stored "R-51" on chanthurac@ before it became the reserved account
    ``reserved/chanthurac`` (R-51): an upgraded city must not see its own mailbox as a conflict."""
    spam = "chanthurac@danang.gov.vn"
    account = Account(spam, "reserved", "reserved/chanthurac", "Chặn thư rác", "", access=())
    before = Observed(spam, True, {"cn": "Chặn thư rác", "quota_mb": 2048, "holder": "R-51"}, holder="R-51")
    plan = make_plan({spam: account}, {spam: before}, render)
    assert plan.conflicts == ()
    (change,) = plan.changes
    assert (change.action, change.before, change.after) == (
        UPDATE,
        {"holder": "R-51"},
        {"holder": "reserved/chanthurac"},
    )
    other = Observed(A, True, {"holder": "R-51"}, holder="R-51")  # no former id of a person
    assert [c.address for c in make_plan({A: person(A)}, {A: other}, render).conflicts] == [A]


def test_a_removed_holder_never_disables_an_account_that_stores_another_holder() -> None:
    theirs = Observed(A, True, {"cn": "x"}, holder="CB-9")
    plan = make_plan({A: person(A, "removed")}, {A: theirs}, render, purge=True, issued_on=ISSUED)
    assert plan.changes == () and [c.address for c in plan.conflicts] == [A]


def test_account_without_holder_at_an_address_allocated_in_this_run_is_a_conflict() -> None:
    plan = make_plan({A: person(A)}, {A: LEGACY}, render, issued_on=ISSUED, allocated={A})
    assert plan.changes == ()
    (conflict,) = plan.conflicts
    assert conflict.stored_holder is None and "allocated in this run" in conflict.reason
    assert "stored holder: none" in conflict.message


def test_account_without_holder_made_before_the_ledger_issued_its_address_is_a_conflict() -> None:
    # 16:59 UTC on 1 March is 23:59 on 1 March in Da Nang: the day before the issue (city dates).
    early = Observed(A, True, {}, created=datetime.datetime(2026, 3, 1, 16, 59, tzinfo=UTC))
    (conflict,) = make_plan({A: person(A)}, {A: early}, render, issued_on=ISSUED).conflicts
    assert "created on 2026-03-01, before the ledger issued the address on 2026-03-02" in conflict.reason
    # 17:00 UTC on 1 March is already 2 March in Da Nang: adoptable.
    late = Observed(A, True, {}, created=datetime.datetime(2026, 3, 1, 17, 0, tzinfo=UTC))
    assert make_plan({A: person(A)}, {A: late}, render, issued_on=ISSUED).conflicts == ()


def test_account_without_holder_or_creation_time_or_ledger_date_is_a_conflict() -> None:
    unknown = Observed(A, True, {"cn": "x"})
    assert make_plan({A: person(A)}, {A: unknown}, render, issued_on=ISSUED).conflicts
    assert make_plan({A: person(A)}, {A: LEGACY}, render).conflicts  # no ledger date given


def test_legacy_account_of_the_ledger_holder_is_adopted_and_stamped() -> None:
    plan = make_plan({A: person(A)}, {A: LEGACY}, render, issued_on=ISSUED)
    assert plan.conflicts == ()
    (change,) = plan.changes
    assert (change.action, change.before, change.after) == (UPDATE, {"holder": None}, {"holder": "CB-1"})


def test_new_account_is_created_with_its_holder() -> None:
    (change,) = make_plan({A: person(A)}, {}, render, allocated={A}).changes
    assert change.action == CREATE and change.after["holder"] == "CB-1"
