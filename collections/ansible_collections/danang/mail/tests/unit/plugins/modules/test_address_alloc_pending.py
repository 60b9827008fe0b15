# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""danang.mail.address_alloc with requested_through (the daily cut-off, R-14): pending persons get a
provisional address and are never written to the ledger."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
import time_machine
from ansible.module_utils.testing import patch_module_args
from ansible_collections.danang.mail.plugins.module_utils.ledger import load_ledger
from ansible_collections.danang.mail.plugins.modules import address_alloc

AT = datetime.datetime(2026, 12, 8, 9, 0, tzinfo=datetime.UTC).timestamp()  # 16:00 in Da Nang


def run(capsys: pytest.CaptureFixture[str], check_mode: bool = False, **args: object) -> dict:
    args = {**args, "_ansible_check_mode": check_mode}
    with patch_module_args(args), pytest.raises(SystemExit) as exc, time_machine.travel(AT, tick=False):
        address_alloc.main()
    result = json.loads(capsys.readouterr().out)
    result["rc"] = exc.value.code
    return result


def test_pending_persons_are_returned_and_never_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ledger = str(tmp_path / "ledger.yml")
    requests = [
        {"id": "CB-1", "full_name": "Nguyễn Văn Dũng", "requested_on": "2026-12-07", "rank": 1},
        {"id": "CB-2", "full_name": "Ngô Văn Dũng", "requested_on": "2026-12-08", "rank": 9},
    ]
    args = {"ledger": ledger, "requests": requests, "requested_through": "2026-12-07"}
    result = run(capsys, ledger_new=True, **args)
    assert result["rc"] == 0 and result["allocated"] == [{"id": "CB-1", "address": "dungnv@danang.gov.vn"}]
    assert result["pending"] == [{"id": "CB-2", "address": "dungnv1@danang.gov.vn"}]
    assert list(load_ledger(ledger).holders()) == ["CB-1"]
    again = run(capsys, **args)
    assert again["changed"] is False and again["pending"] == result["pending"]
    final = run(capsys, ledger=ledger, requests=requests, requested_through="2026-12-08")
    assert (
        final["allocated"] == [{"id": "CB-2", "address": "dungnv1@danang.gov.vn"}] and final["pending"] == []
    )


def test_a_wrong_requested_through_allocates_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.yml"
    result = run(capsys, ledger=str(ledger), ledger_new=True, requested_through="yesterday")
    assert result["rc"] == 1 and result["problems"] == [
        "requested_through: must be a date YYYY-MM-DD, not 'yesterday'"
    ]
    assert not ledger.exists()
