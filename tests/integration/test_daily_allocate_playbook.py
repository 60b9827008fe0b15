# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/daily_allocate.yml at either side of the cut-off (16:00 city time), on a machine whose
zone is not the city's: the day's persons are allocated together at the cut-off, not before (R-14).
No mail system is read (danang_mail_in_use_systems: []), as the git-side tests run it."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import clock
import pytest
import yaml
from ansible_collections.danang.mail.plugins.module_utils import ledger, model
from lab_city import copy_lab_inventory

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")
DAY = "2026-12-08"
LOW, HIGH = "CB-2026-009101", "CB-2026-009102"

pytestmark = pytest.mark.integration


@pytest.fixture
def inventory(tmp_path: Path) -> Path:
    """The lab inventory with two persons of the same name requested on DAY, the lower rank first."""
    copy = tmp_path / "lab"
    copy_lab_inventory(copy)
    path = copy / "desired_state" / "agencies" / "snv.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["people"] += [
        {"id": LOW, "full_name": "Lê Văn Hòa", "department": "ccvc", "rank": 1, "requested_on": DAY},
        {"id": HIGH, "full_name": "Lê Văn Hòa", "department": "tcbc", "rank": 5, "requested_on": DAY},
    ]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return copy


def allocate_at(inventory: Path, hour: int, minute: int) -> str:
    now = datetime.datetime(2026, 12, 8, hour, minute, tzinfo=model.CITY_TIMEZONE)
    env = dict(
        os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1", TZ="America/Los_Angeles"
    )
    proc = subprocess.run(
        [
            str(ANSIBLE_PLAYBOOK),
            "-i",
            str(inventory / "hosts.yml"),
            str(REPO / "playbooks" / "daily_allocate.yml"),
            "-e",
            json.dumps({"danang_mail_in_use_systems": []}),
        ],
        cwd=REPO,
        env=clock.at(now, env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    return proc.stdout


def test_the_days_persons_are_allocated_at_the_cut_off_by_rank(inventory: Path) -> None:
    path = str(inventory / "desired_state" / "ledger.yml")
    before = allocate_at(inventory, 15, 59)
    assert "addresses are final for the requests through 2026-12-07" in before
    holders = ledger.load_ledger(path).holders()
    assert LOW not in holders and HIGH not in holders  # pending: provisional addresses only

    at = allocate_at(inventory, 16, 0)
    assert "addresses are final for the requests through 2026-12-08" in at
    holders = ledger.load_ledger(path).holders()
    assert (holders[HIGH], holders[LOW]) == ("hoalv@danang.gov.vn", "hoalv1@danang.gov.vn")
