# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The daily job on both labs (R-14, R-22), as the scheduled pipeline runs it: ``tools.gitops daily``
in a clone of a bare origin (playbooks/daily_allocate.yml, push, playbooks/daily_apply.yml, push)
at 10:00 city time, before the day's cut-off (16:00).

Yesterday's two requests for the same name compete by rank whatever their order in the file (R-14)
and are created on both systems; today's request is pending - no ledger line, no account; the
request record whose persons exist is closed (done_on), today's stays open in the report. A second
daily run changes nothing. The lab city is cut to one agency (Sở Nội vụ) to keep the runs short.
"""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import sys
from pathlib import Path

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
from both_labs import REPO, SiteCity  # noqa: E402

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


def run_at(site: SiteCity, playbook: str, *extra: str, inventory: Path | None = None) -> str:
    proc = subprocess.run(
        site.command(playbook, *extra, inventory=inventory),
        cwd=site.root,
        env=clock.at(NOW, site.env()),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    return proc.stdout


def git(where: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=where, capture_output=True, text=True, check=True
    ).stdout.strip()


def pipeline_clone(site: SiteCity, tmp_path: Path) -> Path:
    """A bare origin whose main holds the site's inventory as inventories/lab, and the pipeline's
    clone of it, where ``tools.gitops daily`` runs as a scheduled pipeline does."""
    seed, origin, clone = tmp_path / "seed", tmp_path / "origin.git", tmp_path / "pipeline"
    shutil.copytree(site.root, seed / "inventories" / "lab", ignore=shutil.ignore_patterns("credentials"))
    (seed / ".gitignore").write_text("*.lock\nvault-password\nsite-vars.json\n", encoding="utf-8")
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(origin))
    git(seed, "init", "--quiet", "--initial-branch=main")
    git(seed, "add", "--all")
    git(
        seed,
        "-c",
        "user.name=seed",
        "-c",
        "user.email=seed@example.invalid",
        "commit",
        "--quiet",
        "-m",
        "seed",
    )
    git(seed, "push", "--quiet", str(origin), "main")
    git(tmp_path, "clone", "--quiet", str(origin), str(clone))
    return clone


def daily(site: SiteCity, clone: Path) -> str:
    """The pipeline's daily job: both steps with the real playbooks, the lab's secrets after ``--``."""
    site.command("site.yml")  # writes the vault password and the variables file it names
    env = clock.at(NOW, site.env())
    env.update(
        PYTHONPATH=os.pathsep.join([str(REPO), env["PYTHONPATH"]]),
        GITOPS_AUTHOR_NAME="Daily pipeline",
        GITOPS_AUTHOR_EMAIL="pipeline@example.invalid",
    )
    proc = subprocess.run(
        [
            sys.executable, "-m", "tools.gitops", "daily", "--env", "lab",
            "--allocate-playbook", str(REPO / "playbooks" / "daily_allocate.yml"),
            "--apply-playbook", str(REPO / "playbooks" / "daily_apply.yml"),
            "--", "--vault-password-file", str(site.root / "vault-password"),
            "-e", f"@{site.root / 'site-vars.json'}",
        ],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    return proc.stdout


def test_the_daily_job_creates_the_final_persons_on_both_systems_and_closes_their_request(
    site_city: SiteCity, tmp_path: Path
) -> None:
    site = site_city
    one_agency_with_requests(site)
    clone = pipeline_clone(site, tmp_path)
    origin = tmp_path / "origin.git"
    tree = "inventories/lab/desired_state"

    first = daily(site, clone)
    holders = ledger.parse_ledger(git(origin, "show", f"main:{tree}/ledger.yml"), "ledger.yml")
    issued = {entry.id: entry.address for entry in holders}
    assert issued[HIGH] == f"hoalv@{site.domain}" and issued[LOW] == f"hoalv1@{site.domain}"
    assert LATE not in issued  # pending: requested after the last final day
    # Two commits by the pipeline on main, never a merge: the ledger, then the closed record.
    log = git(origin, "log", "-2", "--format=%an|%P|%s", "main").splitlines()
    assert [line.split("|")[0] for line in log] == ["Daily pipeline", "Daily pipeline"]
    assert all(len(line.split("|")[1].split()) == 1 for line in log)
    wanted = {f"hoalv@{site.domain}", f"hoalv1@{site.domain}"}
    on_obm = {a.lower() for a in site.obm_logins()}
    on_exchange = set(site.city.mailboxes())
    assert wanted <= on_obm and wanted <= on_exchange
    assert f"hoalv2@{site.domain}" not in on_obm | on_exchange  # the pending person is not created
    closed = git(origin, "show", f"main:{tree}/requests/2026-12-07-snv-1.yml") + "\n"
    assert closed == record_text(request(1, YESTERDAY, LOW, HIGH)) + "done_on: 2026-12-08\n"
    still_open = git(origin, "show", f"main:{tree}/requests/2026-12-08-snv-1.yml") + "\n"
    assert still_open == record_text(request(1, TODAY, LATE))
    # The due/overdue report, printed by the job.
    assert "- Closed by this run: 1\n" in first and "- Open, not yet due: 1\n" in first
    assert "| 2026\\-12\\-08\\-snv\\-1 |" in first and "new CB\\-2026\\-009003" in first

    main = git(origin, "rev-parse", "main")
    second = daily(site, clone)
    assert "- Closed by this run: 0\n" in second
    assert git(origin, "rev-parse", "main") == main  # nothing changed, nothing committed

    # A pull request's plan (make plan PLAN_REPORT=): without a cut-off the late person is planned at
    # its provisional address on both systems; never a password in the report.
    plan = site.root / "plan.md"
    inventory = clone / "inventories" / "lab" / "hosts.yml"
    run_at(
        site, "site.yml", "--check", "--diff", "-e", f"danang_mail_plan_report={plan}", inventory=inventory
    )
    text = plan.read_text(encoding="utf-8")
    row = f"| hoalv2@{site.domain} *provisional* | create | person | CB\\-2026\\-009003 |  |"
    assert text.count(row) == 2 and "## OBM" in text and "## Exchange" in text
    passwords = {e["password"] for entries in site.credentials().values() for e in entries}
    assert passwords and not any(p in text for p in passwords)
    assert git(clone, "status", "--porcelain") == ""
