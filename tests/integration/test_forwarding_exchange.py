# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Forwarding on Exchange (R-50) through the backend contract, against the Exchange lab: every
mechanism is set up the way a user or an administrator sets it (inbox rules through EWS with
impersonation, as exchangelib does; mailbox forwarding and transport rules through cmdlets),
``read_forwards`` finds each with its mechanism, target and state, ``remove_forwards`` of the
outside ones (``forwarding.judge``) stops only them, and second calls change nothing.

Exchange behaviours relied on, with their sources (the lab's own tests cite them too):
``Set-Mailbox -ForwardingSmtpAddress / -ForwardingAddress`` (a mailbox or mail contact,
learn.microsoft.com/powershell/module/exchange/set-mailbox), a mail contact's external address
(…/new-mailcontact), ``Get-InboxRule`` showing a recipient of the organisation as
``"Name" [EX:<LegacyExchangeDN>]`` and ``Set-InboxRule`` / ``Disable-InboxRule``
(…/get-inboxrule, …/set-inboxrule, …/disable-inboxrule), transport rule ``-RedirectMessageTo`` and
``-BlindCopyTo`` (…/new-transportrule).
"""

from __future__ import annotations

import uuid

import exchange_city
import pytest
from ansible_collections.danang.mail.plugins.module_utils import forwarding
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import Invocation
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.system import ExchangeSystem
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.transport import ExchangeTransport
from ansible_collections.danang.mail.plugins.module_utils.forwarding import (
    INBOX_RULE_FORWARD,
    INBOX_RULE_FORWARD_AS_ATTACHMENT,
    INBOX_RULE_REDIRECT,
    MAILBOX_FORWARDING_ADDRESS,
    MAILBOX_FORWARDING_SMTP,
    TRANSPORT_RULE,
)
from exchange_city import City

exchangelib = pytest.importorskip("exchangelib")
from exchangelib import IMPERSONATION, Account, Configuration, Credentials, Version  # noqa: E402
from exchangelib.properties import Actions, Address, Rule  # noqa: E402
from exchangelib.version import EXCHANGE_2016  # noqa: E402

pytestmark = pytest.mark.integration
city = exchange_city.city  # the fixture
CITY_DOMAINS = ["danang.gov.vn"]  # the test city's domain is a subdomain of it
AN, BINH, CHI = "CB-2017-000101", "CB-2017-000102", "CB-2017-000103"


def query(city: City, cmdlet: str, params: dict) -> list[dict]:
    transport = ExchangeTransport(exchange_city.connection(city.lab))
    try:
        return transport.query(Invocation.of(cmdlet, params))
    finally:
        transport.close()


def impersonate(city: City, address: str) -> Account:
    """The mailbox opened by the service account through EWS impersonation."""
    config = Configuration(
        service_endpoint=f"{city.lab.base_url}/EWS/Exchange.asmx",
        credentials=Credentials(city.lab.admin_upn, city.lab.admin_password),
        version=Version(build=EXCHANGE_2016),
    )
    return Account(address, config=config, autodiscover=False, access_type=IMPERSONATION)


def rule(name: str, priority: int, **actions: object) -> Rule:
    values = {
        k: [Address(email_address=a) for a in v] if isinstance(v, list) else v for k, v in actions.items()
    }
    return Rule(display_name=name, priority=priority, is_enabled=True, actions=Actions(**values))


def mine(forwards: list[forwarding.Forward], holders: set[str], rule_name: str) -> list[forwarding.Forward]:
    """The forwards of this test's mailboxes and transport rule (the lab is shared)."""
    return [
        f
        for f in forwards
        if f.holder in holders or (f.mechanism == TRANSPORT_RULE and f.where.startswith(rule_name))
    ]


def seen(forwards: list[forwarding.Forward], holders: set[str], rule_name: str) -> set[tuple]:
    return {(f.holder, f.target, f.mechanism, f.enabled) for f in mine(forwards, holders, rule_name)}


def test_every_forward_is_found_and_only_the_outside_ones_are_removed(city: City) -> None:
    _plan, results, _ = city.reconcile(scope=("stttt",))
    assert all(r.ok for r in results)
    an, binh, chi = (city.address(h) for h in (AN, BINH, CHI))
    tag = uuid.uuid4().hex[:8]
    rule_name = f"itest {tag}: copies"

    account = impersonate(city, an)
    account.create_rule(rule("Gửi ra ngoài", 1, forward_to_recipients=["dungnv.ca.nhan@gmail.com"]))
    account.create_rule(rule("Chuyển nội bộ", 2, redirect_to_recipients=[binh]))
    account.create_rule(
        rule(
            "Cả hai",
            3,
            forward_as_attachment_to_recipients=[chi, "hopthu@yahoo.com"],
            mark_as_read=True,
        )
    )
    query(city, "Set-Mailbox", {"Identity": binh, "ForwardingSmtpAddress": "smtp:binh.nha@gmail.com"})
    contact = f"Ngoài {tag}"
    query(
        city,
        "New-MailContact",
        {
            "Name": contact,
            "ExternalEmailAddress": "SMTP:chi.rieng@hotmail.com",
            "OrganizationalUnit": city.ou,
        },
    )
    query(
        city,
        "Set-Mailbox",
        {"Identity": chi, "ForwardingAddress": contact, "DeliverToMailboxAndForward": True},
    )
    rule_actions = {"RedirectMessageTo": ["luu.tru@gmail.com"], "BlindCopyTo": [an]}  # outside, inside
    query(city, "New-TransportRule", {"Name": rule_name, **rule_actions})
    try:
        with ExchangeSystem(city.config()) as backend:
            forwards = backend.read_forwards()
            holders = {an, binh, chi}
            assert seen(forwards, holders, rule_name) == {
                (an, "dungnv.ca.nhan@gmail.com", INBOX_RULE_FORWARD, True),
                (an, binh, INBOX_RULE_REDIRECT, True),
                (an, chi, INBOX_RULE_FORWARD_AS_ATTACHMENT, True),
                (an, "hopthu@yahoo.com", INBOX_RULE_FORWARD_AS_ATTACHMENT, True),
                (binh, "binh.nha@gmail.com", MAILBOX_FORWARDING_SMTP, True),
                (chi, "chi.rieng@hotmail.com", MAILBOX_FORWARDING_ADDRESS, True),  # the contact's address
                ("", "luu.tru@gmail.com", TRANSPORT_RULE, True),
                ("", an, TRANSPORT_RULE, True),
            }
            outside = [
                finding.forward
                for finding in forwarding.judge(mine(forwards, holders, rule_name), CITY_DOMAINS)
                if finding.remove
            ]
            assert len(outside) == 5
            results = backend.remove_forwards(outside)
            assert [(r.address, r.action, r.ok, r.error) for r in results] == [
                (f.holder, "remove_forward", True, None) for f in outside
            ]

            again = backend.read_forwards()
            assert seen(again, holders, rule_name) == {
                # the rule left without any action is disabled, not emptied: reported, not removed
                (an, "dungnv.ca.nhan@gmail.com", INBOX_RULE_FORWARD, False),
                (an, binh, INBOX_RULE_REDIRECT, True),
                (an, chi, INBOX_RULE_FORWARD_AS_ATTACHMENT, True),
                ("", an, TRANSPORT_RULE, True),
            }
            assert not [
                f for f in forwarding.judge(mine(again, holders, rule_name), CITY_DOMAINS) if f.remove
            ]
            both = {r["Name"]: r for r in query(city, "Get-InboxRule", {"Mailbox": an})}["Cả hai"]
            assert both["MarkAsRead"] is True and both["Enabled"] is True  # its other action stays

            # Second remove: everything already gone, nothing written.
            assert all(r.ok for r in backend.remove_forwards(outside))
            assert seen(backend.read_forwards(), holders, rule_name) == seen(again, holders, rule_name)
        (kept,) = [r for r in query(city, "Get-TransportRule", {}) if r["Name"] == rule_name]
        assert (kept["State"], kept["RedirectMessageTo"], kept["BlindCopyTo"]) == ("Enabled", None, [an])
        mailboxes = city.mailboxes()
        assert mailboxes[binh]["ForwardingSmtpAddress"] is None
        assert mailboxes[chi]["ForwardingAddress"] is None
    finally:
        query(city, "Remove-TransportRule", {"Identity": rule_name, "Confirm": False})
