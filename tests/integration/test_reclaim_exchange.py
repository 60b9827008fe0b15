# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reclaiming on Exchange (R-23) through the backend contract, against the Exchange lab: the idle
facts follow the lab clock's logons, a reclaimed mailbox refuses logins and mail (the bounce text
in the NDR), is hidden and marked, a new request (ENABLE) brings it back, a purge removes only a
reclaimed mailbox, and second calls change nothing.

Exchange behaviours relied on, with their sources (the lab's own tests cite them too):
``-RecipientADAttributeContainsWords`` and the reject action of transport rules
(learn.microsoft.com/powershell/module/exchange/new-transportrule; lab/exchange_lab/
test_transport_rules.py), a disabled AD account refusing Basic logons (lab/exchange_lab/README.md,
AD), ``Remove-Mailbox -Permanent $true`` (learn.microsoft.com/powershell/module/exchange/
remove-mailbox), lastLogonTimestamp's lag (MS-ADA1 2.352; test_exchange_lab_ad.py).
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import exchange_city
import pytest
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import Invocation
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.reclaim import (
    NO_EXPORT,
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


def rules(city: City) -> list[dict]:
    transport = ExchangeTransport(exchange_city.connection(city.lab))
    try:
        return [r for r in transport.query(Invocation.of("Get-TransportRule", {})) if r["Name"] == RULE_NAME]
    finally:
        transport.close()


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
            assert datetime.fromisoformat(str(facts.created)) == NOW - timedelta(days=120)
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

        with ExchangeSystem(city.config()) as backend:
            assert backend.reclaim([accounts[idle]], BOUNCE)[0].ok
            refused = backend.purge([accounts[kept]], None)[0]
            assert not refused.ok and "not reclaimed" in str(refused.error)
            no_export = backend.purge([accounts[idle]], "/nonexistent")[0]
            assert (no_export.ok, no_export.error) == (False, NO_EXPORT)
            assert idle in backend.read()  # nothing deleted
            assert [(r.action, r.ok) for r in backend.purge([accounts[idle]], None)] == [("purge", True)]
            assert idle not in backend.read() and kept in backend.facts
            assert backend.purge([accounts[idle]], None)[0].ok  # already gone
        assert idle not in city.ad_users()
    finally:
        control.reset_clock()
