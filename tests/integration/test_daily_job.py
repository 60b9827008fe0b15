# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The daily job's collection side on both labs (R-14, R-22): playbooks/daily_allocate.yml then
playbooks/daily_apply.yml at 10:00 city time, before the day's cut-off (16:00).

Yesterday's two requests for the same name compete by rank whatever their order in the file (R-14)
and are created on both systems; today's request is pending - no ledger line, no account; the
request record whose persons exist is closed (done_on), today's stays open in the report. A second
daily run changes nothing. The lab city is cut to one agency (Sở Nội vụ) to keep the runs short.
"""

from __future__ import annotations

import datetime
import subprocess

import pytest
import yaml

ldap3 = pytest.importorskip("ldap3")
pytest.importorskip("pypsrp")

import both_labs  # noqa: E402
import clock  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils import ledger, model  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.request_records import (  # noqa: E402
    Item,
    RequestRecord,
    due_on,
    record_text,
)
from ansible_collections.danang.mail.plugins.module_utils.workdays import WorkingCalendar  # noqa: E402
from both_labs import SiteCity  # noqa: E402

pytestmark = pytest.mark.integration
city, site_city = both_labs.city, both_labs.site_city  # the fixtures

YESTERDAY, TODAY = datetime.date(2026, 12, 7), datetime.date(2026, 12, 8)  # Monday, Tuesday
NOW = datetime.datetime(2026, 12, 8, 10, 0, tzinfo=model.CITY_TIMEZONE)  # before the 16:00 cut-off
# The same name three times: the higher rank of yesterday gets the plain form although listed last.
LOW, HIGH, LATE = "CB-2026-009001", "CB-2026-009002", "CB-2026-009003"
NEW_PEOPLE = [
    {
        "id": LOW,
        "full_name": "Lê Văn Hòa",
        "department": "ccvc",
        "rank": 1,
        "requested_on": YESTERDAY.isoformat(),
    },
    {
        "id": HIGH,
        "full_name": "Lê Văn Hòa",
        "department": "tcbc",
        "rank": 5,
        "requested_on": YESTERDAY.isoformat(),
    },
    {
        "id": LATE,
        "full_name": "Lê Văn Hòa",
        "department": "tcbc",
        "rank": 9,
        "requested_on": TODAY.isoformat(),
    },
]
REQUESTER = {"name": "Quách Thị Ngân", "email": "ngan@snv.example"}


def request(n: int, received: datetime.date, *people: str) -> RequestRecord:
    items = tuple(Item("new", id=p) for p in people)
    rid = f"{received.isoformat()}-snv-{n}"
    return RequestRecord(rid, "01", "snv", received, due_on(received, WorkingCalendar()), REQUESTER, items)


def one_agency_with_requests(site: SiteCity) -> None:
    """Only snv.yml (no city.yml: chanthurac@ is other tests' business), plus the three persons and
    their two request records, as the import writes them."""
    desired = site.city.desired
    for path in (desired / "agencies").glob("*.yml"):
        if path.name != "snv.yml":
            path.unlink()
    (desired / "city.yml").unlink()
    agency = desired / "agencies" / "snv.yml"
    data = yaml.safe_load(agency.read_text(encoding="utf-8"))
    data["people"] += NEW_PEOPLE
    agency.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    (desired / "requests").mkdir()
    for record in (request(1, YESTERDAY, LOW, HIGH), request(1, TODAY, LATE)):
        (desired / "requests" / record.file_name).write_text(record_text(record), encoding="utf-8")


def run_at(site: SiteCity, playbook: str, *extra: str) -> str:
    proc = subprocess.run(
        site.command(playbook, *extra),
        cwd=site.root,
        env=clock.at(NOW, site.env()),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    return proc.stdout


def changed_tasks(stdout: str) -> list[str]:
    """The names of the tasks that reported a change (the default callback's output)."""
    found = []
    for block in stdout.split("\nTASK [")[1:]:
        name, _, rest = block.partition("]")
        if "\nchanged: [" in rest.split("\nPLAY", 1)[0]:
            found.append(name)
    return found


def test_the_daily_job_creates_the_final_persons_on_both_systems_and_closes_their_request(
    site_city: SiteCity,
) -> None:
    site = site_city
    one_agency_with_requests(site)
    requests = site.city.desired / "requests"
    report = site.root / "daily.md"

    run_at(site, "daily_allocate.yml")
    holders = ledger.load_ledger(str(site.city.ledger_path)).holders()
    assert holders[HIGH] == f"hoalv@{site.domain}" and holders[LOW] == f"hoalv1@{site.domain}"
    assert LATE not in holders  # pending: requested after the last final day
    allocated = site.city.ledger_path.read_bytes()

    run_at(site, "daily_apply.yml", "-e", f"danang_mail_daily_report={report}")
    assert site.city.ledger_path.read_bytes() == allocated  # daily_allocate.yml had done it
    wanted = {f"hoalv@{site.domain}", f"hoalv1@{site.domain}"}
    on_obm = {a.lower() for a in site.obm_logins()}
    on_exchange = set(site.city.mailboxes())
    assert wanted <= on_obm and wanted <= on_exchange
    assert f"hoalv2@{site.domain}" not in on_obm | on_exchange  # the pending person is not created
    closed = (requests / "2026-12-07-snv-1.yml").read_text(encoding="utf-8")
    assert closed == record_text(request(1, YESTERDAY, LOW, HIGH)) + "done_on: 2026-12-08\n"
    assert (requests / "2026-12-08-snv-1.yml").read_text(encoding="utf-8") == record_text(
        request(1, TODAY, LATE)
    )
    text = report.read_text(encoding="utf-8")
    assert "- Closed by this run: 1\n" in text and "- Open, not yet due: 1\n" in text
    assert "| 2026\\-12\\-08\\-snv\\-1 |" in text and "new CB\\-2026\\-009003" in text

    files = {p.name: p.read_bytes() for p in requests.iterdir()}
    second = site.root / "daily-again.md"  # the report is the run's output, not a change of state
    again = run_at(site, "daily_apply.yml", "-e", f"danang_mail_daily_report={second}")
    assert changed_tasks(again) == ["Write the report of the requests due or overdue (Markdown)"]
    assert "- Closed by this run: 0\n" in second.read_text(encoding="utf-8")
    assert {p.name: p.read_bytes() for p in requests.iterdir()} == files
    assert site.city.ledger_path.read_bytes() == allocated

    # A pull request's plan (make plan PLAN_REPORT=): without a cut-off the late person is planned at
    # its provisional address on both systems; never a password in the report.
    plan = site.root / "plan.md"
    run_at(site, "site.yml", "--check", "--diff", "-e", f"danang_mail_plan_report={plan}")
    text = plan.read_text(encoding="utf-8")
    row = f"| hoalv2@{site.domain} *provisional* | create | person | CB\\-2026\\-009003 |  |"
    assert text.count(row) == 2 and "## OBM" in text and "## Exchange" in text
    passwords = {e["password"] for entries in site.credentials().values() for e in entries}
    assert passwords and not any(p in text for p in passwords)
    assert site.city.ledger_path.read_bytes() == allocated
