# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""danang.mail.desired_state_info run in-process: result shape, failures, check mode."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.module_utils.testing import patch_module_args
from ansible_collections.danang.mail.plugins.module_utils import desired_state as loader
from ansible_collections.danang.mail.plugins.modules import desired_state_info

LAB = Path(__file__).resolve().parents[8] / "inventories" / "lab" / "desired_state"

AGENCY = {
    "abbreviation": "stttt",
    "name": "Sở Thông tin và Truyền thông",
    "departments": [{"abbreviation": "cntt", "name": "Phòng Công nghệ thông tin", "mailbox": True}],
    "people": [
        {"id": "CB-1", "full_name": "Nguyễn Văn Dũng", "requested_on": "2017-08-01", "department": "cntt"},
        {"id": "CB-2", "full_name": "Trần Thị Hà", "requested_on": "2017-08-01", "state": "removed"},
    ],
}


def run(capsys: pytest.CaptureFixture[str], **args: Any) -> dict[str, Any]:
    with patch_module_args(args), pytest.raises(SystemExit):
        desired_state_info.main()
    return json.loads(capsys.readouterr().out)


def tree(root: Path, *agencies: dict[str, Any]) -> Path:
    (root / "agencies").mkdir()
    for data in agencies:
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        (root / "agencies" / f"{data['abbreviation']}.yml").write_text(text, encoding="utf-8")
    return root


def test_valid_tree(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    result = run(capsys, path=str(tree(tmp_path, AGENCY)))
    assert not result.get("failed") and result["changed"] is False
    assert result["agencies"] == 1
    assert result["people"] == {"active": 1, "disabled": 0, "removed": 1}
    assert result["summary"] == [
        {
            "abbreviation": "stttt",
            "name": "Sở Thông tin và Truyền thông",
            "departments": 1,
            "people": {"active": 1, "disabled": 0, "removed": 1},
        }
    ]
    assert [r["id"] for r in result["address_requests"]] == ["agency/stttt", "department/stttt/cntt", "CB-1"]


def test_check_mode_gives_the_same_result(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = str(tree(tmp_path, AGENCY))
    normal = run(capsys, path=path)
    checked = run(capsys, path=path, _ansible_check_mode=True)
    assert checked == normal


def test_invalid_tree_fails_with_every_problem(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = dict(AGENCY, people=[{"id": "CB-1", "full_name": "Nguyễn Văn Dũng", "rank": "x", "phone": "0905"}])
    result = run(capsys, path=str(tree(tmp_path, bad)))
    assert result["failed"] is True
    assert result["msg"].endswith("has 3 problem(s)")
    assert len(result["problems"]) == 3
    assert all(
        p.startswith(str(tmp_path / "agencies" / "stttt.yml") + ": people[0] (id CB-1): ")
        for p in result["problems"]
    )
    assert any("personal_data.vault.yml" in p for p in result["problems"])


def test_missing_directory_fails(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    result = run(capsys, path=str(tmp_path / "nowhere"))
    assert result["failed"] is True and "no agencies/ directory" in result["problems"][0]


def test_missing_path_option_fails(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys)
    assert result["failed"] is True and "path" in result["msg"]


def test_missing_jsonschema(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(loader, "HAS_JSONSCHEMA", False)
    monkeypatch.setattr(loader, "JSONSCHEMA_IMPORT_ERROR", "Traceback ...")
    result = run(capsys, path=str(tmp_path))
    assert result["failed"] is True and "jsonschema" in result["msg"]


@pytest.mark.skipif(not LAB.is_dir(), reason="runs from the repository only")
def test_lab(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, path=str(LAB))
    assert not result.get("failed"), result.get("problems")
    assert result["agencies"] == len(result["summary"]) >= 5
    kinds = {r["kind"] for r in result["address_requests"]}
    assert kinds == {"agency", "department", "person"}
