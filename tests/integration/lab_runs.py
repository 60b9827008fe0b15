"""Running a playbook on the lab inventory of the project or of a copy of it (``lab_copy.py``).

``run_lab_playbook`` is what the session's labs and most tests use: it fails the test with the
playbook's output when the playbook fails, and hands back PLAY RECAP's counters.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")
LAB_INVENTORY = Path("inventories", "lab", "hosts.yml")
RECAP = re.compile(r"^localhost\s+:\s+(.*)$", re.MULTILINE)


@dataclass(frozen=True)
class PlaybookRun:
    proc: subprocess.CompletedProcess[str]
    recap: dict[str, int]


def lab_playbook(
    name: str, *extra: str, root: Path = REPO, timeout: int = 1800
) -> subprocess.CompletedProcess[str]:
    """Run playbooks/<name> (or lab/<name>, the labs' up and down) of ``root`` on its lab inventory."""
    dirs = (root / "playbooks", root / "lab")
    playbook = next((d / name for d in dirs if (d / name).exists()), root / "playbooks" / name)
    env = dict(os.environ, ANSIBLE_CONFIG=str(root / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    return subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "-i", str(root / LAB_INVENTORY), str(playbook), *extra],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def checked(name: str, proc: subprocess.CompletedProcess[str]) -> PlaybookRun:
    """The run with its recap; the test fails with the playbook's output when the playbook failed."""
    match = RECAP.search(proc.stdout)
    recap = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(1))} if match else {}
    if proc.returncode != 0:
        pytest.fail(f"{name} failed (rc={proc.returncode}):\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}")
    return PlaybookRun(proc, recap)


def run_lab_playbook(name: str, *extra: str, timeout: int = 1800) -> PlaybookRun:
    """Run playbooks/<name> (or lab/<name>) of the project on the lab inventory; fail with its output
    when it fails."""
    return checked(name, lab_playbook(name, *extra, timeout=timeout))
