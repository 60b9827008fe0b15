# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Exchange reclaim's cmdlets (R-23), checked against the published signatures and the lab's
binder (tests/integration/test_reclaim_exchange.py proves the behaviour against the lab).

Sources: learn.microsoft.com/powershell/module/exchange/new-transportrule
(``-RecipientADAttributeContainsWords "AttributeName:Word"``, CustomAttribute1 to 15;
``-RejectMessageEnhancedStatusCode`` 5.7.1; ``-RejectMessageReasonText``), …/set-mailbox
(``-HiddenFromAddressListsEnabled``), …/remove-mailbox (``-Permanent $true`` purges the mailbox at
once instead of keeping it disconnected for the retention period); the signatures in
shared/reference/exchange-cmdlets.json.
"""

from __future__ import annotations

import datetime

import pytest
from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.read import Seen
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.reclaim import (
    RULE_NAME,
    ExchangeReclaim,
    hide_invocation,
    purge_invocation,
    reclaim_record,
    rule_invocations,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.render import step_for
from ansible_collections.danang.mail.plugins.module_utils.plan import ENABLE, Change
from cmdlet_signatures import assert_binds_in_lab, assert_matches_signature

BOUNCE = "Hộp thư này đã bị thu hồi vì không sử dụng quá 3 tháng (R-23)."
RULE = {
    "Name": RULE_NAME,
    "State": "Enabled",
    "RecipientADAttributeContainsWords": ["CustomAttribute2:danang.mail reclaimed"],
    "RejectMessageEnhancedStatusCode": "5.7.1",
    "RejectMessageReasonText": BOUNCE,
}
DUNG = Account("dungnv@danang.gov.vn", "person", "CB-0042", "Nguyễn Văn Dũng", "stttt", first_name="Dũng")


def test_the_rule_is_made_once_then_left_alone_or_corrected() -> None:
    (new,) = rule_invocations(BOUNCE, None)
    assert new.cmdlet == "New-TransportRule" and new.params == {
        "Name": RULE_NAME,
        "RecipientADAttributeContainsWords": "CustomAttribute2:danang.mail reclaimed",
        "RejectMessageEnhancedStatusCode": "5.7.1",
        "RejectMessageReasonText": BOUNCE,
        "Enabled": True,
    }
    assert rule_invocations(BOUNCE, RULE) == []
    (changed,) = rule_invocations("other text", RULE)
    assert changed.cmdlet == "Set-TransportRule"
    assert changed.params == {"Identity": RULE_NAME, "RejectMessageReasonText": "other text"}
    (enable,) = rule_invocations(BOUNCE, {**RULE, "State": "Disabled"})
    assert enable.params == {"Identity": RULE_NAME} and enable.cmdlet == "Enable-TransportRule"


@pytest.mark.parametrize(
    "invocation",
    [
        *rule_invocations(BOUNCE, None),
        *rule_invocations("other", {**RULE, "RecipientADAttributeContainsWords": None, "State": "Disabled"}),
        hide_invocation(DUNG.address),
        purge_invocation(DUNG.address),
    ],
    ids=str,
)
def test_every_reclaim_cmdlet_matches_exchange_and_the_lab(invocation) -> None:
    assert_matches_signature(invocation)
    assert_binds_in_lab(invocation)


def test_the_purge_is_permanent_and_asks_no_confirmation() -> None:
    want = {"Identity": DUNG.address, "Permanent": True, "Confirm": False}
    assert purge_invocation(DUNG.address).params == want


def test_the_marker_names_its_time_in_utc_and_matches_the_rules_words() -> None:
    moment = datetime.datetime(2026, 12, 7, 9, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=7)))
    assert reclaim_record(moment) == "danang.mail reclaimed 2026-12-07T02:30:00Z"
    assert reclaim_record(moment).startswith(RULE["RecipientADAttributeContainsWords"][0].partition(":")[2])


def test_enabling_a_reclaimed_mailbox_shows_it_in_the_address_lists_again() -> None:
    """A new request (R-20) ENABLEs the account: AD's enable removes the marker (ad.set_enabled),
    the mailbox is unhidden in the same step; an ordinary enable changes no address-list setting."""
    change = Change(ENABLE, DUNG.address, DUNG, {"enabled": False}, {"enabled": True})
    step = step_for(change, managed_ou="OU=DanangMail", reclaimed=True)
    (unhide,) = step.invocations
    assert unhide.params == {"Identity": DUNG.address, "HiddenFromAddressListsEnabled": False}
    assert step.ad_after is True
    assert_matches_signature(unhide)
    assert step_for(change, managed_ou="OU=DanangMail").invocations == []


@pytest.mark.parametrize(
    ("bounce", "problem"),
    [
        ("  ", "bounce: the bounce text is empty"),
        ("x" * 257, "bounce: 257 characters, Exchange takes at most 256"),
    ],
)
def test_a_bounce_exchange_would_refuse_fails_every_account_before_anything_is_sent(bounce, problem) -> None:
    """-RejectMessageReasonText takes at most 256 characters in Exchange 2013 or later
    (learn.microsoft.com/powershell/module/exchange/new-transportrule)."""
    unused = None  # no session is opened: the check comes first
    reclaim = ExchangeReclaim(unused, unused, Seen(done=True), batch_size=50, clock=unused, read=unused)
    results = reclaim.reclaim([DUNG], bounce)
    assert [(r.address, r.action, r.ok, r.error) for r in results] == [
        (DUNG.address, "reclaim", False, problem)
    ]
