# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""danang.mail.mailbox_info run in-process against an in-memory mail system (conftest.FakeSystem)."""

from __future__ import annotations

import dataclasses

from ansible_collections.danang.mail.plugins.modules import mailbox_info
from fake_system import OBM

DUNG, OANH = "dungnv@danang.gov.vn", "oanhtt@danang.gov.vn"


def test_every_account_with_its_facts_and_counts(run_module, fake_systems):
    fake = fake_systems["obm"]
    fake.mailbox(DUNG)
    fake.mailbox(OANH)
    fake.facts[OANH] = dataclasses.replace(
        fake.facts[OANH], enabled=False, locked=True, must_change_password=True
    )
    result = run_module(mailbox_info, {**OBM, "backend": "obm"}, check=True)
    assert result["rc"] == 0 and result["changed"] is False
    assert list(result["accounts"]) == [DUNG, OANH]
    assert result["accounts"][DUNG]["exists"] is True and result["accounts"][DUNG]["quota_mb"] == 2048
    assert result["summary"] == {
        "accounts": 2,
        "enabled": 1,
        "disabled": 1,
        "without_mailbox": 0,
        "must_change_password": 1,
        "locked": 1,
    }
    assert result["missing"] == [] and fake.closed == 1


def test_addresses_asked_for_and_the_missing_named(run_module, fake_systems):
    fake_systems["exchange"].mailbox(DUNG)
    args = {"backend": "exchange", "exchange_server": "mail.example", "ad_uri": "ldap://127.0.0.1:1"}
    result = run_module(mailbox_info, {**args, "addresses": ["DungNV@danang.gov.vn", "ghost@danang.gov.vn"]})
    assert list(result["accounts"]) == [DUNG]
    assert result["missing"] == ["ghost@danang.gov.vn"]
    assert result["summary"]["accounts"] == 1
