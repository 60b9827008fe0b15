"""Spam and virus filtering on Exchange (R-52, R-51): the role danang.mail.exchange_org through
ansible-playbook against the Exchange lab, in check mode with diff, then for real, then again.

The test first puts the lab back to Microsoft's documented defaults of a fresh Mailbox server for
what it checks (quarantine off, blank senders allowed: lab/exchange_lab/cmdlets/filters.py cites the
pages), as other tests of the session apply the role too; the role's values are read back through
remote PowerShell afterwards.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

pytest.importorskip("pypsrp")

from pypsrp.powershell import PowerShell

from conftest import run_lab_playbook

pytestmark = pytest.mark.integration

PLAY = [
    {
        "name": "Spam and virus filtering of the lab's Exchange",
        "hosts": "localhost",
        "gather_facts": False,
        "module_defaults": {
            "group/danang.mail.all": {"domain": "{{ danang_mail_domain }}"},
            "group/danang.mail.exchange": "{{ danang_mail_exchange_connection }}",
        },
        "roles": [{"role": "danang.mail.exchange_org"}],
    }
]


def props(pool: Any, cmdlet: str) -> dict[str, Any]:
    ps = PowerShell(pool)
    ps.add_cmdlet(cmdlet)
    [record] = ps.invoke()
    assert not ps.had_errors
    return dict(record.adapted_properties)


def set_props(pool: Any, cmdlet: str, **params: Any) -> None:
    ps = PowerShell(pool)
    ps.add_cmdlet(cmdlet)
    for name, value in params.items():
        ps.add_parameter(name, value)
    ps.invoke()
    assert not ps.had_errors


def test_the_role_sets_the_filters_shows_them_in_check_mode_and_then_changes_nothing(
    exchange_lab: Any, pool: Any, tmp_path: Path
) -> None:
    playbook = tmp_path / "filters.yml"
    playbook.write_text(yaml.safe_dump(PLAY, sort_keys=False), encoding="utf-8")
    extra = tmp_path / "vars.yml"
    extra.write_text(
        yaml.safe_dump(
            {
                **exchange_lab.playbook_vars,
                # Only what this test is about: the other items have tests of their own.
                "exchange_org_spam_mailbox": False,
                "exchange_org_manage_password_policy": False,
                "exchange_org_filters": {
                    "blocked_domains": ["spam.example"],
                    "malware_admin_address": "cntt@danang.gov.vn",
                },
            }
        ),
        encoding="utf-8",
    )
    # The lab is shared by the session (playbooks/exchange.yml applies the filters too): start
    # from a fresh server's quarantine and sender filter settings whatever ran before.
    set_props(pool, "Set-ContentFilterConfig", SCLQuarantineEnabled=False)
    set_props(pool, "Set-SenderFilterConfig", BlankSenderBlockingEnabled=False, BlockedDomains=None)
    before = props(pool, "Get-ContentFilterConfig")
    assert before["SCLQuarantineEnabled"] is False

    check = run_lab_playbook(str(playbook), "-e", f"@{extra}", "--check", "--diff")
    assert check.recap["changed"] == 1
    for shown in (
        "content_filter",
        "SCLQuarantineEnabled",
        "sender_filter",
        "spam.example",
        "malware_policy",
    ):
        assert shown in check.proc.stdout
    assert props(pool, "Get-ContentFilterConfig") == before  # check mode changed nothing

    first = run_lab_playbook(str(playbook), "-e", f"@{extra}")
    assert first.recap["changed"] == 1 and first.recap["failed"] == 0
    content = props(pool, "Get-ContentFilterConfig")
    assert (content["SCLQuarantineEnabled"], content["SCLQuarantineThreshold"]) == (True, 5)
    assert content["QuarantineMailbox"] == f"chanthurac@{exchange_lab.domain}"
    assert (content["SCLRejectEnabled"], content["SCLRejectThreshold"], content["SCLDeleteEnabled"]) == (
        True,
        7,
        False,
    )
    sender = props(pool, "Get-SenderFilterConfig")
    assert sender["BlankSenderBlockingEnabled"] is True and list(sender["BlockedDomains"]) == ["spam.example"]
    policy = props(pool, "Get-MalwareFilterPolicy")
    assert policy["EnableInternalSenderAdminNotifications"] is True
    assert policy["InternalSenderAdminAddress"] == "cntt@danang.gov.vn"

    again = run_lab_playbook(str(playbook), "-e", f"@{extra}")
    assert again.recap["changed"] == 0 and again.recap["failed"] == 0
