# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Forwards on Exchange (R-50), the pure part: what the reads say and what a removal changes, and
the cmdlets checked against the published signatures and the lab's binder
(tests/integration/test_forwarding_exchange.py proves the behaviour against the lab).

Sources: learn.microsoft.com/powershell/module/exchange/get-inboxrule (ForwardTo, RedirectTo,
ForwardAsAttachmentTo; a recipient of the organisation shown as ``"Name" [EX:<LegacyExchangeDN>]``,
an outside one as ``[SMTP:addr]``), …/set-inboxrule (``-Mailbox`` with ``-Identity`` the
RuleIdentity, on-premises), …/set-mailbox (``-ForwardingSmtpAddress`` / ``-ForwardingAddress``
cleared with ``$null``), …/new-mailcontact (ExternalEmailAddress), …/new-transportrule
(RedirectMessageTo, BlindCopyTo, CopyTo, AddToRecipients; Mode Audit/AuditAndNotify take no action).
"""

from __future__ import annotations

import pytest
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.forward_targets import (
    Recipients,
    mailbox_forwards,
    mailbox_read,
    owner_addresses,
    recipients_read,
    rule_forwards,
    rule_id_of,
    rules_read,
    transport_forwards,
    transport_rules_read,
    without,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import (
    SWITCH,
    Invocation,
)
from ansible_collections.danang.mail.plugins.module_utils.forwarding import (
    INBOX_RULE_FORWARD,
    INBOX_RULE_FORWARD_AS_ATTACHMENT,
    MAILBOX_FORWARDING_ADDRESS,
    MAILBOX_FORWARDING_SMTP,
    TRANSPORT_RULE,
    Forward,
)
from cmdlet_signatures import assert_binds_in_lab, assert_matches_signature

OU = "OU=DanangMail,DC=danang,DC=gov,DC=vn"
DUNG_LEGACY = "/o=DaNang/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=ab-dungnv"
CONTACT_LEGACY = "/o=DaNang/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=cd-ngoai"
RECIPIENTS = Recipients(
    [
        {
            "Identity": "danang.gov.vn/DanangMail/Nguyễn Văn Dũng",
            "DistinguishedName": "CN=Nguyễn Văn Dũng,OU=DanangMail,DC=danang,DC=gov,DC=vn",
            "LegacyExchangeDN": DUNG_LEGACY,
            "PrimarySmtpAddress": "dungnv@danang.gov.vn",
            "EmailAddresses": ["SMTP:dungnv@danang.gov.vn", "smtp:dung.nv@danang.gov.vn"],
            "ExternalEmailAddress": None,
        },
        {  # a mail contact with an address in the city's domain: mail to it still leaves the city
            "Identity": "danang.gov.vn/DanangMail/Ngoài",
            "DistinguishedName": "CN=Ngoài,OU=DanangMail,DC=danang,DC=gov,DC=vn",
            "LegacyExchangeDN": CONTACT_LEGACY,
            "PrimarySmtpAddress": "ngoai@danang.gov.vn",
            "EmailAddresses": ["SMTP:ngoai@danang.gov.vn", "smtp:Ngoai@Gmail.com"],
            "ExternalEmailAddress": "SMTP:Ngoai@Gmail.com",
        },
    ]
)


@pytest.mark.parametrize(
    ("value", "address"),
    [
        (f'"Nguyễn Văn Dũng" [EX:{DUNG_LEGACY}]', "dungnv@danang.gov.vn"),
        (f'"Ngoài" [EX:{CONTACT_LEGACY}]', "ngoai@gmail.com"),  # the contact's external address
        ('"x@yahoo.com" [SMTP:X@Yahoo.com]', "x@yahoo.com"),
        ("smtp:x@yahoo.com", "x@yahoo.com"),  # ForwardingSmtpAddress
        ("smtp:dung.nv@danang.gov.vn", "dungnv@danang.gov.vn"),  # a secondary address: the mailbox
        ("ngoai@danang.gov.vn", "ngoai@gmail.com"),
        ("danang.gov.vn/DanangMail/Ngoài", "ngoai@gmail.com"),  # ForwardingAddress: canonical name
        ("/o=DaNang/cn=gone", "/o=danang/cn=gone"),  # an unknown recipient: its own text
    ],
)
def test_a_target_is_the_address_mail_really_goes_to(value: str, address: str) -> None:
    assert RECIPIENTS.address(value) == address


def test_reads_give_one_forward_per_target_with_its_state() -> None:
    mailboxes = [
        {
            "Identity": "danang.gov.vn/DanangMail/Nguyễn Văn Dũng",
            "PrimarySmtpAddress": "DungNV@danang.gov.vn",
            "ForwardingSmtpAddress": "smtp:dung@gmail.com",
            "ForwardingAddress": "danang.gov.vn/DanangMail/Ngoài",
        }
    ]
    assert mailbox_forwards(mailboxes, RECIPIENTS) == [
        Forward(
            "exchange",
            "dungnv@danang.gov.vn",
            "dung@gmail.com",
            MAILBOX_FORWARDING_SMTP,
            "ForwardingSmtpAddress",
        ),
        Forward(
            "exchange",
            "dungnv@danang.gov.vn",
            "ngoai@gmail.com",
            MAILBOX_FORWARDING_ADDRESS,
            "ForwardingAddress",
        ),
    ]
    rule = {
        "Name": "Gửi đi",
        "RuleIdentity": "16645446843563425793",
        "MailboxOwnerId": "danang.gov.vn/DanangMail/Nguyễn Văn Dũng",
        "Enabled": False,
        "ForwardTo": ['"x@yahoo.com" [SMTP:x@yahoo.com]'],
        "ForwardAsAttachmentTo": [f'"Ngoài" [EX:{CONTACT_LEGACY}]'],
    }
    found = rule_forwards([rule], owner_addresses(mailboxes), RECIPIENTS)
    where = "Gửi đi [16645446843563425793]"
    assert found == [
        Forward("exchange", "dungnv@danang.gov.vn", "x@yahoo.com", INBOX_RULE_FORWARD, where, False),
        Forward(
            "exchange",
            "dungnv@danang.gov.vn",
            "ngoai@gmail.com",
            INBOX_RULE_FORWARD_AS_ATTACHMENT,
            where,
            False,
        ),
    ]
    assert rule_id_of(where) == "16645446843563425793"
    transport = [
        {"Name": "Lưu trữ", "State": "Enabled", "Mode": "Enforce", "BlindCopyTo": ["luu@gmail.com"]},
        {"Name": "Thử", "State": "Enabled", "Mode": "Audit", "RedirectMessageTo": ["dungnv@danang.gov.vn"]},
    ]
    assert transport_forwards(transport, RECIPIENTS) == [
        Forward("exchange", "", "luu@gmail.com", TRANSPORT_RULE, "Lưu trữ: BlindCopyTo", True),
        Forward("exchange", "", "dungnv@danang.gov.vn", TRANSPORT_RULE, "Thử: RedirectMessageTo", False),
    ]


def _inbox(target: str, mechanism: str = INBOX_RULE_FORWARD) -> Forward:
    return Forward("exchange", "dungnv@danang.gov.vn", target, mechanism, "r [1]")


def test_a_removal_keeps_the_other_targets_and_actions_and_disables_an_emptied_rule() -> None:
    rule = {
        "Enabled": True,
        "ForwardTo": ['"x@yahoo.com" [SMTP:x@yahoo.com]', f'"Dũng" [EX:{DUNG_LEGACY}]'],
        "RedirectTo": None,
        "DeleteMessage": False,
    }
    assert without(rule, [_inbox("x@yahoo.com")], RECIPIENTS) == {"ForwardTo": ["dungnv@danang.gov.vn"]}
    assert without(rule, [_inbox("other@yahoo.com")], RECIPIENTS) == {}  # already gone: nothing to write
    both = [_inbox("x@yahoo.com"), _inbox("dungnv@danang.gov.vn")]
    assert without(rule, both, RECIPIENTS) is None  # no action left: disabled instead
    assert without({**rule, "MarkAsRead": True}, both, RECIPIENTS) == {
        "ForwardTo": None
    }  # its other action stays
    transport = {
        "Name": "Lưu trữ",
        "State": "Enabled",
        "BlindCopyTo": ["luu@gmail.com"],
        "PrependSubject": "[Lưu] ",
    }
    copy = Forward("exchange", "", "luu@gmail.com", TRANSPORT_RULE, "Lưu trữ: BlindCopyTo")
    assert without(transport, [copy], RECIPIENTS) == {"BlindCopyTo": None}
    assert without({**transport, "PrependSubject": None}, [copy], RECIPIENTS) is None


@pytest.mark.parametrize(
    "invocation",
    [
        mailbox_read(OU),
        recipients_read(),
        rules_read("dungnv@danang.gov.vn"),
        transport_rules_read(),
        Invocation.of("Get-Mailbox", {"Identity": "dungnv@danang.gov.vn"}),
        Invocation.of("Set-Mailbox", {"Identity": "dungnv@danang.gov.vn", "ForwardingSmtpAddress": None}),
        Invocation.of("Set-Mailbox", {"Identity": "dungnv@danang.gov.vn", "ForwardingAddress": None}),
        Invocation.of(
            "Set-InboxRule",
            {
                "Mailbox": "dungnv@danang.gov.vn",
                "Identity": "1",
                "ForwardTo": ["a@danang.gov.vn"],
                "Force": SWITCH,
            },
        ),
        Invocation.of(
            "Disable-InboxRule", {"Mailbox": "dungnv@danang.gov.vn", "Identity": "1", "Force": SWITCH}
        ),
        Invocation.of("Set-TransportRule", {"Identity": "Lưu trữ", "BlindCopyTo": None}),
        Invocation.of("Disable-TransportRule", {"Identity": "Lưu trữ"}),
    ],
    ids=str,
)
def test_the_cmdlets_match_the_published_signatures_and_bind_in_the_lab(invocation: Invocation) -> None:
    assert_matches_signature(invocation)
    assert_binds_in_lab(invocation)
