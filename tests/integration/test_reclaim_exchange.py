# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reclaiming on Exchange (R-23) through the backend contract, against the Exchange lab: the idle
facts follow the lab clock's logons, a reclaimed mailbox refuses logins and mail (the bounce text
in the NDR), is hidden and marked, a new request (ENABLE) brings it back, a purge removes only a
reclaimed mailbox, and second calls change nothing. A purge with export first queues Exchange's
export to the share and deletes nothing; a later call (the lab clock moved) purges the mailbox whose
export completed (the file in the lab's share directory) and keeps the one whose export failed.

Exchange behaviours relied on, with their sources (the lab's own tests cite them too):
``-RecipientADAttributeContainsWords`` and the reject action of transport rules
(learn.microsoft.com/powershell/module/exchange/new-transportrule; lab/exchange_lab/
test_transport_rules.py), a disabled AD account refusing Basic logons (lab/exchange_lab/README.md,
AD), ``Remove-Mailbox -Permanent $true`` (learn.microsoft.com/powershell/module/exchange/
remove-mailbox), lastLogonTimestamp's lag (MS-ADA1 2.352; test_exchange_lab_ad.py), export requests
queued then carried out by the Mailbox Replication Service to a UNC path
(learn.microsoft.com/powershell/module/exchange/new-mailboxexportrequest, …/get-mailboxexportrequest;
lab/exchange_lab/test_export_requests.py).
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import exchange_city
import pytest
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.export import EXPORT_NAME
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import Invocation
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.reclaim import (
    RULE_NAME,
    rule_invocations,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.system import ExchangeSystem
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.transport import ExchangeTransport
from exchange_city import City

exchangelib = pytest.importorskip("exchangelib")
from exchangelib import DELEGATE, Account, Configuration, Credentials, Message, Version  # noqa: E402
from exchangelib.errors import UnauthorizedError  # noqa: E402
from exchangelib.version import EXCHANGE_2016  # noqa: E402

pytestmark = pytest.mark.integration
city = exchange_city.city  # the fixture
IDLE, KEPT, BACK = "CB-2017-000101", "CB-2017-000102", "CB-2017-000103"
BOUNCE = "Hộp thư đã bị thu hồi vì không được sử dụng quá 3 tháng (R-23). Liên hệ Trung tâm."
PASSWORD = "Dung-lai#2026xyz"
NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
SHARE = "\\\\EXLAB01\\exports"  # the lab maps it to state/shares/exlab01/exports


def send(city: City, sender: str, to: str) -> dict:
    """A message sent over EWS as ``sender`` (its own password), as the lab recorded it."""
    config = Configuration(
        service_endpoint=f"{city.lab.base_url}/EWS/Exchange.asmx",
        credentials=Credentials(sender, PASSWORD),
        version=Version(build=EXCHANGE_2016),
    )
    subject = f"Thư thử {datetime.now(UTC).timestamp()}"
    account = Account(sender, config=config, autodiscover=False, access_type=DELEGATE)
    Message(account=account, subject=subject, body="Kính gửi", to_recipients=[to]).send()
    sent_dir = city.lab.lab_dir / "state" / "sent"
    sent = [json.loads(p.read_text(encoding="utf-8")) for p in sent_dir.glob("*.json")]
    (message,) = [m for m in sent if m["subject"] == subject]
    return message


def query(city: City, invocation: Invocation) -> list[dict]:
    transport = ExchangeTransport(exchange_city.connection(city.lab))
    try:
        return transport.query(invocation)
    finally:
        transport.close()


def rules(city: City) -> list[dict]:
    return [r for r in query(city, Invocation.of("Get-TransportRule", {})) if r["Name"] == RULE_NAME]


def test_reclaim_refuses_logins_and_mail_a_new_request_undoes_it_purge_removes_it(city: City) -> None:
    control = city.lab.control()
    control.set_clock(NOW - timedelta(days=120))
    try:
        _plan, results, _ = city.reconcile(scope=("stttt",))
        assert all(r.ok for r in results)
        idle, kept, back = (city.address(h) for h in (IDLE, KEPT, BACK))
        accounts = city.accounts(("stttt",))
        for address in (idle, kept, back):
            control.simulate_password_change(address, PASSWORD)
        logon = NOW - timedelta(days=100)
        control.simulate_logon(kept, logon)  # AD writes lastLogonTimestamp (none yet) and the store
        control.set_clock(NOW)
        with ExchangeSystem(dataclasses.replace(city.config(), statistics=True)) as backend:
            backend.read()
            facts = backend.facts[kept]
            # the later of the store's logon and AD's value plus its 14 days of lag.
            assert datetime.fromisoformat(str(facts.last_login)) == logon
            assert datetime.fromisoformat(str(facts.last_access)) == logon + timedelta(days=14)
            # The lab clock runs on from where it was set, so the reconcile took a moment.
            created = datetime.fromisoformat(str(facts.created))
            assert NOW - timedelta(days=120) <= created < NOW - timedelta(days=120) + timedelta(minutes=5)
            assert not facts.reclaimed

            agency = accounts[f"stttt@{city.domain}"]
            results = backend.reclaim([accounts[idle], accounts[back], agency], BOUNCE)
            assert [(r.action, r.ok) for r in results] == [("reclaim", True)] * 2 + [("reclaim", False)]
            assert "personal mailboxes only" in str(results[2].error)
            backend.read()
            assert backend.facts[idle].reclaimed and not backend.facts[idle].enabled
            assert not backend.facts[kept].reclaimed
        mailboxes = city.mailboxes()
        assert mailboxes[idle]["HiddenFromAddressListsEnabled"] is True
        assert mailboxes[kept]["HiddenFromAddressListsEnabled"] is False
        (rule,) = rules(city)
        assert (rule["State"], rule["RejectMessageReasonText"]) == ("Enabled", BOUNCE)
        marker = city.ad_users()[idle]["extensionAttribute2"]

        with pytest.raises(UnauthorizedError):  # the AD account is disabled: every logon refused
            send(city, idle, kept)
        assert send(city, kept, idle)["rejected"] == [
            {"recipient": idle, "status": "5.7.1", "text": BOUNCE, "rule": RULE_NAME}
        ]
        assert send(city, kept, kept)["rejected"] == []

        control.set_clock(NOW + timedelta(days=1))
        with ExchangeSystem(city.config()) as backend:  # again: nothing changes
            assert all(r.ok for r in backend.reclaim([accounts[idle], accounts[back]], BOUNCE))
        assert city.ad_users()[idle]["extensionAttribute2"] == marker
        (rule,) = rules(city)
        assert rule_invocations(BOUNCE, rule) == []  # the rule as read back needs no change

        # A new request: the plan ENABLEs it; the marker goes, it is shown and gets mail again.
        the_plan, results, _ = city.reconcile(scope=("stttt",))
        assert {(c.action, c.address) for c in the_plan.changes} == {("enable", back), ("enable", idle)}
        assert all(r.ok for r in results)
        assert not city.ad_users()[back].get("extensionAttribute2")
        assert city.mailboxes()[back]["HiddenFromAddressListsEnabled"] is False
        assert send(city, kept, back)["rejected"] == []
        assert send(city, back, kept)["rejected"] == []

        exports = city.lab.lab_dir / "state" / "shares" / "exlab01" / "exports"
        blocked = exports / f"{back}.pst"  # a directory where the file goes: that export fails
        with ExchangeSystem(dataclasses.replace(city.config(), export_share=SHARE)) as backend:
            assert all(r.ok for r in backend.reclaim([accounts[idle], accounts[back]], BOUNCE))
            refused = backend.purge([accounts[kept]], None)[0]
            assert not refused.ok and "not reclaimed" in str(refused.error)
            for _ in range(2):  # queued once; the second call finds it still queued
                results = backend.purge([accounts[idle], accounts[back]], "/srv/export")
                assert [(r.ok, r.error) for r in results] == [
                    (False, "export queued (status Queued): purged on a later run; nothing was deleted")
                ] * 2
            assert {idle, back} <= set(backend.read())  # nothing deleted
        requests = query(city, Invocation.of("Get-MailboxExportRequest", {"Name": EXPORT_NAME}))
        assert sorted(r["FilePath"] for r in requests) == sorted(f"{SHARE}\\{a}.pst" for a in (idle, back))

        blocked.mkdir()
        control.set_clock(NOW + timedelta(days=2))  # the Mailbox Replication Service has run
        try:
            with ExchangeSystem(dataclasses.replace(city.config(), export_share=SHARE)) as backend:
                done, failed = backend.purge([accounts[idle], accounts[back]], "/srv/export")
                assert (done.action, done.ok) == ("purge", True)
                assert not failed.ok and str(failed.error).startswith("export failed (")
                assert "Unable to open PST file" in str(failed.error)
                assert "nothing was deleted" in str(failed.error)
                observed = backend.read()
                assert idle not in observed and back in observed and kept in observed
                assert backend.purge([accounts[idle]], "/srv/export")[0].ok  # already gone
                assert not backend.purge([accounts[back]], "/srv/export")[0].ok  # still failed: kept
        finally:
            blocked.rmdir()
        exported = json.loads((exports / f"{idle}.pst").read_text(encoding="utf-8"))
        assert exported["mailbox"] == idle and "not PST" in exported["format"]
        (left,) = query(city, Invocation.of("Get-MailboxExportRequest", {"Name": EXPORT_NAME}))
        assert (left["FilePath"], left["Status"]) == (f"{SHARE}\\{back}.pst", "Failed")
        assert idle not in city.ad_users()

        remove = {"Identity": left["Identity"], "Confirm": False}  # the operator gives up the export
        query(city, Invocation.of("Remove-MailboxExportRequest", remove))
        with ExchangeSystem(city.config()) as backend:  # without export: removed at once
            assert [(r.action, r.ok) for r in backend.purge([accounts[back]], None)] == [("purge", True)]
            assert back not in backend.read() and kept in backend.facts
            assert backend.purge([accounts[back]], None)[0].ok  # already gone
        (exports / f"{idle}.pst").unlink()
    finally:
        control.reset_clock()
