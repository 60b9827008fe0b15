"""The first real run: playbooks/allocate.yml as an operator runs it.

Each test copies the lab inventory into a temporary directory and runs the real
ansible-playbook from the project's venv against it, so the committed lab is never touched.
Results are read where an operator reads them: the ledger file, the summary and PLAY RECAP.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from lab_city import copy_lab_inventory

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = REPO / "playbooks" / "allocate.yml"
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")

pytestmark = pytest.mark.integration


@pytest.fixture
def inventory(tmp_path: Path) -> Path:
    """A private copy of inventories/lab without a ledger: a new environment, every address is new."""
    copy = tmp_path / "lab"
    copy_lab_inventory(copy)
    (copy / "desired_state" / "ledger.yml").unlink(missing_ok=True)
    return copy


NEW_LEDGER = ("-e", "danang_mail_ledger_new=true")  # the first run of a new environment, once


def run_playbook(inventory: Path, *extra: str) -> tuple[subprocess.CompletedProcess[str], dict[str, int]]:
    """Run the playbook; return the process and the PLAY RECAP counters for localhost."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(
        # Allocation rules only: the labs (which may hold this very city) are not read for addresses
        # in use here; test_backend_contract.py covers that read.
        [
            str(ANSIBLE_PLAYBOOK),
            "-i",
            str(inventory / "hosts.yml"),
            str(PLAYBOOK),
            "-e",
            '{"danang_mail_in_use_systems": []}',
            *extra,
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    recap = re.search(r"^localhost\s+:\s+(.*)$", proc.stdout, re.MULTILINE)
    counters = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", recap.group(1))} if recap else {}
    return proc, counters


def ledger_holders(inventory: Path) -> dict[str, str]:
    """holder id -> address, read from the ledger file the playbook wrote."""
    data = yaml.safe_load((inventory / "desired_state" / "ledger.yml").read_text(encoding="utf-8"))
    return {entry["id"]: address for address, entry in data["addresses"].items()}


def test_first_run_allocates_by_the_regulation_and_second_run_changes_nothing(inventory: Path) -> None:
    proc, recap = run_playbook(inventory, *NEW_LEDGER)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert recap["changed"] == 1
    holders = ledger_holders(inventory)
    assert f"issued by this run: {len(holders)}" in proc.stdout
    # R-10 agency mailboxes, R-11 departments (a shared name gets the agency suffix), R-12 persons.
    assert holders["agency/stttt"] == "stttt@danang.gov.vn"
    assert holders["department/stttt/cntt"] == "cntt@danang.gov.vn"
    assert holders["department/stttt/thanhtra"] == "thanhtra-stttt@danang.gov.vn"
    assert holders["department/stc/thanhtra"] == "thanhtra-stc@danang.gov.vn"
    assert holders["CB-2017-000101"] == "dungnv@danang.gov.vn"
    assert holders["CB-2018-000212"] == "hmaryamn@danang.gov.vn"
    # later Dũngs are numbered in request order; R-14: same day, the higher rank keeps hoalt@.
    assert holders["CB-2018-000250"] == "dungnv1@danang.gov.vn"
    assert holders["CB-2019-000301"] == "dungnv2@danang.gov.vn"
    assert holders["CB-2021-000531"] == "hoalt@danang.gov.vn"
    assert holders["CB-2021-000530"] == "hoalt1@danang.gov.vn"
    assert len(set(holders.values())) == len(holders)

    ledger_text = (inventory / "desired_state" / "ledger.yml").read_text(encoding="utf-8")
    proc, recap = run_playbook(inventory)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert recap["changed"] == 0
    assert "issued by this run: 0" in proc.stdout
    assert (inventory / "desired_state" / "ledger.yml").read_text(encoding="utf-8") == ledger_text


def test_check_mode_shows_provisional_addresses_and_writes_nothing(inventory: Path) -> None:
    proc, recap = run_playbook(inventory, "--check", "--diff", *NEW_LEDGER)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert recap["changed"] == 1
    assert "provisional: check mode, ledger not written" in proc.stdout
    assert "dungnv@danang.gov.vn" in proc.stdout
    assert not (inventory / "desired_state" / "ledger.yml").exists()


def test_invalid_desired_state_is_refused_whole_with_file_entry_and_field(inventory: Path) -> None:
    agency = inventory / "desired_state" / "agencies" / "stttt.yml"
    text = agency.read_text(encoding="utf-8")
    agency.write_text(text.replace("full_name: Lê Quang Nam", "full_name: Lê Quang Nam 2"), encoding="utf-8")
    proc, recap = run_playbook(inventory)
    assert proc.returncode != 0 and recap["failed"] == 1
    flat = " ".join(proc.stdout.split())  # the YAML callback wraps long lines
    assert "agencies/stttt.yml: people[2] (id CB-2017-000103): full_name:" in flat
    assert "has 1 problem(s)" in flat
    assert not (inventory / "desired_state" / "ledger.yml").exists()


def test_lost_ledger_is_refused_and_never_started_again(inventory: Path) -> None:
    """A new environment says so once; afterwards a missing or emptied ledger stops the run (R-03)."""
    ledger = inventory / "desired_state" / "ledger.yml"
    proc, recap = run_playbook(inventory)
    assert proc.returncode != 0 and recap["failed"] == 1
    flat = " ".join(proc.stdout.split())
    assert f"the ledger {ledger} does not exist" in flat
    assert "ledger_new: true" in flat
    assert not ledger.exists()

    proc, _recap = run_playbook(inventory, *NEW_LEDGER)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    proc, recap = run_playbook(inventory, *NEW_LEDGER)  # left on by mistake: refused, not restarted
    assert recap["failed"] == 1
    assert "already exists: ledger_new only starts a ledger where there is none" in " ".join(
        proc.stdout.split()
    )

    text = ledger.read_text(encoding="utf-8")
    ledger.write_text(text[: text.index("\n  ", text.index("\n  ") + 1) + 1], encoding="utf-8")  # cut
    proc, recap = run_playbook(inventory)
    assert recap["failed"] == 1
    assert f"restore it from git (git log -p -- {ledger})" in " ".join(proc.stdout.split())
