"""Enable-/Disable-TransportRule: the only way to change a rule's State (no server; the lab's store).

Sources: learn.microsoft.com/powershell/module/exchange/enable-transportrule ("-Mode" sets the mode
while enabling) and …/disable-transportrule (``Disable-TransportRule -Identity "Sales Disclaimer"``,
no confirmation asked); Set-TransportRule has no State parameter
(../shared/reference/exchange-cmdlets.json; test_cmdlet_definitions.py checks the definitions).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from exchange_lab.cmdlets.binder import bind
from exchange_lab.cmdlets.definitions import DEFINITIONS
from exchange_lab.cmdlets.engine import IMPLEMENTATIONS, Context
from exchange_lab.cmdlets.errors import CmdletError
from exchange_lab.mail_flow import rejections
from exchange_lab.store import MailboxStore

RULE = "danang.mail R-50: no automatic forwarding outside the city"


def _run(lab: SimpleNamespace, cmdlet: str, params: list[tuple[str, object]]) -> list:
    definition = DEFINITIONS[cmdlet]
    ctx = Context(lab, "Administrator", cmdlet, definition.task_class, pipeline=None)
    return IMPLEMENTATIONS[cmdlet](ctx, bind(definition, params)) or []


def _state(lab: SimpleNamespace) -> tuple[str, str]:
    (rule,) = lab.store.config("transport_rules", [])
    return rule["State"], rule["Mode"]


def test_disable_then_enable_with_mode(tmp_path: Path) -> None:
    lab = SimpleNamespace(store=MailboxStore(tmp_path / "store.sqlite3"))
    _run(lab, "New-TransportRule", [("Name", RULE), ("MessageTypeMatches", "AutoForward")])
    assert _state(lab) == ("Enabled", "Enforce")
    _run(lab, "Disable-TransportRule", [(None, RULE)])  # Identity is positional
    assert _state(lab) == ("Disabled", "Enforce")
    (shown,) = _run(lab, "Get-TransportRule", [("State", "Disabled")])
    assert shown.Identity == RULE
    _run(lab, "Enable-TransportRule", [("Identity", RULE), ("Mode", "Audit")])
    assert _state(lab) == ("Enabled", "Audit")


def test_state_is_not_a_set_transport_rule_parameter_and_an_unknown_rule_is_not_found(tmp_path: Path) -> None:
    lab = SimpleNamespace(store=MailboxStore(tmp_path / "store.sqlite3"))
    with pytest.raises(CmdletError, match="parameter name 'State'"):
        bind(DEFINITIONS["Set-TransportRule"], [("Identity", RULE), ("State", "Enabled")])
    with pytest.raises(CmdletError, match="couldn't be found"):
        _run(lab, "Enable-TransportRule", [("Identity", "no such rule")])


RECLAIM_RULE = "danang.mail R-23: reclaimed mailboxes"


def test_a_recipient_whose_ad_attribute_holds_the_words_is_rejected_with_its_text(tmp_path: Path) -> None:
    """-RecipientADAttributeContainsWords "AttributeName:Word,Phrase with spaces" looks for words
    in the recipients' AD attributes (CustomAttribute1 to 15 among them; "works when the recipient
    is an individual user"); -RejectMessageReasonText / -RejectMessageEnhancedStatusCode return the
    message in an NDR with that text and status. Source:
    learn.microsoft.com/powershell/module/exchange/new-transportrule (MicrosoftDocs/office-docs-
    powershell, exchange/exchange-ps/ExchangePowerShell/New-TransportRule.md); the parameter's type
    Word[] from ../shared/reference/exchange-cmdlets.json."""
    entries = {
        "tamnv@danang.gov.vn": {"extensionattribute2": ["danang.mail reclaimed 2026-12-01T00:00:00Z"]},
        "dungnv@danang.gov.vn": {"extensionattribute2": ["danang.mail password-policy-lock 2026-12-01"]},
    }
    directory = SimpleNamespace(
        resolve_mailbox=lambda a: SimpleNamespace(dn=a) if a.lower() in entries else None,
        read=lambda dn: entries[dn.lower()],
    )
    lab = SimpleNamespace(store=MailboxStore(tmp_path / "store.sqlite3"), directory=directory)
    params = [
        ("Name", RECLAIM_RULE),
        ("RecipientADAttributeContainsWords", ["CustomAttribute2:danang.mail reclaimed"]),
        ("RejectMessageEnhancedStatusCode", "5.7.1"),
        ("RejectMessageReasonText", "Hộp thư đã bị thu hồi (R-23)"),
    ]
    (shown,) = _run(lab, "New-TransportRule", params)
    assert list(shown.RecipientADAttributeContainsWords) == ["CustomAttribute2:danang.mail reclaimed"]
    recipients = ["TamNV@danang.gov.vn", "dungnv@danang.gov.vn", "outside@example.org"]
    assert rejections(lab, recipients) == [
        {
            "recipient": "TamNV@danang.gov.vn",
            "status": "5.7.1",
            "text": "Hộp thư đã bị thu hồi (R-23)",
            "rule": RECLAIM_RULE,
        }
    ]
    _run(lab, "Disable-TransportRule", [("Identity", RECLAIM_RULE)])
    assert rejections(lab, recipients) == []
    _run(lab, "Enable-TransportRule", [("Identity", RECLAIM_RULE), ("Mode", "Audit")])
    assert rejections(lab, recipients) == []  # Audit mode only logs
    _run(lab, "Set-TransportRule", [("Identity", RECLAIM_RULE), ("Mode", "Enforce")])
    _run(lab, "Set-TransportRule", [("Identity", RECLAIM_RULE), ("RejectMessageReasonText", "gone")])
    assert [r["text"] for r in rejections(lab, recipients)] == ["gone"]
