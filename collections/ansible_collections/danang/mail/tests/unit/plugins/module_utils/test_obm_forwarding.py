# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""R-50 on OBM: a redirect runs (``enabled``) when its script is the active one or is included from
it (RFC 6609 ``include``), however deep and even in a loop; other scripts are reported disabled."""

from __future__ import annotations

from ansible_collections.danang.mail.plugins.module_utils.backends.obm.forwarding import _running
from ansible_collections.danang.mail.plugins.module_utils.sieve import parse


def test_included_scripts_run_with_the_active_one() -> None:
    scripts = {"main": True, "nomade": False, "deeper": False, "old": False, "broken": False}
    parsed = {
        "main": parse('require "include"; include :personal "nomade"; include :global "nomade-global";'),
        "nomade": parse('require "include"; include "deeper"; include "main"; redirect "x@far.example";'),
        "deeper": parse('redirect "y@far.example";'),
        "old": parse('redirect "z@far.example";'),
    }
    assert _running(scripts, parsed) == {"main", "nomade", "deeper"}
    assert _running({"old": False}, {"old": parsed["old"]}) == set()
