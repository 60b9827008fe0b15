# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""danang.mail.exchange_org run in-process against an in-memory organisation
(fake_exchange_org.FakeOrganisation): plan, check mode, diff, idempotence, failures by item."""

from __future__ import annotations

import json

import pytest
from ansible_collections.danang.mail.plugins.modules import exchange_org

ARGS = {
    "exchange_server": "mail.example",
    "ad_uri": "ldap://127.0.0.1:1",
    "exchange_username": "DANANG\\svc-mail",
    "exchange_password": "Svc-Pw9",
    "domain": "danang.gov.vn",
    "internal_domains": ["obm.danang.gov.vn"],
    "message_size_mb": 35,
    "spam_mailbox": False,
    "manage_password_policy": False,
    "manage_filters": False,
}
ITEMS = ["transport", "remote_domain", "accepted_domain:obm.danang.gov.vn", "transport_rule"]


def items(result):
    return [change["item"] for change in result["changes"]]


def test_sets_what_the_organisation_lacks(run_module, fake_organisation):
    result = run_module(exchange_org, ARGS)
    assert result["rc"] == 0 and result["changed"] is True
    assert items(result) == ITEMS
    assert fake_organisation.remote_domains[0]["AutoForwardEnabled"] is False
    assert fake_organisation.rules[0]["State"] == "Enabled"
    assert fake_organisation.closed == 2  # both clients
    assert "Svc-Pw9" not in json.dumps(result)


def test_second_run_changes_nothing(run_module, fake_organisation):
    run_module(exchange_org, ARGS)
    ran = len(fake_organisation.ran)
    again = run_module(exchange_org, ARGS)
    assert again["rc"] == 0 and again["changed"] is False and again["changes"] == []
    assert len(fake_organisation.ran) == ran


def test_check_mode_with_diff_changes_nothing(run_module, fake_organisation):
    result = run_module(exchange_org, ARGS, check=True, diff=True)
    assert result["changed"] is True and items(result) == ITEMS
    assert fake_organisation.ran == [] and fake_organisation.rules == []
    assert result["diff"]["after"]["transport"] == {"MaxSendSize": 35, "MaxReceiveSize": 35}


def test_filters_are_set_then_left_alone_and_shown_in_check_mode(run_module, fake_organisation):
    """R-52: the filter items are planned, shown with diff in check mode, applied, then stable."""
    args = {**ARGS, "manage_filters": True, "filters": {"blocked_domains": ["spam.example"]}}
    filters = ["malware_server:EX01", "content_filter", "sender_filter"]
    checked = run_module(exchange_org, args, check=True, diff=True)
    assert items(checked) == ITEMS + filters and fake_organisation.ran == []
    assert checked["diff"]["after"]["sender_filter"] == {
        "BlankSenderBlockingEnabled": True,
        "BlockedDomains": ["spam.example"],
    }
    assert items(run_module(exchange_org, args)) == ITEMS + filters
    assert (
        fake_organisation.filters["Set-ContentFilterConfig"]["QuarantineMailbox"]
        == "chanthurac@danang.gov.vn"
    )
    again = run_module(exchange_org, args)
    assert again["changed"] is False and again["changes"] == []


def test_a_rule_disabled_by_hand_is_enabled_again(run_module, fake_organisation):
    run_module(exchange_org, ARGS)
    fake_organisation.rules[0]["State"] = "Disabled"
    result = run_module(exchange_org, ARGS)
    assert items(result) == ["transport_rule"] and fake_organisation.ran[-1] == "Enable-TransportRule"


def test_a_refused_item_fails_by_name_and_the_others_are_set(run_module, fake_organisation):
    fake_organisation.refuse.add("New-AcceptedDomain")
    result = run_module(exchange_org, ARGS)
    assert result["rc"] == 1 and result["failed"] is True
    assert result["msg"].startswith(
        "1 item(s) not changed, first: accepted_domain:obm.danang.gov.vn: New-AcceptedDomain"
    )
    assert fake_organisation.rules and fake_organisation.remote_domains[0]["AutoForwardEnabled"] is False


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"message_size_mb": 0}, "message_size_mb: 0 MB, must be a positive"),
        # Exchange's limits (the cmdlet pages); the lab refuses the same values when it binds them.
        ({"message_size_mb": 2048}, "message_size_mb: 2048 MB, Exchange allows at most 2047"),
        ({"forward_rule_name": "r" * 65}, "forward_rule_name: 65 characters, Exchange allows at most 64"),
        ({"forward_rule_text": "t" * 257}, "forward_rule_text: 257 characters, Exchange allows at most 256"),
        # Set-ContentFilterConfig: SCL thresholds are "an integer value from 1 through 9"
        (
            {"manage_filters": True, "filters": {"reject_threshold": 10}},
            "filters.reject_threshold: 10, Exchange takes an SCL from 1 through 9",
        ),
    ],
)
def test_invalid_options_fail_before_anything_is_read(run_module, fake_organisation, extra, message):
    result = run_module(exchange_org, {**ARGS, **extra})
    assert result["failed"] is True and message in result["msg"]
    assert fake_organisation.ran == [] and fake_organisation.closed == 0
