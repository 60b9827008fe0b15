# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report templates escape every value: a hostile agency name, address or rule name stays text
(R-47 password report, R-50 forwarding report, the daily job's report and the pull request's plan)."""

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


def render_template(name: str, result: dict | None = None, **variables: object) -> str:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(PLAYBOOKS)), autoescape=False, trim_blocks=True
    )  # as ansible.builtin.template
    environment.filters.update({f"danang.mail.{name}": f for name, f in FilterModule().filters().items()})
    return environment.get_template(f"templates/{name}").render(result=result, **variables)


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


HOSTILE = "Lê <img src=x onerror=alert(1)> | [x](http://evil) `=cmd`"


def table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| #")]


def test_the_plan_marks_provisional_addresses_and_shows_no_value() -> None:
    row = {"address": "hoalv2@danang.gov.vn", "action": "create", "kind": "person", "holder_id": "CB-9"}
    row |= {"before": {}, "after": {"display_name": HOSTILE}}
    update = {**row, "address": "annv@danang.gov.vn", "action": "update"}
    summary = {"create": 1, "update": 1, "enable": 0, "disable": 0, "remove": 0, "unchanged": 3}
    text = render_template(
        "plan_report.md.j2",
        ansible_check_mode=True,
        danang_mail_allocation={
            "allocated": [],
            "pending": [{"id": "CB-9", "address": "hoalv2@danang.gov.vn"}],
        },
        danang_mail_obm={"plan": [row, update], "summary": summary, "pending": [{"id": HOSTILE}]},
        danang_mail_exchange={"plan": [], "summary": {"unchanged": 5}},
        danang_mail_daily_cutoff="16:00",
        danang_mail_requested_through="2026-12-07",
    )
    assert "| hoalv2@danang.gov.vn *provisional* | create | person | CB\\-9 |  |" in text
    assert "| annv@danang.gov.vn | update | person | CB\\-9 | display\\_name |" in text
    assert "1 create, 1 update, 0 enable, 0 disable, 0 remove, 3 unchanged." in text
    assert "Nothing to change (5 unchanged)." in text and "(check mode: nothing changed)" in text
    assert "<img" not in text and "](http" not in text
    assert text.count("Lê") == 1  # only the pending list names it, escaped; never an attribute value
    assert all(line.count(" | ") == 4 for line in table_rows(text))


def test_outside_check_mode_only_pending_addresses_are_provisional() -> None:
    row = {"address": "hoalv@danang.gov.vn", "action": "create", "kind": "person", "holder_id": "CB-8"}
    text = render_template(
        "plan_report.md.j2",
        ansible_check_mode=False,
        danang_mail_allocation={
            "allocated": [{"id": "CB-8", "address": "hoalv@danang.gov.vn"}],
            "pending": [],
        },
        danang_mail_obm={"plan": [row], "summary": {"create": 1}},
    )
    assert "| hoalv@danang.gov.vn | create |" in text and "provisional" not in text


def test_the_daily_report_escapes_every_value() -> None:
    def record(rid: str, status: str, **extra: object) -> dict:
        requester = {"name": HOSTILE, "email": "a|b@example.org"}
        found = {
            "id": rid,
            "form": "01",
            "agency": "snv",
            "received_on": "2026-12-07",
            "due_on": "2026-12-08",
        }
        return (
            found
            | {"done_on": None, "status": status, "requester": requester, "items": [], "waiting": []}
            | extra
        )

    result = {
        "today": "2026-12-09",
        "requested_through": "2026-12-08",
        "closed": ["2026-12-07-snv-2"],
        "counts": {"overdue": 1, "due": 0, "open": 0, "done": 2},
        "records": [
            record("2026-12-07-snv-1", "overdue", waiting=["new CB-9|x"]),
            record("2026-12-07-snv-2", "done", done_on="2026-12-09"),
            record("2026-12-06-snv-1", "done", done_on="2026-12-07"),
        ],
    }
    text = render_template("daily_report.md.j2", result)
    assert "- Closed by this run: 1\n" in text and "- Overdue: 1\n" in text and "- Done before: 1\n" in text
    rows = table_rows(text)
    assert len(rows) == 2 and all(line.count(" | ") == 8 for line in rows)
    assert "| OVERDUE | new CB\\-9\\|x |" in rows[0] and "| closed now |" in rows[1]
    assert "<img" not in text and "a\\|b@example.org" in text
