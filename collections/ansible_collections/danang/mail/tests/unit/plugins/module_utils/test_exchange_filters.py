# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The spam and virus filtering plan (R-52, R-51) without servers: what differs from a fresh
Exchange 2016/2019 server, the options Exchange would refuse, and every cmdlet checked against the
published signatures and the lab's binder.

The fresh server's values are Microsoft's documented defaults (MicrosoftDocs/office-docs-powershell,
exchange/exchange-ps/ExchangePowerShell/Set-ContentFilterConfig.md, Set-SenderFilterConfig.md,
Set-MalwareFilterPolicy.md, Set-MalwareFilteringServer.md), as lab/exchange_lab/cmdlets/filters.py
holds them."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("ldap3")
pytest.importorskip("pypsrp")

from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.filters import (
    FilterSettings,
    FilterState,
    plan_filters,
    problems,
    read_invocations,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import Invocation
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.organisation import (
    OrgSettings,
    plan_org,
)
from cmdlet_signatures import assert_binds_in_lab, assert_matches_signature
from test_exchange_org import BASE, OU, configured

SPAM = "chanthurac@danang.gov.vn"


def fresh() -> FilterState:
    """A Mailbox server as installed (the documented defaults; remote PowerShell's text for numbers)."""
    return FilterState(
        malware_policy={
            "Name": "Default",
            "Action": "DeleteMessage",
            "BypassInboundMessages": False,
            "BypassOutboundMessages": False,
            "EnableInternalSenderAdminNotifications": False,
            "EnableExternalSenderAdminNotifications": False,
        },
        malware_servers=[{"Name": "EX01", "BypassFiltering": False}],
        content_filter={
            "Enabled": True,
            "ExternalMailEnabled": True,
            "InternalMailEnabled": False,
            "QuarantineMailbox": None,
            "RejectionResponse": "Message rejected as spam by Content Filtering.",
            "SCLDeleteEnabled": False,
            "SCLDeleteThreshold": 9,
            "SCLRejectEnabled": True,
            "SCLRejectThreshold": "7",
            "SCLQuarantineEnabled": False,
            "SCLQuarantineThreshold": 9,
        },
        sender_filter={
            "Enabled": True,
            "BlankSenderBlockingEnabled": False,
            "BlockedSenders": [],
            "BlockedDomains": None,
        },
    )


def applied(settings: FilterSettings, state: FilterState) -> FilterState:
    """``state`` after the plan's Set- cmdlets, as Exchange would store them (lists upper-cased:
    Exchange keeps what it was given; the plan compares without letter case)."""
    records: dict[str, dict[str, Any]] = {
        "Set-MalwareFilterPolicy": dict(state.malware_policy or {}),
        "Set-ContentFilterConfig": dict(state.content_filter),
        "Set-SenderFilterConfig": dict(state.sender_filter),
    }
    servers = [dict(s) for s in state.malware_servers]
    for _item, _before, _after, invocations in plan_filters(settings, state, SPAM):
        for invocation in invocations:
            params = {
                k: ([x.upper() for x in v] if isinstance(v, list) else v)
                for k, v in invocation.params.items()
            }
            if invocation.cmdlet == "Set-MalwareFilteringServer":
                next(s for s in servers if s["Name"] == params["Identity"]).update(params)
            else:
                records[invocation.cmdlet].update(params)
    return FilterState(
        records["Set-MalwareFilterPolicy"],
        servers,
        records["Set-ContentFilterConfig"],
        records["Set-SenderFilterConfig"],
    )


def test_a_fresh_server_gets_quarantine_to_the_spam_mailbox_and_blank_senders_blocked() -> None:
    changes = {
        item: (before, after) for item, before, after, _inv in plan_filters(FilterSettings(), fresh(), SPAM)
    }
    # The Default malware policy already deletes malware and bypasses nothing: left alone.
    assert list(changes) == ["content_filter", "sender_filter"]
    before, after = changes["content_filter"]
    assert after["SCLQuarantineEnabled"] is True and after["SCLQuarantineThreshold"] == 5
    assert after["QuarantineMailbox"] == SPAM  # the technical team reviews it
    assert "SCLRejectThreshold" not in after  # the documented 7 is kept
    assert before["SCLQuarantineThreshold"] == 9
    assert changes["sender_filter"] == (
        {"BlankSenderBlockingEnabled": False},
        {"BlankSenderBlockingEnabled": True},
    )


def test_second_plan_after_the_changes_is_empty() -> None:
    settings = FilterSettings(
        malware_admin_address="cntt@danang.gov.vn",
        blocked_senders=("spam@example.com",),
        blocked_domains=("Spam.Example",),
    )
    assert plan_filters(settings, applied(settings, fresh()), SPAM) == []


def test_a_bypassing_server_and_a_hand_edited_policy_are_set_back() -> None:
    state = fresh()
    state = FilterState(
        {
            **state.malware_policy,
            "BypassInboundMessages": "True",
            "Action": "DeleteAttachmentAndUseDefaultAlert",
        },
        [{"Name": "EX02", "BypassFiltering": True}, {"Name": "EX01", "BypassFiltering": False}],
        state.content_filter,
        state.sender_filter,
    )
    changes = plan_filters(FilterSettings(), state, SPAM)
    by = {item: invocations for item, _b, _a, invocations in changes}
    assert [i.params for i in by["malware_policy"]] == [
        {"Identity": "Default", "Action": "DeleteMessage", "BypassInboundMessages": False}
    ]
    assert [i.params for i in by["malware_server:EX02"]] == [{"Identity": "EX02", "BypassFiltering": False}]
    assert "malware_server:EX01" not in by


def test_a_blocked_list_emptied_by_the_operator_is_cleared_with_null() -> None:
    state = fresh()
    state = FilterState(
        state.malware_policy,
        state.malware_servers,
        state.content_filter,
        {**state.sender_filter, "BlankSenderBlockingEnabled": True, "BlockedDomains": ["old.example"]},
    )
    [(item, before, _after, [invocation])] = plan_filters(FilterSettings(quarantine=False), state, SPAM)[1:]
    assert item == "sender_filter" and before == {"BlockedDomains": ["old.example"]}
    assert invocation.params == {"BlockedDomains": None}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        # Set-ContentFilterConfig: thresholds are "an integer value from 1 through 9"
        ({"reject_threshold": 10}, "reject_threshold: 10, Exchange takes an SCL from 1 through 9"),
        ({"quarantine_threshold": 0}, "quarantine_threshold: 0, Exchange takes an SCL from 1 through 9"),
        # scl.md: delete above reject above quarantine, or the lower action never acts
        ({"quarantine_threshold": 7}, "quarantine_threshold: 7 must be below reject_threshold (7)"),
        ({"delete": True, "delete_threshold": 6}, "reject_threshold: 7 must be below delete_threshold (6)"),
        # -RejectionResponse is an AsciiString: "Don't exceed 240 characters"
        (
            {"rejection_response": "Thư rác"},
            "rejection_response: 7 characters, Exchange takes 1 to 240 ASCII",
        ),
        ({"rejection_response": "x" * 241}, "rejection_response: 241 characters"),
        ({"quarantine_mailbox": "chanthurac"}, "quarantine_mailbox: 'chanthurac' is not an e-mail address"),
        ({"malware_action": "Quarantine"}, "malware_action: 'Quarantine', one of DeleteMessage"),
        ({"blocked_domains": ("*.example.com",)}, "blocked_domains: '*.example.com' is not valid"),
        (
            {"blocked_senders": tuple(f"s{n}@x.vn" for n in range(801))},
            "801 entries, Exchange allows at most 800",
        ),
    ],
)
def test_options_exchange_would_refuse_are_named(options: dict[str, Any], message: str) -> None:
    assert any(message in found for found in problems(FilterSettings(**options), SPAM))


def test_the_default_settings_are_valid() -> None:
    assert problems(FilterSettings(), SPAM) == []


def test_plan_org_orders_the_filters_after_the_spam_mailbox() -> None:
    settings = OrgSettings(domain="danang.gov.vn", base_dn=BASE, managed_ou=OU, filters=FilterSettings())
    state = configured(spam_mailbox=None, filters=fresh())
    items = [c.item for c in plan_org(settings, state)]
    assert items == ["spam_mailbox", "content_filter", "sender_filter"]


def every_invocation() -> list[Invocation]:
    settings = FilterSettings(
        malware_admin_address="cntt@danang.gov.vn",
        delete=True,
        blocked_senders=("spam@example.com",),
        blocked_domains=("spam.example",),
    )
    state = fresh()
    state = FilterState(
        {**state.malware_policy, "BypassOutboundMessages": True},
        [{"Name": "EX01", "BypassFiltering": True}],
        state.content_filter,
        state.sender_filter,
    )
    found = [i for _item, _b, _a, invocations in plan_filters(settings, state, SPAM) for i in invocations]
    return [*found, *read_invocations().values()]


@pytest.mark.parametrize("invocation", every_invocation(), ids=str)
def test_invocation_matches_exchange_signature(invocation: Invocation) -> None:
    assert_matches_signature(invocation)
    assert_binds_in_lab(invocation)
