"""The XLSX request forms in forms/ are what tools/make_request_forms.py writes, byte for byte:
a clerk's template is generated, never edited by hand, and a rebuild changes nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_committed_forms_are_the_generated_ones() -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "tools" / "make_request_forms.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
