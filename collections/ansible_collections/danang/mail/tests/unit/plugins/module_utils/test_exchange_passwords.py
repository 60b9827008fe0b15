# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""exchange_passwords: an AD account's attributes as backend-neutral password facts, and the reset's
cmdlet (tests/integration/test_password_policy_exchange.py proves them against the Exchange lab)."""

from __future__ import annotations

import datetime

import pytest
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.ad import (
    datetime_to_filetime,
    user_from_entry,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import Secret
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.passwords import (
    facts_from_user,
    policy_lock_record,
    reset_invocation,
)
from cmdlet_signatures import assert_binds_in_lab, assert_matches_signature

UTC = datetime.UTC
CHANGED = datetime.datetime(2026, 5, 4, 2, 30, 15, tzinfo=UTC)
CHANGED_FILETIME = 134223354150000000  # 100 ns ticks since 1601-01-01 UTC
LOGON_FILETIME = 134404740000000000  # 2026-11-30T01:00:00Z
ISSUED = "danang.mail initial-password-issued 2026-11-29T02:15:02Z"


def facts(**attributes):
    base = {
        "mail": "DungNV@danang.gov.vn",
        "userPrincipalName": "dungnv@danang.gov.vn",
        "userAccountControl": ["512"],
        "pwdLastSet": [str(CHANGED_FILETIME)],
        "msExchRecipientTypeDetails": "1",
    }
    values = {k: v for k, v in {**base, **attributes}.items() if v is not None}
    return facts_from_user(user_from_entry("CN=Dũng (dungnv),OU=DanangMail,DC=danang,DC=gov,DC=vn", values))


def test_filetime_is_the_change_time():
    assert datetime_to_filetime(CHANGED) == CHANGED_FILETIME
    item = facts(lastLogonTimestamp=str(LOGON_FILETIME))
    assert item.address == "dungnv@danang.gov.vn" and item.system == "exchange" and item.enabled
    assert item.changed_at == CHANGED and not item.must_change and item.issued_at is None
    assert item.last_login == datetime.datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    assert not item.locked


def test_ldap3_datetimes_are_read_as_well():
    assert facts(pwdLastSet=CHANGED).changed_at == CHANGED  # ldap3 with AD's schema converts FILETIME


def test_pwd_last_set_0_is_a_forced_change_counted_from_the_recorded_issue_time():
    item = facts(pwdLastSet="0", extensionAttribute1=ISSUED)
    assert item.must_change and item.changed_at is None
    assert item.issued_at == datetime.datetime(2026, 11, 29, 2, 15, 2, tzinfo=UTC)


def test_the_issue_record_is_ignored_once_the_holder_changed_the_password():
    item = facts(extensionAttribute1=ISSUED)
    assert not item.must_change and item.issued_at is None and item.changed_at == CHANGED


def test_forced_change_without_a_record_has_no_time():
    item = facts(pwdLastSet="0")
    assert item.must_change and item.issued_at is None and item.changed_at is None


@pytest.mark.parametrize(
    ("uac", "mark", "enabled", "locked"),
    [
        ("512", None, True, False),
        ("514", None, False, False),  # disabled for the desired state: not the policy's
        ("514", policy_lock_record(CHANGED), True, True),  # the policy's lock: still wanted enabled
        ("512", policy_lock_record(CHANGED), True, False),  # enabled by hand: the mark alone is no lock
        ("514", "someone else's note", False, False),
        ("66050", policy_lock_record(CHANGED), True, True),  # 0x10202: with DONT_EXPIRE_PASSWORD
    ],
)
def test_user_account_control_and_the_policy_mark(uac, mark, enabled, locked):
    item = facts(userAccountControl=uac, extensionAttribute2=mark)
    assert (item.enabled, item.locked) == (enabled, locked)


def test_policy_lock_record():
    assert policy_lock_record(CHANGED) == "danang.mail password-policy-lock 2026-05-04T02:30:15Z"


@pytest.mark.parametrize("kind", ["4", None])  # a shared mailbox; an account without a mailbox
def test_only_persons_with_a_user_mailbox(kind):
    assert facts(msExchRecipientTypeDetails=kind) is None


def test_the_address_falls_back_to_the_upn():
    assert facts(mail=None).address == "dungnv@danang.gov.vn"
    assert facts(mail=None, userPrincipalName=None) is None


def test_reset_cmdlet():
    invocation = reset_invocation("dungnv@danang.gov.vn", "Tk7=mhEa/N4dPHay", CHANGED)
    params = invocation.params
    assert invocation.cmdlet == "Set-Mailbox" and invocation.key == "dungnv@danang.gov.vn"
    assert params["Password"] == Secret("Tk7=mhEa/N4dPHay") and "Tk7" not in repr(invocation)
    assert params["ResetPasswordOnNextLogon"] is True
    assert params["CustomAttribute1"] == "danang.mail initial-password-issued 2026-05-04T02:30:15Z"


def test_reset_cmdlet_matches_exchange_and_the_lab():
    invocation = reset_invocation("dungnv@danang.gov.vn", "Tk7=mhEa/N4dPHay", CHANGED)
    assert_binds_in_lab(invocation)
    assert_matches_signature(invocation)
