# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""obm_passwords: an OBM entry's ppolicy attributes as backend-neutral password facts (the lab test
test_password_policy.py proves them against slapd)."""

from __future__ import annotations

import datetime

from ansible_collections.danang.mail.plugins.module_utils.backends.obm.layout import Entry
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.passwords import facts_from_entry

UTC = datetime.UTC


def entry(**values: str) -> Entry:
    base = {"mail": "DungNV@danang.gov.vn", "mailaccess": "PERMIT"}
    return Entry(
        "uid=dungnv,ou=users,dc=danang.gov.vn,dc=local",
        {k.lower(): (v,) for k, v in {**base, **values}.items()},
    )


def test_initial_password_issue_time_is_pwd_changed_time_while_pwd_reset():
    facts = facts_from_entry(entry(pwdReset="TRUE", pwdChangedTime="20261129073248Z"))
    assert facts.address == "dungnv@danang.gov.vn" and facts.system == "obm" and facts.enabled
    assert facts.must_change and facts.issued_at == facts.changed_at == datetime.datetime(
        2026, 11, 29, 7, 32, 48, tzinfo=UTC
    )
    assert not facts.locked and facts.last_login is None


def test_changed_password_has_no_issue_time():
    facts = facts_from_entry(entry(pwdChangedTime="20261129073248Z", pwdLastSuccess="20261130010000Z"))
    assert not facts.must_change and facts.issued_at is None and facts.changed_at is not None
    assert facts.last_login == datetime.datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


def test_only_the_permanent_lock_is_a_policy_lock():
    assert facts_from_entry(entry(pwdAccountLockedTime="000001010000Z")).locked
    assert not facts_from_entry(entry(pwdAccountLockedTime="20261129073254Z")).locked  # failed logins


def test_rejected_mail_access_is_disabled():
    assert not facts_from_entry(entry(mailAccess="REJECT")).enabled
