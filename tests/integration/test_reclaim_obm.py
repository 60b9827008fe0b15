# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/reclaim.yml against the real OBM lab (R-23, R-03, R-20): warn, reclaim (IMAP login
refused, SMTP bounce with the text), purge after the grace period with the export, and a new request
bringing the same address back - after the purge (created again) and during the grace period
(enabled again, marker and bounce gone, a new initial password).

The accounts are made now by the project's own path (``ObmSystem``); slapd stamps their creation
and last access with the real time, so the run is judged months later by moving the clock of
ansible-playbook and its modules (``clock.at``, tests/clock) to working days after the due date.
Nothing sleeps.

Sources: Postfix access(5), the "5NN text" action of an access table (https://www.postfix.org/access.5.html)
and ldap_table(5) ``result_format`` (https://www.postfix.org/ldap_table.5.html); RFC 3463 section 3.3,
X.2.1 "mailbox disabled, not accepting messages".
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import imaplib
import io
import json
import mailbox
import shutil
import smtplib
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml

ldap3 = pytest.importorskip("ldap3")

import clock  # noqa: E402
import obm_city  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils import (  # noqa: E402
    accounts,
    desired_state,
    ledger,
    plan,
    reclaim,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.config import ObmConfig  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.system import ObmSystem  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.ledger_file import write_text_atomically  # noqa: E402
from ansible_collections.danang.mail.plugins.module_utils.model import CITY_TIMEZONE  # noqa: E402
from lab_city import add_obm_domain, allocate_into, password_for, task_result, working_morning  # noqa: E402
from ldap3.utils.conv import escape_filter_chars  # noqa: E402
from obm_city import lab_config  # noqa: E402

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")
AGENCY = """\
abbreviation: rtest
name: Sở Kiểm thử Thu hồi
mailbox: false
people:
  - {id: CB-R-0001, full_name: Nguyễn Văn An, requested_on: 2026-01-05}
  - {id: CB-R-0002, full_name: Trần Thị Bình, requested_on: 2026-01-05}
"""
BOUNCE = "Hop thu da bi thu hoi (R-23), lien he Trung tam"


def own_password(holder: str) -> str:
    return f"Th-{uuid.uuid5(uuid.NAMESPACE_DNS, holder).hex[:10]}#R"


class Town:
    def __init__(self, lab: Any, root: Path, domain: str) -> None:
        self.lab, self.root, self.domain = lab, root, domain
        self.desired = root / "inventory" / "desired_state"

    def config(self) -> ObmConfig:
        return lab_config(self.lab, self.domain)

    def reconcile(self, passwords: dict[str, str]) -> list[plan.Change]:
        """What danang.mail.mailbox does, through the library: honour the ledger, plan, apply, and a
        new initial password for an account coming back from a reclaim."""
        state = desired_state.load_desired_state(self.desired)
        book = ledger.load_ledger(str(self.desired / "ledger.yml"))
        desired, problems = accounts.desired_accounts(
            state, book.holders(), system="obm", reclaimed=book.reclaimed()
        )
        assert not problems
        with ObmSystem(self.config()) as backend:
            the_plan = plan.make_plan(desired, backend.read(), backend.render)
            returning = {
                c.address: passwords[c.account.holder_id]
                for c in the_plan.changes
                if c.action == plan.ENABLE and backend.facts[c.address].reclaimed
            }
            results = backend.apply(the_plan.changes, passwords)
            if returning:
                backend.read_password_facts()  # as danang.mail.mailbox: reset() needs this read
                results += backend.reset(returning)
        assert all(r.ok for r in results), results
        return list(the_plan.changes)

    def new_request(self, holder: str, day: datetime.date) -> None:
        """R-20: the operator's pull request sets requested_on; allocation sets the line active."""
        path = self.desired / "agencies" / "rtest.yml"
        agency = yaml.safe_load(path.read_text(encoding="utf-8"))
        next(p for p in agency["people"] if p["id"] == holder)["requested_on"] = day
        path.write_text(yaml.safe_dump(agency, allow_unicode=True, sort_keys=False), encoding="utf-8")
        book = ledger.load_ledger(str(self.desired / "ledger.yml"))
        back = ledger.reactivations(book.entries, {holder: day})
        assert list(back) == [book.holders()[holder]]
        write_text_atomically(book.path, ledger.rewritten_text(book, back, day))

    def ldap(self):
        server = ldap3.Server(self.lab.ldap_host, port=self.lab.ldap_port, connect_timeout=5)
        return ldap3.Connection(server, self.lab.admin_dn, self.lab.admin_password, auto_bind=True)

    def entry(self, address: str) -> dict[str, str]:
        conn = self.ldap()
        conn.search(
            f"dc={self.domain},{self.lab.base_dn}",
            f"(mail={escape_filter_chars(address)})",
            attributes=["*", "pwdReset"],
        )
        raw = conn.response[0]["raw_attributes"] if conn.response else {}
        found = {k: v[0].decode() for k, v in raw.items() if v}  # an absent pwdReset comes as []
        conn.unbind()
        return found

    def imap_ok(self, address: str, password: str) -> bool:
        return obm_city.imap_ok(self.lab, address, password)

    def rcpt(self, address: str) -> tuple[int, str]:
        with smtplib.SMTP(self.lab.smtp_host, self.lab.smtp_port, timeout=10) as smtp:
            smtp.ehlo()
            smtp.mail(f"someone@{self.lab.domain}")
            code, text = smtp.rcpt(address)
        return code, text.decode()

    def run(self, now: datetime.datetime) -> dict[str, Any]:
        """playbooks/reclaim.yml on this town at ``now``; the module's result."""
        values = {
            "obm_lab_dir": str(self.lab.lab_dir),
            "danang_mail_domain": self.domain,
            "danang_mail_reclaim_systems": ["obm"],
            "danang_mail_reclaim_bounce": BOUNCE,
            "danang_mail_reclaim_export_dir": str(self.root / "export"),
            "danang_mail_reclaim_report_dir": str(self.root / "reports"),
            "exchange_admin_password": "not used with obm alone",
        }
        (self.root / "vars.json").write_text(json.dumps(values), encoding="utf-8")
        env = dict(clock.at(now), ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
        env["ANSIBLE_CALLBACK_RESULT_FORMAT"] = "json"
        inventory = self.root / "inventory" / "hosts.yml"
        proc = subprocess.run(
            [
                str(ANSIBLE_PLAYBOOK),
                "-i",
                str(inventory),
                str(REPO / "playbooks" / "reclaim.yml"),
                "-v",
                "-e",
                f"@{self.root / 'vars.json'}",
            ],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
        return task_result(proc.stdout, "Judge every personal mailbox")


@pytest.fixture
def town(obm_lab: Any, tmp_path: Path):
    domain = f"r{uuid.uuid4().hex[:8]}.{obm_lab.domain}"
    inventory = tmp_path / "inventory"
    shutil.copytree(REPO / "inventories" / "lab" / "group_vars", inventory / "group_vars")
    shutil.copy(REPO / "inventories" / "lab" / "hosts.yml", inventory / "hosts.yml")
    (inventory / "desired_state" / "agencies").mkdir(parents=True)
    (inventory / "desired_state" / "agencies" / "rtest.yml").write_text(AGENCY, encoding="utf-8")
    (tmp_path / "export").mkdir()
    allocate_into(inventory / "desired_state", domain, datetime.date(2026, 1, 5))
    made = Town(obm_lab, tmp_path, domain)
    conn = made.ldap()
    base = add_obm_domain(conn, domain, obm_lab.base_dn)
    conn.unbind()
    made.reconcile({h: password_for(h) for h in ("CB-R-0001", "CB-R-0002")})
    yield made
    with contextlib.suppress(Exception):
        imap = imaplib.IMAP4(obm_lab.imap_host, obm_lab.imap_port)
        imap.login(obm_lab.imap_admin, obm_lab.imap_admin_password)
        for name in ("annv", "binhtt"):
            imap.setacl(f'"user/{name}@{domain}"', obm_lab.imap_admin, "x")
            imap.delete(f'"user/{name}@{domain}"')
        imap.logout()
    with contextlib.suppress(Exception):
        conn = made.ldap()
        conn.search(base, "(objectClass=*)", attributes=["1.1"])
        for dn in sorted((e["dn"] for e in conn.response), key=len, reverse=True):
            conn.delete(dn)
        conn.unbind()


def test_idle_mailbox_is_warned_reclaimed_purged_and_comes_back(town: Town) -> None:
    an, binh = f"annv@{town.domain}", f"binhtt@{town.domain}"
    for holder, address in (("CB-R-0001", an), ("CB-R-0002", binh)):  # first use
        town.lab.simulate_password_change(address, own_password(holder))
    assert town.imap_ok(an, own_password("CB-R-0001")) and town.rcpt(an)[0] == 250
    # One message in An's mailbox, to find in the export (the administrator appends it).
    imap = imaplib.IMAP4(town.lab.imap_host, town.lab.imap_port)
    imap.login(town.lab.imap_admin, town.lab.imap_admin_password)
    imap.setacl(f'"user/{an}"', town.lab.imap_admin, "lrswi")
    assert imap.append(f'"user/{an}"', None, None, b"Subject: R-23\r\n\r\nFrom the archive\r\n")[0] == "OK"
    imap.logout()

    today = datetime.datetime.now(CITY_TIMEZONE).date()
    due = reclaim.add_months(today, 3)
    warned = town.run(working_morning(due - datetime.timedelta(days=10)))
    assert [r["action"] for r in warned["accounts"]] == ["warn", "warn"]
    assert warned["notices"][0] == {
        "address": an,
        "agency_address": None,
        "kind": "warn",
        "due": due.isoformat(),
    }

    on_due = working_morning(due)
    done = town.run(on_due)
    assert (
        done["changed"] is True and done["summary"]["reclaim"] == 2 and done["ledger_changes"] == [an, binh]
    )
    assert not town.imap_ok(an, own_password("CB-R-0001"))  # every login refused
    code, text = town.rcpt(an)
    assert code == 550 and "5.2.1" in text and BOUNCE in text  # new mail bounces with the text
    assert town.entry(an)["hiddenUser"] == "TRUE"
    assert town.run(on_due)["changed"] is False  # a second run changes nothing
    report = town.root / "reports" / f"reclaim-report-{on_due.date()}.csv"
    rows = list(csv.DictReader(io.StringIO(report.read_text(encoding="utf-8"))))
    assert [(r["mailbox"], r["action"], r["purge_on"]) for r in rows] == [
        (address, "reclaimed", str(on_due.date() + datetime.timedelta(days=30))) for address in (an, binh)
    ]

    # Bình asks again during the grace period: enabled again, same address, a new password.
    town.new_request("CB-R-0002", on_due.date() + datetime.timedelta(days=1))
    changes = town.reconcile({"CB-R-0001": password_for("CB-R-0001"), "CB-R-0002": "Nv-Bt7#quay-lai"})
    assert [(c.action, c.address) for c in changes] == [("enable", binh)]
    assert town.entry(binh)["mailAccess"] == "PERMIT" and "description" not in town.entry(binh)
    assert town.entry(binh)["pwdReset"] == "TRUE" and town.rcpt(binh)[0] == 250

    purge_day = working_morning(on_due.date() + datetime.timedelta(days=30))
    purged = town.run(purge_day)
    assert [(r["address"], r["action"], r["done"]) for r in purged["accounts"]] == [
        (an, "purge", True),
        (binh, "none", False),
    ]
    assert town.entry(an) == {} and town.rcpt(an)[0] == 550
    export = town.root / "export" / f"{an}.mbox"
    assert export.stat().st_mode & 0o777 == 0o600
    assert [m["Subject"] for m in mailbox.mbox(str(export))] == ["R-23"]

    # An asks again after the purge: the same address, created again with a new initial password.
    town.new_request("CB-R-0001", purge_day.date() + datetime.timedelta(days=1))
    changes = town.reconcile({"CB-R-0001": "Nv-An7#quay-lai", "CB-R-0002": "Nv-Bt7#quay-lai"})
    assert [(c.action, c.address) for c in changes] == [("create", an)]
    assert town.entry(an)["pwdReset"] == "TRUE" and town.rcpt(an)[0] == 250
    assert yaml.safe_load((town.desired / "ledger.yml").read_text())["addresses"][an]["status"] == "active"
