# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/forwarding.yml on both labs at once (R-50): an OBM Sieve redirect and an Exchange
mailbox forward outside the city are found beside inside ones; check mode changes nothing; the
enforce run stops the outside ones only, records each in the journal and writes the report; a
second run changes and records nothing. The clock of ansible-playbook is pinned (tests/clock), so
the record's date never depends on the machine's.
"""

from __future__ import annotations

import csv
import datetime
import io

import both_labs
import exchange_city
import pytest
import yaml
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import Invocation
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.transport import ExchangeTransport
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.managesieve import ManageSieve
from both_labs import SiteCity

city, site_city = both_labs.city, both_labs.site_city  # the fixtures
pytestmark = pytest.mark.integration
AN, BINH = "CB-2017-000101", "CB-2017-000102"
SCOPE = ("stttt",)
TASK = "Read every forward on each system; stop the outside ones"
# 23:30 UTC on 1 March is already 2 March in Da Nang: the record carries the city's date.
NOW = datetime.datetime(2027, 3, 1, 23, 30, tzinfo=datetime.UTC)


def sieve(site: SiteCity, address: str) -> ManageSieve:
    lab = site.obm
    session = ManageSieve(
        lab.imap_host, lab.sieve_port, lab.imap_admin, lab.imap_admin_password, ca_file=lab.ca_file
    )
    session.login(address)
    return session


def scripts(site: SiteCity, address: str) -> dict[str, tuple[bool, str]]:
    session = sieve(site, address)
    found = {name: (active, session.get_script(name)) for name, active in session.list_scripts().items()}
    session.close()
    return found


def exchange(site: SiteCity, cmdlet: str, params: dict) -> list[dict]:
    transport = ExchangeTransport(exchange_city.connection(site.city.lab))
    try:
        return transport.query(Invocation.of(cmdlet, params))
    finally:
        transport.close()


def test_outside_forwards_are_stopped_on_both_systems_and_recorded_once(site_city: SiteCity) -> None:
    site = site_city
    _plan, results, _ = site.city.reconcile(scope=SCOPE)
    assert all(r.ok for r in results)
    site.make_obm_accounts(SCOPE)
    an, binh = site.city.address(AN), site.city.address(BINH)
    # OBM: An's "nomade" forwarding keeps a copy and sends one out of the city and one to Bình.
    session = sieve(site, an)
    script = f'require ["copy"];\nredirect :copy "an.nha@gmail.com";\nredirect :copy "{binh}";\n'
    assert session.put_script("nomade", script).ok and session.set_active("nomade").ok
    session.close()
    # Exchange: Bình forwards the mailbox to a personal address.
    exchange(site, "Set-Mailbox", {"Identity": binh, "ForwardingSmtpAddress": "smtp:binh.rieng@yahoo.com"})

    reports = site.root / "forwarding-reports"
    extra = {"danang_mail_forwarding_report_dir": str(reports)}
    planned = site.task_at("forwarding.yml", TASK, NOW, extra, "--check", "--diff")
    rows = {(r["system"], r["holder"], r["target"]): r for r in planned["forwards"]}
    assert rows[("obm", an, "an.nha@gmail.com")]["action"] == "remove"
    assert rows[("obm", an, binh)]["outside"] is False and rows[("obm", an, binh)]["action"] == "none"
    assert rows[("exchange", binh, "binh.rieng@yahoo.com")]["action"] == "remove"
    assert planned["changed"] is True and not (reports / "forwards-removed.yml").exists()
    assert scripts(site, an)["nomade"] == (True, script)  # check mode: nothing changed

    done = site.task_at("forwarding.yml", TASK, NOW, extra)
    assert done["changed"] is True and done["summary"]["removed"] == 2 and done["summary"]["failed"] == 0
    active, kept = scripts(site, an)["nomade"]
    assert active and "gmail.com" not in kept and f'redirect :copy "{binh}";' in kept
    assert site.city.mailboxes()[binh]["ForwardingSmtpAddress"] is None
    journal = yaml.safe_load((reports / "forwards-removed.yml").read_text(encoding="utf-8"))
    assert sorted((r["system"], r["holder"], r["target"], r["removed_on"]) for r in journal) == [
        ("exchange", binh, "binh.rieng@yahoo.com", "2027-03-02"),
        ("obm", an, "an.nha@gmail.com", "2027-03-02"),
    ]
    report = (reports / "forwarding-report-2027-03-02.md").read_text(encoding="utf-8")
    assert "an.nha@gmail.com" in report and "binh.rieng@yahoo.com" in report
    table = list(
        csv.reader(io.StringIO((reports / "forwarding-report-2027-03-02.csv").read_text(encoding="utf-8")))
    )
    assert ["obm", an, "an.nha@gmail.com", "sieve_redirect", "nomade", "True", "True", "True", ""] in table

    again = site.task_at("forwarding.yml", TASK, NOW, extra)
    assert (again["changed"], again["records"], again["summary"]["to_remove"]) == (False, [], 0)
    assert len(yaml.safe_load((reports / "forwards-removed.yml").read_text(encoding="utf-8"))) == 2
