# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""danang.mail.password_policy run in-process against in-memory mail systems (conftest.FakeSystem),
the clock pinned with time-machine (the module has no clock option): locks, resets with one
password per person on every system (R-45), check mode, diff, idempotence, failures by address."""

from __future__ import annotations

import datetime
import json

import pytest
import time_machine
from ansible_collections.danang.mail.plugins.module_utils.model import CITY_TIMEZONE
from ansible_collections.danang.mail.plugins.module_utils.password_policy import PasswordFacts
from ansible_collections.danang.mail.plugins.modules import password_policy
from fake_system import OBM, person

DUNG, OANH = "dungnv@danang.gov.vn", "oanhtt@danang.gov.vn"
EXCHANGE = {"exchange_server": "mail.example", "ad_uri": "ldap://127.0.0.1:1"}
NOW = datetime.datetime(2027, 6, 1, 9, tzinfo=CITY_TIMEZONE)
LONG_AGO = NOW - datetime.timedelta(days=214)  # over 6 months: locked
RECENTLY = NOW - datetime.timedelta(days=10)


def changed_at(address: str, system: str, when: datetime.datetime) -> PasswordFacts:
    return PasswordFacts(address, system, True, False, None, when, False)


@pytest.fixture
def systems(fake_systems):
    for system in ("obm", "exchange"):
        fake = fake_systems[system]
        fake.password_facts = {
            DUNG: changed_at(DUNG, system, RECENTLY),
            OANH: changed_at(OANH, system, LONG_AGO),
        }
    return fake_systems


@pytest.fixture
def policy(run_module, town):
    where = town(person("CB-1", "Nguyễn Văn Dũng"), person("CB-2", "Trần Thị Oanh"))

    def run(*, check=False, diff=False, **extra):
        args = {**where, **OBM, **EXCHANGE, "backend": ["obm", "exchange"], "mode": "enforce", **extra}
        with time_machine.travel(NOW, tick=False):
            return run_module(password_policy, args, check=check, diff=diff)

    return run


def test_locks_what_is_due_on_every_system_and_judges_at_the_clock(policy, systems):
    result = policy()
    assert result["rc"] == 0 and result["changed"] is True
    assert result["now"] == "2027-06-01T09:00:00+07:00"
    for system in ("obm", "exchange"):
        assert ("lock", [OANH]) in systems[system].calls
        assert systems[system].password_facts[OANH].locked is True
    assert result["summary"]["lock"] == 2 and result["summary"]["failed"] == 0
    assert [row["address"] for row in result["report"]] == [OANH, OANH]


def test_second_run_changes_nothing(policy, systems):
    policy()
    again = policy()
    assert again["rc"] == 0 and again["changed"] is False
    assert again["summary"]["locked"] == 2 and again["summary"]["lock"] == 0


def test_check_mode_and_diff_change_nothing(policy, systems):
    result = policy(check=True, diff=True)
    assert result["changed"] is True
    assert result["diff"]["after"] == {
        f"obm:{OANH}": {"locked": True, "must_change": False},
        f"exchange:{OANH}": {"locked": True, "must_change": False},
    }
    assert all(call not in ("lock", "reset") for fake in systems.values() for call in fake.called())


def test_audit_mode_changes_nothing(policy, systems):
    result = policy(mode="audit")
    assert result["changed"] is False and result["summary"]["lock"] == 2
    assert systems["obm"].password_facts[OANH].locked is False


def test_reset_gives_one_password_on_every_system_and_never_shows_it(policy, systems):
    result = policy(resets=["CB-1"])
    assert result["rc"] == 0 and result["resets"] == ["CB-1"]
    credentials = result.pop("_reset_credentials")
    password = credentials["CB-1"]["password"]
    assert systems["obm"].passwords[DUNG] == systems["exchange"].passwords[DUNG] == password
    assert sorted(credentials["CB-1"]["systems"]) == ["exchange", "obm"]
    assert password not in json.dumps(result)
    assert systems["obm"].password_facts[DUNG].must_change is True


def test_a_refused_lock_fails_by_address_and_the_others_are_done(policy, systems):
    systems["exchange"].refuse.add(OANH)
    result = policy()
    assert result["rc"] == 1 and result["failed"] is True
    assert f"first: {OANH}: refused by the fake system" in result["msg"]
    assert systems["obm"].password_facts[OANH].locked is True
    assert result["summary"]["failed"] == 1


def test_an_unknown_reset_changes_nothing(policy, systems):
    result = policy(resets=["CB-9"])
    assert result["failed"] is True and "CB-9" in result["msg"]
    assert all(call not in ("lock", "reset") for fake in systems.values() for call in fake.called())


def test_now_is_no_longer_an_option(policy, systems):
    result = policy(now="2027-06-01T09:00:00+07:00")
    assert result["failed"] is True and "Unsupported parameters" in result["msg"] and "now" in result["msg"]
