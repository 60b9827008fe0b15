# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The test clock (tests/clock) reaches the modules: ansible-playbook run with ``clock.at(moment)``
starts a module (AnsiballZ, local connection) whose Python clock reads that moment, so the
integration tests judge passwords months later without a clock option in any module."""

from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import clock
import pytest

REPO = Path(__file__).resolve().parents[2]
MOMENT = datetime.datetime(2031, 2, 3, 4, 5, 6, tzinfo=datetime.timezone(datetime.timedelta(hours=7)))
PLAY = """
- name: Report the module's clock
  hosts: localhost
  gather_facts: false
  tasks:
    - name: A module reads its clock (ansible_date_time comes from the module's Python time)
      ansible.builtin.setup:
        gather_subset: [date_time]
      register: clock_facts
    - name: Show it
      ansible.builtin.debug:
        msg: "CLOCK={{ clock_facts.ansible_facts.ansible_date_time.epoch }}"
"""


def module_epoch(tmp_path: Path, env: dict[str, str]) -> float:
    (tmp_path / "play.yml").write_text(PLAY, encoding="utf-8")
    playbook = Path(sys.executable).parent / "ansible-playbook"
    interpreter = f"ansible_python_interpreter={sys.executable}"
    proc = subprocess.run(
        [str(playbook), "-i", "localhost,", "-c", "local", "-e", interpreter, str(tmp_path / "play.yml")],
        cwd=REPO,
        env={**env, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    found = re.search(r"CLOCK=(\d+)", proc.stdout)
    assert found, proc.stdout[-3000:]
    return float(found.group(1))


def test_a_module_started_by_ansible_playbook_reads_the_moved_clock(tmp_path: Path):
    epoch = module_epoch(tmp_path, clock.at(MOMENT))
    assert 0 <= epoch - MOMENT.timestamp() < 120  # ticking from the moment on


def test_without_a_moment_the_clock_is_the_real_one(tmp_path: Path):
    env = clock.at(None, {**os.environ, "DANANG_TEST_NOW": MOMENT.isoformat()})
    assert "DANANG_TEST_NOW" not in env
    assert abs(module_epoch(tmp_path, env) - MOMENT.timestamp()) > 86400


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError, match="aware"):
        clock.at(datetime.datetime(2031, 2, 3))


def test_the_moment_is_also_what_python_reads_in_a_plain_subprocess():
    code = (
        "import datetime, json; print(json.dumps(datetime.datetime.now(datetime.timezone.utc).isoformat()))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=clock.at(MOMENT), capture_output=True, text=True, check=True
    )
    seen = datetime.datetime.fromisoformat(json.loads(out.stdout))
    assert 0 <= (seen - MOMENT).total_seconds() < 120
