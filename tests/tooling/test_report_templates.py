# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Markdown the daily job and the pull-request plan write (playbooks/templates/daily_report.md.j2,
plan_report.md.j2), rendered by ansible-playbook with the collection's filter: hostile values stay
text in one table cell, provisional addresses are marked, no attribute value of a plan row is shown."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "playbooks" / "templates"
HOSTILE = "Lê <img src=x onerror=alert(1)> | [x](http://evil) `=cmd`"


def render(tmp_path: Path, template: str, variables: dict, *flags: str) -> str:
    out = tmp_path / "out.md"
    play = [
        {
            "hosts": "localhost",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "Render",
                    "check_mode": False,
                    "ansible.builtin.template": {
                        "src": str(TEMPLATES / template),
                        "dest": str(out),
                        "mode": "0644",
                    },
                }
            ],
        }
    ]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play), encoding="utf-8")
    (tmp_path / "vars.json").write_text(json.dumps(variables), encoding="utf-8")
    proc = subprocess.run(
        [
            str(Path(sys.executable).with_name("ansible-playbook")),
            "-i",
            "localhost,",
            "-c",
            "local",
            str(tmp_path / "play.yml"),
            "-e",
            f"@{tmp_path / 'vars.json'}",
            *flags,
        ],
        cwd=REPO,
        env={"ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out.read_text(encoding="utf-8")


def table_rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| #")]


def test_the_plan_marks_provisional_addresses_and_shows_no_value(tmp_path: Path) -> None:
    row = {
        "address": "hoalv2@danang.gov.vn",
        "action": "create",
        "kind": "person",
        "holder_id": "CB-9",
        "before": {},
        "after": {"display_name": HOSTILE},
    }
    update = {**row, "address": "annv@danang.gov.vn", "action": "update", "after": {"display_name": HOSTILE}}
    summary = {"create": 1, "update": 1, "enable": 0, "disable": 0, "remove": 0, "unchanged": 3}
    obm = {"plan": [row, update], "summary": summary, "pending": [{"id": HOSTILE}]}
    variables = {
        "danang_mail_allocation": {
            "allocated": [],
            "pending": [{"id": "CB-9", "address": "hoalv2@danang.gov.vn"}],
        },
        "danang_mail_obm": obm,
        "danang_mail_exchange": {"plan": [], "summary": {"unchanged": 5}},
        "danang_mail_daily_cutoff": "16:00",
        "danang_mail_requested_through": "2026-12-07",
    }
    text = render(tmp_path, "plan_report.md.j2", variables, "--check")
    assert "| hoalv2@danang.gov.vn *provisional* | create | person | CB\\-9 |  |" in text
    assert "| annv@danang.gov.vn | update | person | CB\\-9 | display\\_name |" in text
    assert "1 create, 1 update, 0 enable, 0 disable, 0 remove, 3 unchanged." in text
    assert "Nothing to change (5 unchanged)." in text and "(check mode: nothing changed)" in text
    assert "<img" not in text and "](http" not in text
    assert text.count(HOSTILE.split()[0]) == 1  # only the pending list names it, escaped; never a value
    assert all(line.count(" | ") == 4 for line in table_rows(text))


def test_the_daily_report_escapes_every_value(tmp_path: Path) -> None:
    def record(rid: str, status: str, **extra: object) -> dict:
        return {
            "id": rid,
            "form": "01",
            "agency": "snv",
            "received_on": "2026-12-07",
            "due_on": "2026-12-08",
            "done_on": None,
            "status": status,
            "requester": {"name": HOSTILE, "email": "a|b@example.org"},
            "items": [],
            "waiting": [],
            **extra,
        }

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
    text = render(tmp_path, "daily_report.md.j2", {"result": result})
    assert "- Closed by this run: 1\n" in text and "- Overdue: 1\n" in text and "- Done before: 1\n" in text
    rows = table_rows(text)
    assert len(rows) == 2 and all(line.count(" | ") == 8 for line in rows)
    assert "| OVERDUE | new CB\\-9\\|x |" in rows[0] and "| closed now |" in rows[1]
    assert "<img" not in text and "a\\|b@example.org" in text
