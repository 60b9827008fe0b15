# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/report.yml against the OBM lab (R-60, R-47): a copy of the lab city in a domain of its
own (``obm_city``), its accounts made by the project's own path, request records and journals with
known lines; the figures in the CSV files are checked against what the test made and against an
independent read of the lab, the HTML file is there, a second run writes nothing, check mode writes
nothing.

The accounts are made now (slapd stamps the real time), so the run's clock (``clock.at``) is set 30
days later: every person still holds the initial password past its 3 working days (R-41, the R-47
list) and nobody is idle yet (R-23). The period (2026H2) is named: the ledger and the records carry
fixed dates in it.
"""

from __future__ import annotations

import collections
import csv
import datetime
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ldap3 = pytest.importorskip("ldap3")
pytest.importorskip("selenium")

import browser  # noqa: E402
import clock  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils import (  # noqa: E402
    desired_state,
    journal,
    ledger,
    request_records,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.system import ObmSystem  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.model import CITY_TIMEZONE  # noqa: E402
from lab_city import task_result, working_morning  # noqa: E402
from obm_city import City, city  # noqa: E402, F401

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")
OUTSIDE = "(ngoài sổ địa chỉ)"


def record(rid: str, due: str, done: str | None, person: str) -> request_records.RequestRecord:
    return request_records.RequestRecord(
        id=rid,
        form="01",
        agency="stttt",
        received_on=datetime.date.fromisoformat(rid[:10]),
        due_on=datetime.date.fromisoformat(due),
        requester={"name": "Văn thư", "email": "vanthu@danang.gov.vn"},
        items=(request_records.Item("new", id=person),),
        done_on=datetime.date.fromisoformat(done) if done else None,
    )


def seed(town: City) -> None:
    """Two request records (one done on time, one late) and the journals' lines."""
    requests = town.desired / "requests"
    requests.mkdir()
    for rec in (
        record("2026-11-27-stttt-1", "2026-11-30", "2026-11-30", "CB-2017-000101"),
        record("2026-12-01-stttt-1", "2026-12-02", "2026-12-04", "CB-2017-000102"),
    ):
        (requests / rec.file_name).write_text(request_records.record_text(rec), encoding="utf-8")
    lines = [
        {
            "key": "request-result:2026-11-27-stttt-1",
            "kind": "request-result",
            "recipient": "vanthu@danang.gov.vn",
            "message_id": "<a.danang-mail@danang.gov.vn>",
            "via": "obm",
            "state": state,
            "at": at,
        }
        for state, at in (("sending", "2026-11-30T16:00:00+07:00"), ("sent", "2026-11-30T16:00:01+07:00"))
    ]
    (town.desired / "notifications").mkdir()
    journal.append(str(town.desired / "notifications" / "2026-11.yml"), "", "---\n", lines)
    reports = town.root / "reports"
    reports.mkdir()
    removed = {
        "system": "obm",
        "holder": f"dungnv@{town.domain}",
        "target": "x@gmail.com",
        "mechanism": "sieve_redirect",
        "how": "Sieve redirect",
        "where": "nomade",
        "removed_on": "2026-12-03",
    }
    journal.append(str(reports / "forwards-removed.yml"), "", "---\n", [removed])


def run(town: City, now: datetime.datetime, *extra: str) -> dict[str, Any]:
    values = {
        "obm_lab_dir": str(town.lab.lab_dir),
        "danang_mail_domain": town.domain,
        "danang_mail_report_systems": ["obm"],
        "danang_mail_report_dir": str(town.root / "reports"),
        "exchange_admin_password": "not used with obm alone",
    }
    (town.root / "vars.json").write_text(json.dumps(values), encoding="utf-8")
    env = dict(clock.at(now), ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    env["ANSIBLE_CALLBACK_RESULT_FORMAT"] = "json"
    proc = subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "-i", str(town.root / "hosts.yml"), str(REPO / "playbooks" / "report.yml"),
         "-v", "-e", f"@{town.root / 'vars.json'}", *extra],
        cwd=REPO, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    return task_result(proc.stdout, "Compute the figures")


def rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))[1:]


def test_the_six_monthly_report_of_a_lab_town(city: City) -> None:  # noqa: F811
    _plan, results, _ = city.reconcile()
    assert all(r.ok for r in results)
    seed(city)
    book = ledger.load_ledger(str(city.ledger_path))
    person_agency = {p.id: p.agency for p in desired_state.load_desired_state(city.desired).people()}
    agency_of = {
        e.address: person_agency[e.id] if e.kind == "person" else e.agency or e.id.partition("/")[2]
        for e in book.entries
    }
    with ObmSystem(city.config()) as backend:  # an independent read of the lab, to compare with
        backend.read()
        facts = backend.facts
    now = working_morning(datetime.datetime.now(CITY_TIMEZONE).date() + datetime.timedelta(days=30))

    result = run(city, now, "-e", "period=2026H2")
    out = city.root / "reports"
    stem = out / "r60-2026H2"
    assert result["changed"] is True and result["period"]["due_centre"] == "2027-01-10"
    with browser.chromium() as driver:  # the file opens whole, offline
        page = browser.open_file(driver, out / "r60-2026H2.html")
    assert browser.problems(page, out / "r60-2026H2.html") == []
    assert "2026H2" in page.text

    per_agency = collections.Counter(agency_of.get(a, OUTSIDE) for a in facts)
    assert {r[0]: int(r[-1]) for r in rows(Path(f"{stem}-accounts.csv"))} == dict(per_agency)
    # Every ledger line was issued on 29/11/2026 (obm_town): all created in the period.
    created = collections.Counter(agency_of[e.address] for e in book.entries)
    assert {r[0]: int(r[1]) for r in rows(Path(f"{stem}-activity.csv"))} == dict(created)
    assert rows(Path(f"{stem}-requests.csv")) == [["stttt", "2", "1", "1", "0", "0"]]
    assert rows(Path(f"{stem}-notifications.csv")) == [
        ["request-result", "Kết quả xử lý yêu cầu (R-22)", "1"]
    ]
    assert rows(Path(f"{stem}-forwarding-removed.csv")) == [["Sieve redirect (OBM forwarding)", "1"]]
    persons = sorted(e.address for e in book.entries if e.kind == "person" and e.address in facts)
    assert [r[1] for r in rows(Path(f"{stem}-idle-systems.csv"))] == [str(len(persons))]
    assert rows(Path(f"{stem}-idle-mailboxes.csv")) == []
    spam = {r[1]: r[2] for r in rows(Path(f"{stem}-spam.csv"))}  # rspamd's controller answered
    assert spam["Thư đã quét"].isdigit() and spam["Hành động: reject"].isdigit()
    bins = rows(Path(f"{stem}-quota-bins.csv"))
    assert sum(int(r[1]) for r in bins) == sum(1 for f in facts.values() if f.mailbox)
    enabled = [a for a in persons if facts[a].enabled]  # disabled accounts are not judged
    assert result["headline"]["Tài khoản trong danh sách R-47"] == len(enabled)  # initial passwords kept
    assert result["headline"]["Yêu cầu đúng hạn 1 ngày làm việc"] == 1
    assert "- Số liệu tính đến: " + now.isoformat() in Path(f"{stem}.md").read_text(encoding="utf-8")

    again = run(city, now, "-e", "period=2026H2")
    assert again["changed"] is False and again["written"] == []  # same data, same bytes

    before = sorted(p.name for p in out.iterdir())
    checked = run(city, now, "-e", "report=r47", "--check")
    assert checked["changed"] is True and sorted(p.name for p in out.iterdir()) == before
    run(city, now, "-e", "report=r47")
    listed = rows(out / f"r47-{now.date().isoformat()}-r47-list.csv")
    assert [r[0] for r in listed] == enabled
