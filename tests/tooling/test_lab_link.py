"""lab/tasks/lab_link.yml never makes a lab's link point at itself.

A playbook handed ``.lab/obm`` (the link) as the lab's directory once replaced the link by a link to
itself, and every later lab run failed ("Too many levels of symbolic links"). The task file refuses
a lab directory inside the clone's ``.lab`` before it touches anything. Run in check mode on a
temporary clone: nothing on the machine changes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")


def run_lab_link(tmp_path: Path, target: Path) -> subprocess.CompletedProcess[str]:
    clone = tmp_path / "clone"
    (clone / ".lab").mkdir(parents=True, exist_ok=True)
    playbook = tmp_path / "link.yml"
    playbook.write_text(
        "- hosts: localhost\n"
        "  gather_facts: false\n"
        "  tasks:\n"
        f"    - ansible.builtin.include_tasks: {REPO / 'lab/tasks/lab_link.yml'}\n",
        encoding="utf-8",
    )
    variables = {
        "lab_repo_dir": str(clone),
        "lab_state_dir": str(tmp_path / "state" / "0123456789abcdef"),
        "lab_link_name": "obm",
        "lab_link_target": str(target),
        "lab_link_ctl": "bin/obm-lab",
        "ansible_python_interpreter": sys.executable,
    }
    command = [str(ANSIBLE_PLAYBOOK), "-i", "localhost,", "-c", "local", str(playbook), "--check"]
    return subprocess.run(
        [*command, "--extra-vars", json.dumps(variables)],
        env=dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_lab_directory_inside_dot_lab_is_refused_before_anything_changes(tmp_path: Path) -> None:
    proc = run_lab_link(tmp_path, tmp_path / "clone" / ".lab" / "obm")
    assert proc.returncode != 0
    assert "never the link .lab/obm" in proc.stdout
    assert not (tmp_path / "state").exists()


def test_a_lab_directory_outside_the_clone_passes_the_check(tmp_path: Path) -> None:
    proc = run_lab_link(tmp_path, tmp_path / "state" / "0123456789abcdef" / "obm")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
