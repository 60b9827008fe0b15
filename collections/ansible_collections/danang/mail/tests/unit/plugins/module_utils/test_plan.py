"""The pure plan: desired accounts vs observed -> changes (shared by every backend)."""

from __future__ import annotations

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


def person(address: str, state: str = "active", name: str = "Nguyễn Văn Dũng") -> Account:
    return Account(address, "person", "CB-1", name, "stttt", "cntt", "Dũng", "Nguyễn Văn", state)


def render(account: Account) -> dict[str, object]:
    return {"cn": account.display_name, "quota_mb": account.quota_mb}


A = "dungnv@danang.gov.vn"


def test_missing_account_is_created_with_its_attributes_and_state() -> None:
    plan = make_plan({A: person(A, "disabled")}, {}, render)
    (change,) = plan.changes
    assert change.action == CREATE
    assert change.after == {"cn": "Nguyễn Văn Dũng", "quota_mb": 2048, "enabled": False}
    assert plan.diff() == {"before": {}, "after": {A: change.after}}


def test_matching_account_is_left_alone() -> None:
    observed = {A: Observed(A, True, {"cn": "Nguyễn Văn Dũng", "quota_mb": 2048, "extra": 1})}
    plan = make_plan({A: person(A)}, observed, render)
    assert plan.changes == () and plan.unchanged == (A,)


def test_only_differing_attributes_are_in_an_update() -> None:
    observed = {A: Observed(A, True, {"cn": "Nguyen Van Dung", "quota_mb": 2048})}
    (change,) = make_plan({A: person(A)}, observed, render).changes
    assert (change.action, change.before, change.after) == (
        UPDATE,
        {"cn": "Nguyen Van Dung"},
        {"cn": "Nguyễn Văn Dũng"},
    )


def test_state_changes_are_enable_and_disable_and_carry_attribute_differences() -> None:
    observed = {A: Observed(A, True, {"cn": "x", "quota_mb": 2048})}
    (change,) = make_plan({A: person(A, "disabled")}, observed, render).changes
    assert change.action == DISABLE
    assert change.after == {"cn": "Nguyễn Văn Dũng", "enabled": False}
    observed = {A: Observed(A, False, {"cn": "Nguyễn Văn Dũng", "quota_mb": 2048})}
    (change,) = make_plan({A: person(A)}, observed, render).changes
    assert (change.action, change.before, change.after) == (ENABLE, {"enabled": False}, {"enabled": True})


def test_removed_person_is_disabled_first_and_removed_only_when_disabled_and_purging() -> None:
    enabled = {A: Observed(A, True, {"cn": "x"})}
    disabled = {A: Observed(A, False, {"cn": "x"})}
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
