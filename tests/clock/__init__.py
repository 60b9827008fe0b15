# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The environment that runs ansible-playbook (and the modules it starts) at another moment:
``sitecustomize.py`` of this directory on PYTHONPATH, the moment in DANANG_TEST_NOW."""

from __future__ import annotations

import datetime
import os
from collections.abc import Mapping
from pathlib import Path

SITECUSTOMIZE_DIR = Path(__file__).resolve().parent


def at(moment: datetime.datetime | None, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: this process's) with the clock moved to ``moment``; None: the real clock."""
    result = dict(os.environ if env is None else env)
    result.pop("DANANG_TEST_NOW", None)
    if moment is None:
        return result
    if moment.tzinfo is None:
        raise ValueError("the test clock needs an aware datetime")
    paths = [str(SITECUSTOMIZE_DIR), *filter(None, result.get("PYTHONPATH", "").split(os.pathsep))]
    result["PYTHONPATH"] = os.pathsep.join(paths)
    result["DANANG_TEST_NOW"] = moment.isoformat()
    return result
