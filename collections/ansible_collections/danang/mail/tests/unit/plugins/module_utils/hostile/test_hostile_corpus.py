# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every hostile input is refused with a problem naming its file, in bounded time and memory.

Each case runs in a child process limited to 512 MiB of address space and a timeout
(``hostile_cases.run_case``): before the strict reader an alias bomb took 88 s and 5.6 GB, and
30,000 ``[`` crashed the process in libyaml.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hostile_cases import CASES, SECRET, Case, run_case

MAX_SECONDS = 5.0  # each load measured in milliseconds; generous for a loaded CI machine
MAX_RSS_KIB = 256 * 1024
MAX_MESSAGE = 400  # a message never quotes more than a short, cut value


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_input_is_refused_naming_the_file_in_bounded_time_and_memory(
    case: Case, tmp_path: Path
) -> None:
    named, result = run_case(case, tmp_path)
    assert result.returncode == 0, f"the loader crashed (exit {result.returncode}): {result.stderr[-2000:]}"
    figures = json.loads(result.stdout)
    problems = figures["problems"]
    assert problems, "the hostile input was accepted"
    assert all(source == str(named) for source, *_rest in problems), problems
    assert any(case.expect in message for *_where, message, _text in problems), problems
    for *_where, text in problems:
        assert len(text) - len(str(named)) < MAX_MESSAGE, text
        assert SECRET not in text and "\n" not in text
    assert figures["seconds"] < MAX_SECONDS
    assert figures["max_rss_kib"] < MAX_RSS_KIB
