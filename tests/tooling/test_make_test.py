"""``make test`` runs every step once, the integration tests beside the other steps.

The Makefile is run as CI runs it, in a scratch directory where every tool of ``.venv/bin`` is a
stand-in that records when it starts and ends: no step may be lost or run twice, the other steps
run one after another, and the integration tests (most of make test's time, mostly waiting on
playbooks and servers) run while they do.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COLLECTION = Path("collections/ansible_collections/danang/mail")
NO_SHARED_LAB = (
    "tests/integration/test_lab_lifecycle.py",
    "tests/integration/test_lab_location.py",
    "tests/integration/test_allocate_playbook.py",
    "tests/integration/test_daily_allocate_playbook.py",
    "tests/integration/test_request_playbook.py",
)
TOOLS = ("python", "yamllint", "ruff", "ansible-lint", "ansible-test", "molecule")
# Appends "start|end <tool> <arguments>" to one log, whose order tells what overlapped (no clock read).
# The integration run's stand-in lasts until the last other step, test_lab_location.py, has ended
# (at most 60 s).
STAND_IN = """#!/bin/sh
echo "start $(basename "$0") $*" >> "$STEPS"
case "$*" in *--durations*)
    n=0
    until grep -q '^end .*test_lab_location' "$STEPS" || [ $n -ge 600 ]; do sleep 0.1; n=$((n + 1)); done ;;
esac
echo "end $(basename "$0") $*" >> "$STEPS"
"""


def steps(tmp_path: Path) -> list[tuple[int, int, str]]:
    """Each command run, with the positions of its start and end in the log, in order of start."""
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name in TOOLS:
        (bin_dir / name).write_text(STAND_IN, encoding="utf-8")
        (bin_dir / name).chmod(0o755)
    shutil.copy(REPO / "Makefile", tmp_path)
    (tmp_path / "requirements.txt").touch()
    (bin_dir / ".installed").touch()  # newer than requirements.txt: no pip install
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "ansible_test_get_pip.py").touch()
    (tmp_path / COLLECTION).mkdir(parents=True)
    log = tmp_path / "steps.log"
    env = dict(os.environ, HOME=str(tmp_path), STEPS=str(log))
    env.pop("MAKEFLAGS", None)
    proc = subprocess.run(
        ["make", "test"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = log.read_text(encoding="utf-8").splitlines()
    return [
        (index, lines.index(f"end {line[6:]}"), line[6:])
        for index, line in enumerate(lines)
        if line.startswith("start ")
    ]


def test_make_test_runs_each_step_once_and_the_integration_tests_beside_the_others(tmp_path: Path) -> None:
    ran = steps(tmp_path)
    commands = [command for _start, _end, command in ran]
    expected = [
        "yamllint --strict .",
        "ruff check .",
        "ruff format --check .",
        "ansible-lint --offline --profile production",
        "python -m ansible_collections.danang.mail.plugins.module_utils.desired_state_schema --check",
        "python -m pytest -q",  # the unit tests under the two clocks
        "python -m pytest -q -p no:cacheprovider --deselect tests/gitops",
        "python -m pytest -q -p no:cacheprovider tests/collection",
        "ansible-test sanity --python 3.11 --color no",
        "molecule test -s obm",
        # test_lab_lifecycle.py and test_lab_location.py (the copy's labs on their own ports) and
        # the tests that read no mail system, once: with the other steps
        "python -m pytest -q -p no:cacheprovider " + " ".join(NO_SHARED_LAB),
        "python -m pytest -q --durations=15 tests/integration "
        + " ".join(f"--ignore={p}" for p in NO_SHARED_LAB),
    ]
    assert sorted(commands) == sorted(expected)

    (integration,) = [step for step in ran if "--durations" in step[2]]
    others = [step for step in ran if step is not integration]
    for before, after in itertools.pairwise(others):
        assert before[1] <= after[0], f"{before[2]} and {after[2]} ran at the same time"
    assert integration[0] < others[-1][0], "the integration tests run beside the other steps"
