# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters ``danang.mail.markdown_cell`` and ``danang.mail.csv_field``: escaping for the reports.

The templates use these for every value; the rules live in ``module_utils/escaping.py``.
Documentation is in the sidecar files ``markdown_cell.yml`` and ``csv_field.yml``.
"""

from __future__ import annotations

from typing import Any, Callable

from ansible_collections.danang.mail.plugins.module_utils.escaping import csv_field, markdown_cell


class FilterModule:
    """Escaping filters of the danang.mail collection."""

    def filters(self) -> dict[str, Callable[[Any], str]]:
        return {"markdown_cell": markdown_cell, "csv_field": csv_field}
