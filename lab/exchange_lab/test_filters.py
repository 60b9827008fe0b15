# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The anti-malware and anti-spam agents' cmdlets (R-52) in the lab's store, no server: a fresh
server's values, the documented ranges refused when bound, a change kept and read back.

Sources (MicrosoftDocs/office-docs-powershell, exchange/exchange-ps/ExchangePowerShell/):
Set-ContentFilterConfig.md (SCL thresholds "an integer value from 1 through 9", defaults 9/7/9;
RejectionResponse "Don't exceed 240 characters", type AsciiString; Enabled and ExternalMailEnabled
$true, InternalMailEnabled $false; BypassedRecipients "The maximum number of recipient entries is
100"; "A spam quarantine mailbox is required when you set the SCLQuarantineEnabled parameter to
$true"), Set-SenderFilterConfig.md (Enabled $true, BlankSenderBlockingEnabled $false, Action Reject,
"The maximum number of entries for this parameter is 800"), Set-MalwareFilterPolicy.md (Action
DeleteMessage, bypass and notifications $false by default), Set-MalwareFilteringServer.md
(BypassFiltering $false, UpdateFrequency "between 1 and 38880 ... default 60", ScanTimeout 10-900
default 300). SCLRejectEnabled on by default: MicrosoftDocs/OfficeDocs-Exchange,
Exchange/ExchangeServer/antispam-and-antimalware/antispam-protection/scl.md and
content-filtering-procedures.md ("Only the Reject action is enabled by default, and it has the SCL
threshold value 7"); the cmdlet page's "$false" is the odd one out (filters.py says why).
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from exchange_lab.cmdlets.binder import bind
from exchange_lab.cmdlets.definitions import DEFINITIONS
from exchange_lab.cmdlets.engine import IMPLEMENTATIONS, Context
from exchange_lab.cmdlets.errors import CmdletError
from exchange_lab.store import MailboxStore


@pytest.fixture
def lab(tmp_path: Path) -> SimpleNamespace:
    return SimpleNamespace(store=MailboxStore(tmp_path / "store.sqlite3"))


def _run(lab: SimpleNamespace, cmdlet: str, params: list[tuple[Any, Any]]) -> list[Any]:
    definition = DEFINITIONS[cmdlet]
    ctx = Context(lab, "Administrator", cmdlet, definition.task_class, pipeline=None)
    return IMPLEMENTATIONS[cmdlet](ctx, bind(definition, params)) or []


def _props(obj: Any) -> dict[str, Any]:
    return {p.name: p.get_value(obj) for p in obj.PSObject.adapted_properties}


def test_a_fresh_server_has_microsofts_defaults(lab: SimpleNamespace) -> None:
    (content,) = _run(lab, "Get-ContentFilterConfig", [])
    assert {k: v for k, v in _props(content).items() if k.startswith("SCL")} == {
        "SCLDeleteEnabled": False,
        "SCLDeleteThreshold": 9,
        "SCLRejectEnabled": True,
        "SCLRejectThreshold": 7,
        "SCLQuarantineEnabled": False,
        "SCLQuarantineThreshold": 9,
    }
    assert _props(content)["Enabled"] is True and _props(content)["InternalMailEnabled"] is False
    assert _props(content)["QuarantineMailbox"] is None and list(_props(content)["BypassedSenders"]) == []
    (sender,) = _run(lab, "Get-SenderFilterConfig", [])
    assert (_props(sender)["Enabled"], _props(sender)["BlankSenderBlockingEnabled"]) == (True, False)
    assert _props(sender)["Action"] == "Reject"
    (policy,) = _run(lab, "Get-MalwareFilterPolicy", [(None, "Default")])  # Identity is positional
    assert _props(policy)["Action"] == "DeleteMessage" and _props(policy)["BypassInboundMessages"] is False
    (server,) = _run(lab, "Get-MalwareFilteringServer", [])
    assert _props(server)["Name"] == "EXLAB01"
    assert (_props(server)["BypassFiltering"], _props(server)["UpdateFrequency"]) == (False, 60)


@pytest.mark.parametrize(
    ("cmdlet", "params", "refusal"),
    [
        ("Set-ContentFilterConfig", [("SCLRejectThreshold", 10)], "between 1 and 9"),
        ("Set-ContentFilterConfig", [("SCLDeleteThreshold", 0)], "between 1 and 9"),
        ("Set-ContentFilterConfig", [("RejectionResponse", "x" * 241)], "maximum length is 240"),
        ("Set-ContentFilterConfig", [("RejectionResponse", "Thư rác")], "AsciiString"),
        ("Set-ContentFilterConfig", [("BypassedSenders", [f"s{n}@x.vn" for n in range(101)])], "100"),
        ("Set-SenderFilterConfig", [("BlockedDomains", [f"d{n}.example" for n in range(801)])], "800"),
        ("Set-SenderFilterConfig", [("Action", "Delete")], "StampStatus, Reject"),
        ("Set-MalwareFilterPolicy", [("Identity", "Default"), ("Action", "Quarantine")], "DeleteMessage"),
        ("Set-MalwareFilteringServer", [("Identity", "EXLAB01"), ("UpdateFrequency", 38881)], "38880"),
        ("Set-MalwareFilteringServer", [("Identity", "EXLAB01"), ("ScanTimeout", 9)], "between 10 and 900"),
    ],
)
def test_values_outside_the_documented_ranges_are_refused(
    lab: SimpleNamespace, cmdlet: str, params: list[tuple[str, Any]], refusal: str
) -> None:
    with pytest.raises(CmdletError, match=r"Cannot (bind|process argument)") as refused:
        _run(lab, cmdlet, params)
    assert refusal in refused.value.message


def test_settings_are_kept_and_read_back(lab: SimpleNamespace) -> None:
    _run(
        lab,
        "Set-ContentFilterConfig",
        [
            ("SCLQuarantineEnabled", True),
            ("SCLQuarantineThreshold", 5),
            ("QuarantineMailbox", "chanthurac@danang.gov.vn"),
            ("BypassedSenderDomains", {"Add": ["danang.gov.vn"]}),
        ],
    )
    (content,) = _run(lab, "Get-ContentFilterConfig", [])
    assert _props(content)["SCLQuarantineThreshold"] == 5
    assert _props(content)["QuarantineMailbox"] == "chanthurac@danang.gov.vn"
    assert list(_props(content)["BypassedSenderDomains"]) == ["danang.gov.vn"]
    _run(lab, "Set-SenderFilterConfig", [("BlankSenderBlockingEnabled", True), ("BlockedSenders", None)])
    _run(
        lab,
        "Set-MalwareFilterPolicy",
        [("Identity", "default"), ("EnableInternalSenderAdminNotifications", True)],
    )
    _run(
        lab, "Set-MalwareFilteringServer", [("Identity", "exlab01.danang.gov.vn"), ("BypassFiltering", True)]
    )
    (sender,) = _run(lab, "Get-SenderFilterConfig", [])
    (policy,) = _run(lab, "Get-MalwareFilterPolicy", [("Identity", "Default")])
    (server,) = _run(lab, "Get-MalwareFilteringServer", [("Identity", "EXLAB01")])
    assert _props(sender)["BlankSenderBlockingEnabled"] is True
    assert _props(policy)["EnableInternalSenderAdminNotifications"] is True
    assert _props(server)["BypassFiltering"] is True
    # the documented defaults themselves are untouched (a second server would start from them)
    from exchange_lab.cmdlets.filters import MALWARE_POLICY_DEFAULTS

    assert MALWARE_POLICY_DEFAULTS["Default"]["EnableInternalSenderAdminNotifications"] is False


def test_quarantine_needs_a_mailbox_and_unknown_objects_are_not_found(lab: SimpleNamespace) -> None:
    with pytest.raises(CmdletError, match="spam quarantine mailbox is required"):
        _run(lab, "Set-ContentFilterConfig", [("SCLQuarantineEnabled", True)])
    with pytest.raises(CmdletError, match="couldn't be found"):
        _run(lab, "Get-MalwareFilterPolicy", [("Identity", "Strict")])
    with pytest.raises(CmdletError, match="couldn't be found"):
        _run(lab, "Set-MalwareFilteringServer", [("Identity", "EX02"), ("BypassFiltering", False)])
