# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""danang.mail.report refuses wrong options before anything is read or written (R-60, R-47).
The report itself is checked in test_report_figures.py, test_report_files.py and, with its HTML
file, in tests/integration/test_report_playbook.py."""

from __future__ import annotations

import pytest
from ansible_collections.danang.mail.plugins.modules import report
from fake_system import OBM, person


@pytest.mark.parametrize(
    ("more", "message"),
    [
        ({}, "period: required with kind r60"),
        ({"period": "2026H3"}, "period: must be a half year YYYYH1 or YYYYH2, a year YYYY (R-60)"),
        ({"period": "2026H2", "rspamd_url": "http://127.0.0.1:11334"}, "rspamd_password: required"),
        ({"period": "2026", "idle_months": 0}, "idle_months: must be at least 1"),
    ],
)
def test_wrong_options_are_refused_before_anything_is_read(
    run_module, fake_systems, town, tmp_path, more, message
):
    options = town(person("CB-1", "Nguyễn Văn Dũng"))
    out = tmp_path / "reports"
    out.mkdir()
    result = run_module(report, {**OBM, **options, "output_dir": str(out), **more})
    assert result["rc"] == 1 and message in result["msg"], result
    assert not any(system.calls for system in fake_systems.values())
    assert list(out.iterdir()) == []
