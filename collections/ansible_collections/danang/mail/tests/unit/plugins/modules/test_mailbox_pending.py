# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""danang.mail.mailbox with requested_through (the daily cut-off, R-14): a person requested after it
with no address yet is pending - listed, never created, not a problem."""

from __future__ import annotations

from pathlib import Path

import yaml
from ansible_collections.danang.mail.plugins.modules import mailbox
from fake_system import OBM, person

LATE = person("CB-9", "Phạm Văn Mới", requested_on="2026-12-08")


def add_late_person(args: dict) -> None:
    """CB-9 joins the agency file after the allocation: no address in the ledger."""
    path = Path(args["desired_state"]) / "agencies" / "stttt.yml"
    agency = yaml.safe_load(path.read_text(encoding="utf-8"))
    agency["people"].append(LATE)
    path.write_text(yaml.safe_dump(agency, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_a_pending_person_is_listed_and_never_created(run_module, fake_systems, town):
    args = {**town(person("CB-1", "Nguyễn Văn Dũng")), **OBM, "backend": "obm"}
    add_late_person(args)
    without = run_module(mailbox, args)
    assert without["rc"] == 1 and "CB-9 has no address in the ledger: allocate first" in without["msg"]
    assert fake_systems["obm"].accounts == {}

    result = run_module(mailbox, {**args, "requested_through": "2026-12-07"})
    assert result["rc"] == 0
    assert result["pending"] == [{"id": "CB-9", "agency": "stttt", "requested_on": "2026-12-08"}]
    assert sorted(fake_systems["obm"].accounts) == ["dungnv@danang.gov.vn", "stttt@danang.gov.vn"]

    # From the cut-off of the 8th, CB-9 is final: without an address it is a problem again.
    final = run_module(mailbox, {**args, "requested_through": "2026-12-08"})
    assert final["rc"] == 1 and "CB-9 has no address in the ledger" in final["msg"]


def test_check_mode_plans_a_pending_person_at_its_provisional_address(run_module, fake_systems, town):
    args = {
        **town(person("CB-1", "Nguyễn Văn Dũng")),
        **OBM,
        "backend": "obm",
        "requested_through": "2026-12-07",
    }
    add_late_person(args)
    run_module(mailbox, args)
    plan = run_module(mailbox, {**args, "addresses": {"CB-9": "moipv@danang.gov.vn"}}, check=True)
    assert plan["rc"] == 0 and plan["pending"] == []
    assert [(row["address"], row["action"]) for row in plan["plan"]] == [("moipv@danang.gov.vn", "create")]
    assert "moipv@danang.gov.vn" not in fake_systems["obm"].accounts


def test_a_wrong_requested_through_fails_before_the_system_is_opened(run_module, fake_systems, town):
    args = {**town(person("CB-1", "Nguyễn Văn Dũng")), **OBM, "backend": "obm"}
    result = run_module(mailbox, {**args, "requested_through": "8/12/2026"})
    assert result["rc"] == 1 and "requested_through: must be a date YYYY-MM-DD" in result["msg"]
    assert fake_systems["obm"].called() == []
