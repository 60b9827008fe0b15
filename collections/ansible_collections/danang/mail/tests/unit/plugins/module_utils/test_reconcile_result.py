# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a reconcile run returns: the passwords accounts now hold, result rows, why it failed."""

from __future__ import annotations

from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
from ansible_collections.danang.mail.plugins.module_utils.backends.contract import Result
from ansible_collections.danang.mail.plugins.module_utils.plan import CREATE, Change, Conflict, Plan
from ansible_collections.danang.mail.plugins.module_utils.reconcile_result import (
    failure_message,
    held_passwords,
    plan_summary,
    result_rows,
)

DUNG = Account("dungnv@danang.gov.vn", "person", "CB-1", "Nguyễn Văn Dũng", "stttt")
OANH = Account("oanhtt@danang.gov.vn", "person", "CB-2", "Trần Thị Oanh", "stttt")
CHANGES = (Change(CREATE, DUNG.address, DUNG), Change(CREATE, OANH.address, OANH))


def test_only_the_passwords_an_account_now_holds_are_handed_over():
    passwords = {"CB-1": "Pw-1", "CB-2": "Pw-2"}
    assert held_passwords(CHANGES, passwords, {OANH.address}) == {"CB-2": "Pw-2"}
    assert held_passwords(CHANGES, passwords, set()) == {}


def test_result_rows_carry_kind_and_holder():
    rows = result_rows(CHANGES, [Result(DUNG.address, CREATE, False, "refused")])
    assert rows == [
        {
            "address": DUNG.address,
            "action": CREATE,
            "kind": "person",
            "holder_id": "CB-1",
            "ok": False,
            "error": "refused",
        }
    ]


def test_failure_names_the_first_failed_change_and_conflict():
    conflict = Conflict(OANH.address, OANH, "CB-9", "the account stores another holder")
    plan = Plan(CHANGES[:1], ("x@danang.gov.vn",), (), (conflict,))
    results = [Result(DUNG.address, CREATE, False, "refused")]
    message = failure_message(plan, results, check_mode=False)
    assert message.startswith(
        f"1 of 1 change(s) failed (the others were applied; a re-run finishes the job), first: "
        f"{DUNG.address}: refused; 1 account(s) in conflict, left untouched (the others were reconciled)"
    )
    assert (
        failure_message(Plan(CHANGES, (), ()), [Result(DUNG.address, CREATE, True)], check_mode=False) is None
    )
    assert plan_summary(plan) == {**plan.count(), "unchanged": 1, "unmanaged": 0, "conflict": 1}
