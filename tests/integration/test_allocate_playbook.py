"""The first real run (issue 2, section 5): playbooks/allocate.yml as an operator runs it.

Each test copies the lab inventory into a temporary directory and runs the real
ansible-playbook from the project's venv against it, so the committed lab is never touched.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = REPO / "playbooks" / "allocate.yml"
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")

pytestmark = pytest.mark.integration


@pytest.fixture
def inventory(tmp_path: Path) -> Path:
    """A private copy of inventories/lab without a ledger: every address is new."""
    copy = tmp_path / "lab"
    shutil.copytree(REPO / "inventories" / "lab", copy)
    (copy / "desired_state" / "ledger.yml").unlink(missing_ok=True)
    return copy


def run_playbook(inventory: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], dict]:
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="json")
    proc = subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "-i", str(inventory / "hosts.yml"), str(PLAYBOOK), *extra],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(proc.stdout) if proc.stdout.lstrip().startswith("{") else {}
    return proc, report


def task_result(report: dict, name_prefix: str) -> dict:
    for play in report["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"].startswith(name_prefix):
                return task["hosts"]["localhost"]
    raise AssertionError(f"no task {name_prefix!r} in the report")


def ledger_holders(inventory: Path) -> dict[str, str]:
    """holder id -> address, read from the ledger file the playbook wrote."""
    data = yaml.safe_load((inventory / "desired_state" / "ledger.yml").read_text(encoding="utf-8"))
    return {entry["id"]: address for address, entry in data["addresses"].items()}


def test_first_run_allocates_by_the_regulation_and_second_run_changes_nothing(inventory: Path) -> None:
    proc, report = run_playbook(inventory)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    allocation = task_result(report, "Allocate addresses")
    assert allocation["changed"] is True
    holders = ledger_holders(inventory)
    assert holders == {k: v for k, v in allocation["addresses"].items()}
    # R-10 agency mailboxes, R-11 departments (a shared name gets the agency suffix), R-12 persons.
    assert holders["agency/stttt"] == "stttt@danang.gov.vn"
    assert holders["department/stttt/cntt"] == "cntt@danang.gov.vn"
    assert holders["department/stttt/thanhtra"] == "thanhtra-stttt@danang.gov.vn"
    assert holders["department/stc/thanhtra"] == "thanhtra-stc@danang.gov.vn"
    assert holders["CB-2017-000101"] == "dungnv@danang.gov.vn"
    assert holders["CB-2018-000212"] == "hmaryamn@danang.gov.vn"
    # every later Dũng is numbered; R-15: nothing issued twice.
    assert len(set(holders.values())) == len(holders)
    dungs = sorted(a for a in holders.values() if a.startswith("dungnv"))
    assert dungs[0] == "dungnv@danang.gov.vn" and "dungnv1@danang.gov.vn" in dungs

    proc, report = run_playbook(inventory)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    again = task_result(report, "Allocate addresses")
    assert again["changed"] is False and again["allocated"] == []
    assert again["addresses"] == allocation["addresses"]


def test_check_mode_shows_provisional_addresses_and_writes_nothing(inventory: Path) -> None:
    proc, report = run_playbook(inventory, "--check", "--diff")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    allocation = task_result(report, "Allocate addresses")
    assert allocation["changed"] is True and allocation["allocated"]
    assert not (inventory / "desired_state" / "ledger.yml").exists()


def test_invalid_desired_state_is_refused_whole_with_file_entry_and_field(inventory: Path) -> None:
    agency = inventory / "desired_state" / "agencies" / "stttt.yml"
    text = agency.read_text(encoding="utf-8")
    agency.write_text(text.replace("full_name: Lê Quang Nam", "full_name: Lê Quang Nam 2"), encoding="utf-8")
    proc, report = run_playbook(inventory)
    assert proc.returncode != 0
    failed = task_result(report, "Validate the whole desired state")
    assert failed["failed"] is True
    problem = next(p for p in failed["problems"] if "full_name" in p)
    assert "stttt.yml" in problem and "CB-2017-000103" in problem
    assert not (inventory / "desired_state" / "ledger.yml").exists()
