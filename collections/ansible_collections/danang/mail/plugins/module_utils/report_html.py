# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A report as one self-contained HTML file (R-47, R-60)."""

from __future__ import annotations

from ansible_collections.danang.mail.plugins.module_utils.report_model import Report


def render(report: Report) -> str:
    """The whole HTML file's text for ``report``."""
    raise NotImplementedError(report.kind)
