"""ansible-playbook from the clone, as an operator runs it: the repository's ansible.cfg, the
environment's inventory, extra variables as one JSON argument (a path with spaces or ``=`` stays one
value), and whatever the caller adds (``--vault-id``, ``-e``) after ``--``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any


def ansible_playbook() -> str:
    """The ansible-playbook beside this Python (the project's venv), else the one on PATH."""
    beside = Path(sys.executable).with_name("ansible-playbook")
    return str(beside) if beside.exists() else (shutil.which("ansible-playbook") or "ansible-playbook")


def inventory(root: Path, env: str) -> Path:
    return root / "inventories" / env / "hosts.yml"


def desired_state(root: Path, env: str) -> Path:
    return root / "inventories" / env / "desired_state"


def run(
    root: Path,
    env: str,
    playbook: str,
    extra_vars: Mapping[str, Any],
    ansible_args: Sequence[str] = (),
    check: bool = False,
) -> int:
    """Run ``playbook`` (relative to the clone, or absolute) on ``env``; its output goes to ours."""
    environ = dict(os.environ)
    if (root / "ansible.cfg").exists():
        environ.setdefault("ANSIBLE_CONFIG", str(root / "ansible.cfg"))
    command = [ansible_playbook(), "-i", str(inventory(root, env)), str(root / playbook)]
    if extra_vars:
        command += ["-e", json.dumps(dict(extra_vars))]
    if check:
        command += ["--check", "--diff"]
    command += list(ansible_args)
    sys.stdout.flush()
    return subprocess.run(command, cwd=root, env=environ, check=False).returncode
