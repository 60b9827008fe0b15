# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Values the lab refuses and accepts exactly as Exchange does (no server needed).

Sources: the cmdlet pages of MicrosoftDocs/office-docs-powershell,
exchange/exchange-ps/ExchangePowerShell/<Cmdlet>.md (commit 93336da, the reference's), quoted per
case; PowerShell's parameter binder (PowerShell/PowerShell,
src/System.Management.Automation/engine/ParameterBinderController.cs: positional arguments fill the
positional parameters not yet bound by name).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from psrpcore.types import PSSecureString

from exchange_lab.cmdlets.binder import bind
from exchange_lab.cmdlets.definitions import DEFINITIONS
from exchange_lab.cmdlets.errors import CmdletError
from exchange_lab.cmdlets.mailbox_settings import check_quota_order

GB = 1 << 30

# Each documented limit, broken: (cmdlet, parameters, the text the refusal must hold).
REFUSED = [
    # Get-Mailbox.md -ResultSize: "the maximum number of results" (Unlimited<UInt32>), not a size
    ("Get-Mailbox", [("ResultSize", "2GB")], "Unlimited`1[System.UInt32]"),
    # Set-Mailbox.md -MaxSendSize: "A valid value is a number up to 1.999999 gigabytes (2147483647 bytes)"
    ("Set-Mailbox", [("Identity", "x"), ("MaxSendSize", "3GB")], "'MaxSendSize'"),
    # Set-Mailbox.md -IssueWarningQuota: "up to 1.999999999 terabytes (2199023254528 bytes)"
    ("Set-Mailbox", [("Identity", "x"), ("IssueWarningQuota", "3TB")], "'IssueWarningQuota'"),
    # New-TransportRule.md: "Valid values are 5.7.1 or between 5.7.900 and 5.7.999."
    ("New-TransportRule", [("Name", "r"), ("RejectMessageEnhancedStatusCode", "5.7.2")], "5.7.900"),
    # New-TransportRule.md -RejectMessageReasonText: "In Exchange 2013 or later ... 256"
    ("New-TransportRule", [("Name", "r"), ("RejectMessageReasonText", "x" * 300)], "maximum length is 256"),
    # New-TransportRule.md -Name: "The maximum length is 64 characters."
    ("Set-TransportRule", [("Identity", "r"), ("Name", "n" * 80)], "maximum length is 64"),
    # Set-Mailbox.md -CustomAttribute1: "The maximum length is 1024 characters."
    ("Set-Mailbox", [("Identity", "x"), ("CustomAttribute1", "c" * 1025)], "maximum length is 1024"),
    # Set-Mailbox.md -PrimarySmtpAddress is an SmtpAddress: a bare address, no proxy prefix
    ("Set-Mailbox", [("Identity", "x"), ("PrimarySmtpAddress", "SMTP:a@b.vn")], "isn't correct"),
    # Set-TransportConfig.md -MaxRecipientEnvelopeLimit: "from 0 through 2147483647" (a count)
    ("Set-TransportConfig", [("MaxRecipientEnvelopeLimit", "10MB")], "Unlimited`1[System.Int32]"),
]


@pytest.mark.parametrize(
    ("cmdlet", "params", "text"), REFUSED, ids=[f"{c}-{p[-1][0]}" for c, p, _ in REFUSED]
)
def test_documented_limits_are_refused_when_binding(cmdlet, params, text):
    with pytest.raises(CmdletError) as refused:
        bind(DEFINITIONS[cmdlet], params)
    assert text in refused.value.message
    assert refused.value.terminating  # a binding failure: the command never runs
    assert "Parameter" in refused.value.exception_type


def test_limits_at_the_boundary_are_accepted():
    bound = bind(
        DEFINITIONS["Set-Mailbox"],
        [
            ("Identity", "x"),
            ("MaxSendSize", "2147483647"),
            ("ProhibitSendReceiveQuota", "2199023254528"),
            ("CustomAttribute1", "c" * 1024),
        ],
    )
    assert bound.get("MaxSendSize") == 2147483647
    rule = bind(
        DEFINITIONS["New-TransportRule"],
        [
            ("Name", "n" * 64),
            ("RejectMessageEnhancedStatusCode", "5.7.999"),
            ("RejectMessageReasonText", "x" * 256),
        ],
    )
    assert rule.get("RejectMessageEnhancedStatusCode") == "5.7.999"
    assert bind(DEFINITIONS["Get-Mailbox"], [("ResultSize", "Unlimited")]).get("ResultSize") == "Unlimited"
    assert bind(DEFINITIONS["Get-Mailbox"], [("ResultSize", 5000)]).get("ResultSize") == 5000


def test_alias_with_a_colon_value_binds():
    """-cf:$false: Confirm's alias cf (Remove-Mailbox.md: "Aliases: cf"), in the API form of -Name:value."""
    for given in ("cf", "-cf:", "wi"):
        bound = bind(DEFINITIONS["Remove-Mailbox"], [("Identity", "x"), (given, False)])
        assert bound.get("Confirm" if given != "wi" else "WhatIf") is False


def test_positional_value_after_a_named_identity_goes_to_the_next_position():
    """Connect-Mailbox.md: Identity is Position 1, Database Position 2; PowerShell fills the positional
    parameters not bound by name, so a lone positional value after -Identity is the Database."""
    bound = bind(DEFINITIONS["Connect-Mailbox"], [("Identity", "guid"), (None, "DB01")])
    assert (bound.get("Identity"), bound.get("Database")) == ("guid", "DB01")
    with pytest.raises(CmdletError, match="positional parameter cannot be found"):
        bind(DEFINITIONS["Get-Mailbox"], [("Identity", "x"), (None, "y")])


def test_every_documented_recipient_type_is_accepted():
    """Get-Mailbox.md -RecipientTypeDetails lists LinkedMailbox (and Get-User.md LinkedUser...)."""
    assert bind(DEFINITIONS["Get-Mailbox"], [("RecipientTypeDetails", "LinkedMailbox")]).get(
        "RecipientTypeDetails"
    ) == ["LinkedMailbox"]
    assert bind(DEFINITIONS["Get-User"], [("RecipientTypeDetails", "LinkedUser")]).get(
        "RecipientTypeDetails"
    ) == ["LinkedUser"]
    with pytest.raises(CmdletError):  # a user type is no mailbox type
        bind(DEFINITIONS["Get-Mailbox"], [("RecipientTypeDetails", "DisabledUser")])


def test_quota_order_is_what_set_mailbox_states():
    """Set-Mailbox.md: "The IssueWarningQuota value must be less than or equal to the
    ProhibitSendReceiveQuota value" and likewise ProhibitSendQuota; nothing orders the warning
    against the send quota, so a warning above the send quota is accepted."""
    ctx = SimpleNamespace(task_class="Microsoft.Exchange.Management.RecipientTasks.SetMailbox")
    kb = GB // 1024
    check_quota_order(
        ctx, {"IssueWarningQuota": 3 * kb, "ProhibitSendQuota": 2 * kb, "ProhibitSendReceiveQuota": 4 * kb}
    )
    for low in ("IssueWarningQuota", "ProhibitSendQuota"):
        values = {"IssueWarningQuota": kb, "ProhibitSendQuota": kb, "ProhibitSendReceiveQuota": 2 * kb}
        values[low] = 3 * kb
        with pytest.raises(CmdletError, match=f"'{low}' must be less than or equal"):
            check_quota_order(ctx, values)
    unlimited = {"IssueWarningQuota": kb, "ProhibitSendQuota": None, "ProhibitSendReceiveQuota": 2 * kb}
    with pytest.raises(CmdletError, match="ProhibitSendQuota: 'Unlimited'"):  # Unlimited is the largest
        check_quota_order(ctx, unlimited)


def test_secure_string_still_binds():  # the table must not touch types it does not list
    bound = bind(DEFINITIONS["Set-Mailbox"], [("Identity", "x"), ("Password", PSSecureString("Abc123!xyz"))])
    assert bound.get("Password") == "Abc123!xyz"
