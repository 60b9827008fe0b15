# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One escaping helper per output format the collection writes (the R-47 report: Markdown and CSV).

Every value rendered into a report goes through these, whatever its origin: agency names are
restricted at validation (``vietnamese.check_vietnamese_text``), but an address or a name read
back from a server is not, and a report must stay inert when opened in a Markdown viewer (no HTML,
no link, no broken table) or a spreadsheet (no formula).
"""

from __future__ import annotations

import re
from typing import Any

# Markdown inline syntax, and the HTML a Markdown viewer would pass through (as entities below).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~-])")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
_LINE_BREAKS = re.compile(r"[\r\n\t\v\f\u2028\u2029\x85]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def markdown_cell(value: Any) -> str:
    """``value`` as literal text inside a Markdown table cell: one line, no markup, no HTML."""
    text = _CONTROL.sub("", _LINE_BREAKS.sub(" ", _text(value)))
    text = "".join(_HTML.get(char, char) for char in text)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def csv_field(value: Any) -> str:
    """``value`` as one quoted CSV field that a spreadsheet shows as text, never runs as a formula."""
    text = _text(value)
    if text.startswith(_FORMULA_START):
        text = "'" + text
    return '"' + text.replace('"', '""') + '"'
