# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report templates escape every value: a hostile agency name, address or rule name stays text
(R-47 password report, R-50 forwarding report)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import jinja2
import pytest
from ansible_collections.danang.mail.plugins.filter.escape import FilterModule

PLAYBOOKS = Path(__file__).resolve().parents[8] / "playbooks"
XSS = "<img src=x onerror=alert(1)>"
FORMULA = '=HYPERLINK("http://evil.example","Bấm")'
ROW = {
    "address": "-1+1@danang.gov.vn",
    "system": "obm",
    "agency": "\t=1+1",  # a tab before the formula: spreadsheets still run it
    "agency_name": XSS,
    "reason": "unchanged_6_months",
    "due": "2026-06-01",
    "action": "lock",
    "holder_id": FORMULA,
}


def render_template(name: str, result: dict) -> str:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(PLAYBOOKS)), autoescape=False, trim_blocks=True
    )  # as ansible.builtin.template
    environment.filters.update({f"danang.mail.{name}": f for name, f in FilterModule().filters().items()})
    return environment.get_template(f"templates/{name}").render(result=result)


def render(kind: str, row: dict) -> str:
    return render_template(
        f"password_report.{kind}.j2", {"report": [row], "now": "2026-12-07T09:00:00+07:00"}
    )


@pytest.mark.parametrize("hostile", [XSS, "[x](http://evil.example) | broken", "a\n\n# heading"])
def test_markdown_report_renders_hostile_names_as_text(hostile: str) -> None:
    text = render("md", {**ROW, "agency_name": hostile})
    [line] = [line for line in text.splitlines() if line.startswith("| 1 |")]
    assert "<img" not in text and "](http" not in text and "\n# heading" not in text
    assert line.count(" | ") == 6  # still seven cells


def test_csv_report_never_starts_a_cell_with_a_formula() -> None:
    text = render("csv", ROW).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 2 and len(rows[1]) == 9
    for cell in rows[1]:
        assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), cell
    assert rows[1][0] == "'-1+1@danang.gov.vn" and rows[1][8] == "'" + FORMULA


def forwarding(kind: str, where: str) -> str:
    """A user names a Sieve script or an inbox rule as they like: the report shows it as text."""
    row = {
        "system": "obm",
        "holder": "dungnv@danang.gov.vn",
        "target": "=cmd|' /C calc'!A0@evil.example",
        "mechanism": "sieve_redirect",
        "how": "Sieve redirect (OBM forwarding)",
        "where": where,
        "enabled": True,
        "outside": True,
        "action": "remove",
        "removed": True,
        "error": None,
    }
    summary = {"forwards": 1, "inside": 0, "outside": 1, "outside_disabled": 0, "removed": 1, "failed": 0}
    return render_template(
        f"forwarding_report.{kind}.j2", {"today": "2027-03-02", "forwards": [row], "summary": summary}
    )


@pytest.mark.parametrize("hostile", [XSS, "[x](http://evil.example) | broken", "a\n\n# heading"])
def test_forwarding_report_shows_a_hostile_rule_name_as_text(hostile: str) -> None:
    text = forwarding("md", hostile)
    [line] = [line for line in text.splitlines() if line.startswith("| 1 |")]
    assert "<img" not in text and "](http" not in text and "\n# heading" not in text
    assert line.count(" | ") == 8  # still nine cells
    assert "- Ngày lập: 02/03/2027" in text


def test_forwarding_csv_never_starts_a_cell_with_a_formula() -> None:
    rows = list(csv.reader(io.StringIO(forwarding("csv", FORMULA).lstrip("\ufeff"))))
    assert len(rows) == 2 and len(rows[1]) == 9
    for cell in rows[1]:
        assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), cell
