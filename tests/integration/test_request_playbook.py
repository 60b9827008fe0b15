"""playbooks/request.yml as an operator (or tools/gitops) runs it, on a private copy of the lab
inventory: check mode shows the diff and writes only the summary; the real run edits the agency
file and writes the record; the same request again changes nothing; a conflict writes nothing.
No mail system is touched, so no lab is needed."""

from __future__ import annotations

import difflib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from lab_city import copy_lab_inventory

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = REPO / "playbooks" / "request.yml"
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")
RECORD = Path("desired_state") / "requests" / "2026-12-07-stttt-1.yml"

pytestmark = pytest.mark.integration


@pytest.fixture
def inventory(tmp_path: Path) -> Path:
    copy = tmp_path / "lab"
    copy_lab_inventory(copy)
    return copy


def files(inventory: Path) -> dict[str, bytes]:
    root = inventory / "desired_state"
    return {str(p.relative_to(inventory)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def run(inventory: Path, *extra: str, ok: bool = True) -> tuple[str, dict[str, int]]:
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "-i", str(inventory / "hosts.yml"), str(PLAYBOOK), *extra],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert (proc.returncode == 0) == ok, proc.stdout[-4000:] + proc.stderr[-2000:]
    recap = re.search(r"^localhost\s+:\s+(.*)$", proc.stdout, re.MULTILINE)
    return proc.stdout, {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", recap.group(1))}


def test_check_mode_then_for_real_then_again(inventory: Path, tmp_path: Path) -> None:
    before = files(inventory)
    summary = tmp_path / "summary.md"
    # relative to the repository's root, as tools/gitops and the docs give it
    args = ("-e", "request=forms/mau-01.yml", "-e", f"request_summary={summary}")

    out, recap = run(inventory, *args, "--check", "--diff")
    assert files(inventory) == before  # check mode writes nothing but the summary
    assert "+    state: removed" in out and "+  - id: CB-2026-000001" in out
    assert recap["changed"] == 1
    text = summary.read_text(encoding="utf-8")
    assert "binhnv@danang.gov.vn \\(provisional\\)" in text and "2026\\-12\\-07\\-stttt\\-1" in text

    _out, recap = run(inventory, *args)
    after = files(inventory)
    assert str(RECORD) in after and recap["changed"] == 1
    agency = after["desired_state/agencies/stttt.yml"].decode()
    original = before["desired_state/agencies/stttt.yml"].decode()
    # byte for byte outside the edited lines: one line replaced, the others added
    matcher = difflib.SequenceMatcher(
        None, original.splitlines(True), agency.splitlines(True), autojunk=False
    )
    removed = [
        line for op, i1, i2, _j1, _j2 in matcher.get_opcodes() if op != "equal" for line in matcher.a[i1:i2]
    ]
    added = [
        line for op, _i1, _i2, j1, j2 in matcher.get_opcodes() if op != "equal" for line in matcher.b[j1:j2]
    ]
    assert removed == ["    department: cntt\n"]
    assert added == [
        "    department: thanhtra\n",
        "    state: removed\n",
        "  - id: CB-2026-000001\n",
        "    full_name: Nguyễn Văn Bình\n",
        "    department: cntt\n",
        "    rank: 2\n",
        "    requested_on: 2026-12-07\n",
    ]

    _out, recap = run(inventory, *args)
    assert files(inventory) == after and recap["changed"] == 0
    assert "Already imported as 2026\\-12\\-07\\-stttt\\-1" in summary.read_text(encoding="utf-8")


def test_records_export_with_its_mapping(inventory: Path, tmp_path: Path) -> None:
    export = tmp_path / "cap-email.csv"
    export.write_text(
        "Mã hồ sơ;Họ và tên;Mã cơ quan;Mã phòng ban;Cấp bậc;Ngày đề nghị;Loại yêu cầu\n"
        "CB-2026-000031;Đỗ Văn Lâm;stttt;cntt;1;07/12/2026;Cấp mới\n"
        "CB-2026-000032;Ngô Thị Lan;stc;;;07/12/2026;Cấp mới\n",
        encoding="utf-8",
    )
    mapping = inventory / "records_mapping.yml"
    _out, recap = run(inventory, "-e", f"request={export}", "-e", f"request_mapping={mapping}")
    written = files(inventory)
    assert "desired_state/requests/2026-12-07-stc-1.yml" in written
    assert "desired_state/requests/2026-12-07-stttt-1.yml" in written
    assert recap["changed"] == 1


def test_a_conflict_fails_and_writes_nothing(inventory: Path, tmp_path: Path) -> None:
    request = tmp_path / "bad.yml"
    request.write_text(
        'form: "01"\nagency: stttt\nreceived_on: 2026-12-07\n'
        "requester: {name: Trần Thị Bình, email: vanthu-stttt@danang.gov.vn}\n"
        "people:\n  - {action: new, id: CB-2017-000101, full_name: Lê Văn Tám, department: cntt}\n",
        encoding="utf-8",
    )
    before = files(inventory)
    out, _recap = run(inventory, "-e", f"request={request}", ok=False)
    assert "already used by stttt's Nguyễn Văn Dũng" in out and "nothing was written" in out
    assert files(inventory) == before
