"""A bare ``pytest`` from the repository root runs the unit tests only.

The integration tests bring up the labs (Debian packages, daemons, fixed ports): they must stay one
explicit command (``make integration``), never the side effect of a developer's habit.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def collected(*args: str) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return [line for line in proc.stdout.splitlines() if "::" in line]


def test_bare_pytest_collects_the_unit_tests_and_no_integration_test():
    ids = collected()
    assert not [i for i in ids if i.startswith("tests/integration/")]
    assert any(i.startswith("collections/ansible_collections/danang/mail/tests/unit/") for i in ids)
    assert any(i.startswith("lab/exchange_lab/") for i in ids)


def test_integration_tests_are_collected_when_named():
    assert all(i.startswith("tests/integration/") for i in collected("tests/integration"))
    assert collected("tests/integration")
