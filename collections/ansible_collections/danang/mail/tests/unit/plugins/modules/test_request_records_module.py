# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""danang.mail.request_records run in-process: the cut-off from the city's clock whatever the
machine's zone, the status of the records (R-22), closing in check mode and for real."""

from __future__ import annotations

import datetime
import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
import time_machine
from ansible.module_utils.testing import patch_module_args
from ansible_collections.danang.mail.plugins.module_utils.request_records import (
    Item,
    RequestRecord,
    record_text,
)
from ansible_collections.danang.mail.plugins.modules import desired_state_info, request_records

LAB = Path(__file__).resolve().parents[8] / "inventories" / "lab" / "desired_state"
RECEIVED = datetime.date(2026, 12, 7)
DUE = datetime.date(2026, 12, 8)
# 15:59 and 16:00 on 2026-12-08 in Da Nang (UTC+7)
BEFORE = datetime.datetime(2026, 12, 8, 8, 59, tzinfo=datetime.UTC).timestamp()
AT = datetime.datetime(2026, 12, 8, 9, 0, tzinfo=datetime.UTC).timestamp()


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "desired_state"
    shutil.copytree(LAB, root)
    (root / "requests").mkdir()
    return root


@pytest.fixture(params=["UTC", "America/Los_Angeles", "Pacific/Kiritimati"])
def machine_zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


def run(
    capsys: pytest.CaptureFixture[str], at: float, check_mode: bool = False, **args: Any
) -> dict[str, Any]:
    args = {**args, "_ansible_check_mode": check_mode, "_ansible_diff": True}
    with patch_module_args(args), pytest.raises(SystemExit) as exc, time_machine.travel(at, tick=False):
        request_records.main()
    result = json.loads(capsys.readouterr().out)
    result["rc"] = exc.value.code
    return result


def write(root: Path, n: int, *items: Item, done_on: datetime.date | None = None) -> Path:
    record = RequestRecord(
        f"2026-12-07-stttt-{n}",
        "01",
        "stttt",
        RECEIVED,
        DUE,
        {"name": "Trần Thị Bình", "email": "vanthu-stttt@danang.gov.vn"},
        items,
        done_on,
    )
    path = root / "requests" / record.file_name
    path.write_text(record_text(record), encoding="utf-8")
    return path


@pytest.mark.usefixtures("machine_zone")
@pytest.mark.parametrize(("at", "through"), [(BEFORE, "2026-12-07"), (AT, "2026-12-08")])
def test_the_cut_off_in_city_time_whatever_the_machines_zone(
    capsys: pytest.CaptureFixture[str], tree: Path, at: float, through: str
) -> None:
    result = run(capsys, at, desired_state=str(tree), ledger=str(tree / "ledger.yml"), cutoff="16:00")
    assert result["rc"] == 0 and result["requested_through"] == through and result["today"] == "2026-12-08"
    assert result["changed"] is False and result["records"] == []


def test_status_and_closing_check_mode_then_for_real(capsys: pytest.CaptureFixture[str], tree: Path) -> None:
    applied = write(
        tree, 1, Item("new", id="CB-2017-000101"), Item("mailbox", holder="department/stttt/cntt")
    )
    waiting = write(tree, 2, Item("new", id="CB-2026-000999"), Item("cancel", id="CB-2017-000103"))
    args = {"desired_state": str(tree), "ledger": str(tree / "ledger.yml"), "close": True}
    applied_text, ledger_text = applied.read_text(encoding="utf-8"), (tree / "ledger.yml").read_bytes()

    # CB-2026-000999 is no person of the lab tree: the records are checked before anything is written
    failed = run(capsys, AT, **args)
    assert (
        failed["rc"] == 1
        and "items[0]: id: 'CB-2026-000999' is not a person of agency stttt" in failed["msg"]
    )
    waiting.write_text(waiting.read_text(encoding="utf-8").replace("CB-2026-000999", "CB-2017-000104"))

    planned = run(capsys, AT, check_mode=True, **args)
    assert planned["changed"] is True and planned["closed"] == ["2026-12-07-stttt-1", "2026-12-07-stttt-2"]
    assert applied.read_text(encoding="utf-8") == applied_text  # check mode writes nothing
    assert planned["diff"][0]["after"] == applied_text + "done_on: 2026-12-08\n"

    closed = run(capsys, AT, **args)
    assert closed["closed"] == planned["closed"] and closed["counts"] == {
        "overdue": 0,
        "due": 0,
        "open": 0,
        "done": 2,
    }
    assert applied.read_text(encoding="utf-8") == applied_text + "done_on: 2026-12-08\n"
    assert (tree / "ledger.yml").read_bytes() == ledger_text  # the ledger is only read

    again = run(capsys, AT + 86400, **args)
    assert again["changed"] is False and again["closed"] == []


def test_a_record_waiting_for_a_pending_person_is_due_then_overdue(
    capsys: pytest.CaptureFixture[str], tree: Path
) -> None:
    agency = tree / "agencies" / "stttt.yml"
    person = "  - {id: CB-2026-000999, full_name: Phạm Văn Mới, department: cntt, requested_on: 2026-12-07}\n"
    agency.write_text(agency.read_text(encoding="utf-8") + person, encoding="utf-8")
    write(tree, 1, Item("new", id="CB-2026-000999"))
    args = {"desired_state": str(tree), "ledger": str(tree / "ledger.yml"), "close": True}
    due = run(capsys, AT, **args)
    assert due["changed"] is False and due["counts"]["due"] == 1
    assert due["records"][0]["waiting"] == ["new CB-2026-000999"]
    overdue = run(capsys, AT + 86400, **args)
    assert overdue["records"][0]["status"] == "overdue"


def test_cutoff_and_requested_through_exclude_each_other(
    capsys: pytest.CaptureFixture[str], tree: Path
) -> None:
    args = {"desired_state": str(tree), "ledger": str(tree / "ledger.yml")}
    assert run(capsys, AT, cutoff="16:00", requested_through="2026-12-07", **args)["rc"] == 1
    bad = run(capsys, AT, cutoff="4pm", **args)
    assert bad["rc"] == 1 and "cutoff" in bad["msg"]


def test_desired_state_info_validates_the_records_too(capsys: pytest.CaptureFixture[str], tree: Path) -> None:
    write(tree, 1, Item("new", id="CB-2017-000101"), done_on=DUE)
    write(tree, 2, Item("mailbox", holder="agency/stttt"))
    with patch_module_args({"path": str(tree)}), pytest.raises(SystemExit):
        desired_state_info.main()
    assert json.loads(capsys.readouterr().out)["requests"] == {"open": 1, "done": 1}
    bad = write(tree, 3, Item("change", id="CB-2019-000301", fields=("rank",)))  # a person of stc
    with patch_module_args({"path": str(tree)}), pytest.raises(SystemExit):
        desired_state_info.main()
    result = json.loads(capsys.readouterr().out)
    assert result["failed"] and result["problems"] == [
        f"{bad}: items[0]: id: 'CB-2019-000301' is not a person of agency stttt"
    ]
