# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""danang.mail.mailbox run in-process against an in-memory mail system (conftest.FakeSystem):
plan, check mode, diff, idempotence, failures by address, initial passwords never in the output."""

from __future__ import annotations

import dataclasses
import json

import pytest
from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
from ansible_collections.danang.mail.plugins.module_utils.password_policy import PasswordFacts
from ansible_collections.danang.mail.plugins.modules import mailbox
from fake_system import OBM, person

DUNG = person("CB-1", "Nguyễn Văn Dũng")
OANH = person("CB-2", "Trần Thị Oanh")
AGENCY = "stttt@danang.gov.vn"  # the agency's shared mailbox: no password


@pytest.fixture
def args(town):
    return {**town(DUNG, OANH), **OBM, "backend": "obm"}


def test_creates_each_person_once_with_an_initial_password(run_module, fake_systems, args):
    fake = fake_systems["obm"]
    result = run_module(mailbox, args)
    assert result["rc"] == 0 and result["changed"] is True
    assert sorted(fake.accounts) == ["dungnv@danang.gov.vn", "oanhtt@danang.gov.vn", AGENCY]
    assert AGENCY not in fake.passwords
    assert result["summary"]["create"] == 3 and result["summary"]["failed"] == 0
    # The action plugin takes these out before anything is shown; the rest never holds a password.
    credentials = result.pop("_initial_credentials")
    assert set(credentials) == {"CB-1", "CB-2"}
    assert fake.passwords["dungnv@danang.gov.vn"] == credentials["CB-1"]
    assert credentials["CB-1"] != credentials["CB-2"]
    shown = json.dumps(result)
    assert all(password not in shown for password in credentials.values())
    assert fake.closed == 1


def test_second_run_changes_nothing(run_module, fake_systems, args):
    run_module(mailbox, args)
    again = run_module(mailbox, args)
    assert again["rc"] == 0 and again["changed"] is False
    assert again["summary"]["unchanged"] == 3 and again["plan"] == []
    assert fake_systems["obm"].called().count("apply") == 1


def test_check_mode_predicts_and_changes_nothing(run_module, fake_systems, args):
    fake = fake_systems["obm"]
    result = run_module(mailbox, args, check=True, diff=True)
    assert result["rc"] == 0 and result["changed"] is True
    assert [row["address"] for row in result["plan"]] == [
        "dungnv@danang.gov.vn",
        "oanhtt@danang.gov.vn",
        AGENCY,
    ]
    assert fake.accounts == {} and "apply" not in fake.called()
    assert "dungnv@danang.gov.vn" in json.dumps(result["diff"])
    passwords = result.pop("_initial_credentials").values()
    assert all(p not in json.dumps(result) for p in passwords)


def test_a_refused_change_fails_by_address_and_the_others_are_done(run_module, fake_systems, args):
    fake = fake_systems["obm"]
    fake.refuse.add("oanhtt@danang.gov.vn")
    result = run_module(mailbox, args)
    assert result["rc"] == 1 and result["failed"] is True
    assert result["failed_accounts"] == ["oanhtt@danang.gov.vn"]
    assert "first: oanhtt@danang.gov.vn: refused by the fake system" in result["msg"]
    assert sorted(fake.accounts) == ["dungnv@danang.gov.vn", AGENCY]
    # Only the password an account now holds is handed over.
    assert list(result["_initial_credentials"]) == ["CB-1"]
    fake.refuse.clear()
    finished = run_module(mailbox, args)
    assert finished["rc"] == 0 and [row["address"] for row in finished["plan"]] == ["oanhtt@danang.gov.vn"]


def test_a_removed_person_is_disabled(run_module, fake_systems, town):
    args = {**town(DUNG, OANH), **OBM, "backend": "obm"}
    run_module(mailbox, args)
    args = {**town(DUNG, {**OANH, "state": "removed"}), **OBM, "backend": "obm"}
    result = run_module(mailbox, args, diff=True)
    assert [(row["action"], row["address"]) for row in result["plan"]] == [
        ("disable", "oanhtt@danang.gov.vn")
    ]
    assert fake_systems["obm"].accounts["oanhtt@danang.gov.vn"].enabled is False


def test_exchange_is_opened_with_backend_exchange(run_module, fake_systems, town):
    args = {
        **town(DUNG),
        "backend": "exchange",
        "exchange_server": "mail.example",
        "ad_uri": "ldap://127.0.0.1:1",
    }
    result = run_module(mailbox, args)
    assert result["rc"] == 0 and sorted(fake_systems["exchange"].accounts) == ["dungnv@danang.gov.vn", AGENCY]
    assert fake_systems["obm"].accounts == {}


def test_invalid_options_fail_before_the_system_is_opened(run_module, fake_systems, args):
    result = run_module(mailbox, {**args, "addresses": {"CB-9": "x@danang.gov.vn"}})
    assert result["failed"] is True and "check mode only" in result["msg"]
    assert fake_systems["obm"].calls == []


def test_a_reclaimed_account_enabled_again_gets_a_new_initial_password(run_module, fake_systems, args):
    """R-20, R-23: a new request during the grace period enables the account (the person's ledger
    line is active again) and gives it a new initial password, which must be changed (R-40)."""
    fake = fake_systems["obm"]
    run_module(mailbox, args)
    address = "dungnv@danang.gov.vn"
    old = fake.passwords[address]
    fake.mailbox(address)  # what danang.mail.reclaim left: marked, disabled, content kept
    fake.reclaim([Account(address, "person", "CB-1", "Nguyễn Văn Dũng", "stttt")], "reclaimed")
    fake.accounts[address] = dataclasses.replace(fake.accounts[address], enabled=False)
    fake.password_facts[address] = PasswordFacts(address, "obm", False, False, None, None, False)
    result = run_module(mailbox, args)
    assert result["rc"] == 0, result
    assert [(row["action"], row["address"]) for row in result["plan"]] == [("enable", address)]
    credentials = result.pop("_initial_credentials")
    assert set(credentials) == {"CB-1"} and credentials["CB-1"] != old
    assert fake.passwords[address] == credentials["CB-1"]
    assert fake.password_facts[address].must_change is True
