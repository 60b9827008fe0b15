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
