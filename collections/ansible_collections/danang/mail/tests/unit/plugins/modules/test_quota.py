# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""danang.mail.quota run in-process against an in-memory mail system (conftest.FakeSystem)."""

from __future__ import annotations

import pytest
from ansible_collections.danang.mail.plugins.modules import quota
from fake_system import OBM

DUNG, OANH, STTTT = "dungnv@danang.gov.vn", "oanhtt@danang.gov.vn", "stttt@danang.gov.vn"


@pytest.fixture
def fake(fake_systems):
    fake = fake_systems["obm"]
    fake.mailbox(DUNG, quota_mb=2048, used_mb=1900.0)
    fake.mailbox(OANH, quota_mb=1024, used_mb=10.0)
    fake.mailbox(STTTT, quota_mb=2048, used_mb=None)
    fake.facts[STTTT].shared = True
    return fake


def args(**extra):
    return {**OBM, "backend": "obm", **extra}


def test_sets_only_the_quotas_that_differ_and_reports_use(run_module, fake):
    result = run_module(quota, args(account_class="persons", quota_mb=2048, warning_percent=90), diff=True)
    assert result["rc"] == 0 and result["changed"] is True
    assert fake.calls[-1] == ("set_quotas", {OANH: 2048})
    assert [row["address"] for row in result["accounts"]] == [DUNG, OANH]
    assert result["over_warning"] == [DUNG]
    assert result["diff"] == {"before": {OANH: 1024}, "after": {OANH: 2048}}


def test_second_run_changes_nothing(run_module, fake):
    run_module(quota, args(account_class="all"))
    again = run_module(quota, args(account_class="all"))
    assert again["rc"] == 0 and again["changed"] is False
    assert fake.called().count("set_quotas") == 1


def test_check_mode_sets_nothing_and_names_the_mailboxes_that_would_fail(run_module, fake):
    result = run_module(quota, args(addresses=[OANH, "Ghost@danang.gov.vn"], quota_mb=512), check=True)
    assert fake.facts[OANH].quota_mb == 1024 and "set_quotas" not in fake.called()
    assert result["failed"] is True and result["failed_accounts"] == ["ghost@danang.gov.vn"]
    assert "first: ghost@danang.gov.vn: no such mailbox" in result["msg"]
    rows = {row["address"]: row for row in result["accounts"]}
    assert rows[OANH]["changed"] is True and rows[OANH]["quota_mb"] == 512


def test_a_refused_quota_fails_by_address_and_the_others_are_set(run_module, fake):
    fake.refuse.add(OANH)
    result = run_module(quota, args(account_class="all", quota_mb=4096))
    assert result["rc"] == 1 and result["failed_accounts"] == [OANH]
    assert fake.facts[DUNG].quota_mb == 4096 and fake.facts[STTTT].quota_mb == 4096
    assert result["changed"] is True


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"account_class": "all", "quota_mb": 0}, "quota_mb must be a positive number of MB"),
        ({}, "one of the following is required: addresses, account_class"),
        ({"account_class": "all", "addresses": [DUNG]}, "mutually exclusive"),
    ],
)
def test_invalid_options_fail_before_the_system_is_opened(run_module, fake, extra, message):
    result = run_module(quota, args(**extra))
    assert result["failed"] is True and message in result["msg"]
    assert fake.calls == []
