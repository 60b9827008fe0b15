# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""OBM's pure change -> steps (``obm.steps.step_for``): what each change sends, in OBM's order."""

from __future__ import annotations

import pytest

pytest.importorskip("ldap3")

from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.config import DEFAULT_FOLDERS
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.steps import Command, step_for
from ansible_collections.danang.mail.plugins.module_utils.plan import CREATE, DISABLE, REMOVE, UPDATE, Change

PERSON = Account(
    "dungnv@danang.gov.vn", "person", "CB-2017-000101", "Nguyễn Văn Dũng", "stttt", first_name="Dũng"
)
AGENCY = Account("stttt@danang.gov.vn", "agency", "agency/stttt", "Sở Thông tin và Truyền thông", "stttt")


def steps(change: Change, password: str | None = None):
    return step_for(change, imap_admin="cyrus", default_folders=DEFAULT_FOLDERS, password=password)


def test_a_new_person_gets_obms_order_and_the_acl_last() -> None:
    step = steps(
        Change(CREATE, PERSON.address, PERSON, {}, {"cn": "Nguyễn Văn Dũng", "enabled": True}), "Pw-1x"
    )
    verbs = [c.text.split(" ")[0] for c in step.cyrus]
    assert verbs == ["CREATE"] * 6 + ["SETQUOTA"]
    assert step.cyrus[1] == Command(
        'CREATE "user/dungnv/Trash@danang.gov.vn"', ("already exists", "alreadyexists")
    )
    assert step.cyrus[-1].text == 'SETQUOTA "user/dungnv@danang.gov.vn" (STORAGE 2097152)'
    # the ACL comes last, in a wave of its own: its presence says every step before it was done
    assert step.final == Command('SETACL "user/dungnv@danang.gov.vn" anyone p')
    assert step.ldap == {"cn": "Nguyễn Văn Dũng", "mailAccess": "PERMIT"}
    assert step.error is None
    assert "Pw-1x" not in repr(step)  # never shown


def test_a_new_shared_mailbox_is_top_level_without_folders() -> None:
    step = steps(Change(CREATE, AGENCY.address, AGENCY, {}, {"enabled": True}))
    assert [c.text for c in step.cyrus] == [
        'CREATE "stttt@danang.gov.vn"',
        'SETQUOTA "stttt@danang.gov.vn" (STORAGE 2097152)',
    ]
    assert step.final == Command('SETACL "stttt@danang.gov.vn" anyone p')


def test_a_removal_takes_the_x_right_then_deletes_and_tolerates_a_gone_mailbox() -> None:
    step = steps(Change(REMOVE, PERSON.address, PERSON, {"cn": "x"}, {}))
    assert [c.text for c in step.cyrus] == [
        'SETACL "user/dungnv@danang.gov.vn" "cyrus" x',
        'DELETE "user/dungnv@danang.gov.vn"',
    ]
    assert all(c.tolerated == ("does not exist", "nonexistent") for c in step.cyrus)
    assert step.ldap == {} and step.final is None


def test_updates_touch_only_what_changed() -> None:
    quota = steps(Change(UPDATE, PERSON.address, PERSON, {"quota_mb": 1024}, {"quota_mb": 2048}))
    assert [c.text for c in quota.cyrus] == ['SETQUOTA "user/dungnv@danang.gov.vn" (STORAGE 2097152)']
    assert quota.ldap == {} and quota.final is None
    disable = steps(Change(DISABLE, PERSON.address, PERSON, {"enabled": True}, {"enabled": False}))
    assert disable.ldap == {"mailAccess": "REJECT"} and disable.cyrus == []
    names = steps(Change(UPDATE, PERSON.address, PERSON, {"givenName": "X"}, {"givenName": None}))
    assert names.ldap == {"givenName": None}  # None deletes the attribute
    half = steps(
        Change(UPDATE, PERSON.address, PERSON, {"cyrus_mailbox": "incomplete"}, {"cyrus_mailbox": "ready"})
    )
    assert [c.text.split(" ")[0] for c in half.cyrus] == ["CREATE"] * 6 + ["SETQUOTA"]  # finished again
