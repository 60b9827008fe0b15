# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Exchange backend without servers: rendering, sizes, names, AD helpers, the plan, and every
cmdlet invocation the backend can emit checked against the published cmdlet signatures."""

from __future__ import annotations

import datetime
import unicodedata
from typing import Any

import pytest
from cmdlet_signatures import assert_binds_in_lab, assert_matches_signature

pytest.importorskip("ldap3")
pytest.importorskip("pypsrp")

from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.ad import (
    SAM_MAX,
    choose_sam_names,
    datetime_to_filetime,
    filetime_to_datetime,
    issue_record,
    parse_issue_record,
    sam_account_name,
    user_from_entry,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import (
    Invocation,
    Secret,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.render import (
    MESSAGE_SIZE_MB,
    NAME_MAX,
    SHARED,
    USER,
    exchange_name,
    observe,
    observed_attributes,
    quota_invocation,
    read_invocation,
    render,
    size_mb,
    statistics_invocation,
    step_for,
)
from ansible_collections.danang.mail.plugins.module_utils.plan import (
    CREATE,
    DISABLE,
    ENABLE,
    REMOVE,
    UPDATE,
    Change,
    make_plan,
)

OU = "OU=DanangMail,DC=danang,DC=gov,DC=vn"
NOW = datetime.datetime(2026, 3, 2, 2, 15, 2, tzinfo=datetime.UTC)
DUNG = Account(
    "dungnv@danang.gov.vn",
    "person",
    "CB-0042",
    "Nguyễn Văn Dũng",
    "stttt",
    first_name="Dũng",
    last_name="Nguyễn Văn",
)
OANH = Account(
    "oanhdt@danang.gov.vn",
    "person",
    "CB-0043",
    "Đỗ Thị O\u2019Anh",
    "stttt",
    first_name="O\u2019Anh",
    last_name="Đỗ Thị",
)
STTTT = Account("stttt@danang.gov.vn", "agency", "CQ-stttt", "Sở Thông tin và Truyền thông", "stttt")


def record(account: Account, **overrides: Any) -> dict[str, Any]:
    """A Get-Mailbox record as remote PowerShell returns it (sizes as strings)."""
    want = render(account)
    quota, warning = want["prohibit_send_receive_mb"], want["issue_warning_mb"]
    base = {
        "Name": want["name"],
        "DisplayName": want["display_name"],
        "Alias": want["alias"],
        "PrimarySmtpAddress": account.address,
        "RecipientTypeDetails": want["recipient_type"],
        "UseDatabaseQuotaDefaults": False,
        "IssueWarningQuota": f"1.8 GB ({warning * 1048576:,} bytes)",
        "ProhibitSendQuota": f"2 GB ({quota * 1048576:,} bytes)",
        "ProhibitSendReceiveQuota": f"2 GB ({quota * 1048576:,} bytes)",
        "MaxSendSize": f"28 MB ({MESSAGE_SIZE_MB * 1048576:,} bytes)",
        "MaxReceiveSize": f"28 MB ({MESSAGE_SIZE_MB * 1048576:,} bytes)",
        "CustomAttribute1": issue_record(NOW),
        "CustomAttribute3": account.holder_id,
        "DistinguishedName": f"CN={want['name']},{OU}",
    }
    return {**base, **overrides}


def ad_user(account: Account, **attributes: Any):
    values = {
        "givenName": [account.first_name],
        "sn": [account.last_name],
        "userAccountControl": ["512"],
        "pwdLastSet": ["0"],
        **attributes,
    }
    return user_from_entry(f"CN={exchange_name(account)},{OU}", values)


# --- sizes, names, times -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "megabytes"),
    [
        ("152.1 MB (159,449,088 bytes)", 152.062),
        ("2 GB (2,147,483,648 bytes)", 2048),
        ("1.8 GB (1,932,525,568 bytes)", 1843),
        ("28 MB (29,360,128 bytes)", 28),
        ("0 B (0 bytes)", 0),
        ("2GB", 2048),
        ("512 KB", 0.5),
        ("Unlimited", None),
        ("", None),
        (None, None),
    ],
)
def test_size_strings(text: Any, megabytes: Any) -> None:
    assert size_mb(text) == megabytes


def test_size_refuses_garbage() -> None:
    with pytest.raises(ValueError, match="not an Exchange size"):
        size_mb("two gigs")


def test_message_size_fits_a_20_mb_attachment_base64_encoded() -> None:
    encoded = -(-20 * 1024**2 // 3) * 4
    with_line_breaks = encoded + encoded // 76 * 2
    assert with_line_breaks + 256 * 1024 < MESSAGE_SIZE_MB * 1024**2 < 30 * 1024**2


def test_exchange_name_is_unique_short_and_keeps_vietnamese() -> None:
    name = exchange_name(DUNG)
    assert name == "Nguyễn Văn Dũng (dungnv)" and unicodedata.is_normalized("NFC", name)
    long = Account("a" * 20 + "@danang.gov.vn", "department", "PB-1", "Phòng " * 30, "stttt")
    assert len(exchange_name(long)) == NAME_MAX and exchange_name(long).endswith(f" ({'a' * 20})")


def test_sam_account_name_rule() -> None:
    assert sam_account_name("dungnv@danang.gov.vn") == "dungnv"
    long = "nguyenthihongnhungabc@danang.gov.vn"  # 21 characters
    name = sam_account_name(long)
    assert len(name) <= SAM_MAX and name.startswith("nguyenthihongnh-") and name.isascii()
    assert sam_account_name(long) == name  # deterministic: a re-run picks the same
    assert sam_account_name("dungnv@danang.gov.vn", 1) != "dungnv"
    chosen = choose_sam_names(["administrator@danang.gov.vn", "dungnv@danang.gov.vn"], ["Administrator"])
    assert chosen["dungnv@danang.gov.vn"] == "dungnv"
    assert chosen["administrator@danang.gov.vn"].startswith("administrator-")
    assert len(set(chosen.values())) == 2


def test_filetime_and_generalized_time() -> None:
    assert filetime_to_datetime(datetime_to_filetime(NOW)) == NOW
    assert filetime_to_datetime("0") is None and filetime_to_datetime(0x7FFFFFFFFFFFFFFF) is None
    assert parse_issue_record(issue_record(NOW)) == NOW
    assert parse_issue_record("something else") is None


def test_ad_user_flags() -> None:
    user = ad_user(DUNG, userAccountControl=["514"])
    assert not user.enabled and user.must_change_password
    changed = ad_user(DUNG, pwdLastSet=[str(datetime_to_filetime(NOW))])
    assert changed.enabled and not changed.must_change_password and changed.password_changed == NOW


# --- render and plan ---------------------------------------------------------------------------
def test_render_person_and_shared() -> None:
    person, shared = render(DUNG), render(STTTT)
    assert person["recipient_type"] == USER and shared["recipient_type"] == SHARED
    assert person["prohibit_send_receive_mb"] == 2048 and person["issue_warning_mb"] == 1843
    assert person["use_database_quota_defaults"] is False
    assert person["alias"] == "dungnv" and person["alias"].isascii()
    assert person["first_name"] == "Dũng" and person["last_name"] == "Nguyễn Văn"
    assert "first_name" not in shared and "password_issue_recorded" not in shared


def test_plan_is_empty_when_exchange_holds_the_rendering() -> None:
    observed = {a.address: observe(record(a), ad_user(a), a.shared, True) for a in (DUNG, OANH)}
    observed[STTTT.address] = observe(record(STTTT), None, True, True)
    plan = make_plan({a.address: a for a in (DUNG, OANH, STTTT)}, observed, render)
    assert plan.changes == () and len(plan.unchanged) == 3


def test_plan_updates_database_quota_defaults_and_missing_issue_record() -> None:
    drifted = record(
        DUNG, UseDatabaseQuotaDefaults=True, ProhibitSendReceiveQuota="Unlimited", CustomAttribute1=None
    )
    observed = {DUNG.address: observe(drifted, ad_user(DUNG), False, True)}
    (change,) = make_plan({DUNG.address: DUNG}, observed, render).changes
    assert change.action == UPDATE
    assert change.after == {
        "use_database_quota_defaults": False,
        "prohibit_send_receive_mb": 2048,
        "password_issue_recorded": True,
    }
    (invocation,) = step_for(change, managed_ou=OU, now=NOW).invocations
    assert invocation.params == {
        "Identity": DUNG.address,
        "UseDatabaseQuotaDefaults": False,
        "ProhibitSendReceiveQuota": "2048MB",
        "IssueWarningQuota": "1843MB",
        "ProhibitSendQuota": "2048MB",
        "CustomAttribute1": issue_record(NOW),
    }


def test_password_changed_by_holder_needs_no_issue_record() -> None:
    changed = ad_user(DUNG, pwdLastSet=[str(datetime_to_filetime(NOW))])
    attributes = observed_attributes(record(DUNG, CustomAttribute1=None), changed, False)
    assert attributes["password_issue_recorded"] is True


def test_create_person_with_quoting_characters_passes_them_as_data() -> None:
    step = step_for(
        Change(CREATE, OANH.address, OANH),
        managed_ou=OU,
        now=NOW,
        password="Pw-1234567890!",
        sam_account_name="oanhdt",
    )
    new, settings = step.invocations
    assert new.cmdlet == "New-Mailbox" and new.params["DisplayName"] == "Đỗ Thị O\u2019Anh"
    assert new.params["ResetPasswordOnNextLogon"] is True
    assert isinstance(new.params["Password"], Secret) and "Pw-" not in repr(new) and "Pw-" not in str(new)
    assert settings.params["MaxSendSize"] == "28MB" and settings.params["UseDatabaseQuotaDefaults"] is False
    assert settings.params["CustomAttribute3"] == OANH.holder_id  # whose mailbox it is


def test_create_person_without_password_does_nothing() -> None:
    step = step_for(Change(CREATE, DUNG.address, DUNG), managed_ou=OU, now=NOW)
    assert step.error and not step.invocations


def test_disable_goes_to_ad_before_the_cmdlets_enable_after() -> None:
    off = step_for(
        Change(DISABLE, DUNG.address, DUNG, {"enabled": True}, {"enabled": False}), managed_ou=OU, now=NOW
    )
    on = step_for(
        Change(ENABLE, DUNG.address, DUNG, {"enabled": False}, {"enabled": True}), managed_ou=OU, now=NOW
    )
    assert (off.ad_before, off.ad_after, off.invocations) == (False, None, [])
    assert (on.ad_before, on.ad_after) == (None, True)


# --- every invocation the backend can emit, against the published signatures ----------------------
def every_invocation() -> list[Invocation]:
    disabled = Account(**{**DUNG.__dict__, "address": "tamlv@danang.gov.vn", "state": "disabled"})
    user_to_shared = {"recipient_type": SHARED, "name": "x", "display_name": "x", "alias": "x"}
    changes = [
        (Change(CREATE, DUNG.address, DUNG), "Pw-1234567890!"),
        (Change(CREATE, disabled.address, disabled), "Pw-1234567890!"),
        (Change(CREATE, STTTT.address, STTTT), None),
        (Change(UPDATE, DUNG.address, DUNG, {}, {**render(DUNG), "recipient_type": USER}), None),
        (Change(UPDATE, STTTT.address, STTTT, {}, user_to_shared), None),
        (Change(ENABLE, DUNG.address, DUNG, {}, {"enabled": True, "max_send_mb": 28}), None),
        (Change(REMOVE, DUNG.address, DUNG), None),
    ]
    found = [
        inv
        for change, password in changes
        for inv in step_for(
            change, managed_ou=OU, now=NOW, password=password, database="DB01", sam_account_name="dungnv"
        ).invocations
    ]
    return [*found, read_invocation(OU), statistics_invocation("DB01"), quota_invocation(DUNG.address, 2048)]


def test_every_cmdlet_is_covered() -> None:
    cmdlets = {inv.cmdlet for inv in every_invocation()}
    assert cmdlets == {
        "New-Mailbox",
        "Set-Mailbox",
        "Set-User",
        "Remove-Mailbox",
        "Get-Mailbox",
        "Get-MailboxStatistics",
    }


@pytest.mark.parametrize("invocation", every_invocation(), ids=str)
def test_invocation_matches_exchange_signature(invocation: Invocation) -> None:
    assert_matches_signature(invocation)


@pytest.mark.parametrize("invocation", every_invocation(), ids=str)
def test_invocation_binds_in_the_exchange_lab(invocation: Invocation) -> None:
    assert_binds_in_lab(invocation)


def test_the_holder_is_read_from_custom_attribute_3_and_a_missing_one_is_stamped() -> None:
    created = datetime.datetime(2026, 3, 2, 1, 0, tzinfo=datetime.UTC)
    user = ad_user(DUNG, whenCreated=["20260302010000.0Z"])
    theirs = observe(record(DUNG, CustomAttribute3="CB-OTHER"), user, False, True)
    assert (theirs.holder, theirs.created) == ("CB-OTHER", created)
    (conflict,) = make_plan({DUNG.address: DUNG}, {DUNG.address: theirs}, render).conflicts
    assert conflict.stored_holder == "CB-OTHER"
    legacy = observe(record(DUNG, CustomAttribute3=None), user, False, True)
    plan = make_plan(
        {DUNG.address: DUNG}, {DUNG.address: legacy}, render, issued_on={DUNG.address: created.date()}
    )
    (change,) = plan.changes
    assert (change.action, change.after) == (UPDATE, {"holder_id": DUNG.holder_id})
    (invocation,) = step_for(change, managed_ou=OU, now=NOW).invocations
    assert invocation.params == {"Identity": DUNG.address, "CustomAttribute3": DUNG.holder_id}
    assert_matches_signature(invocation)
    assert_binds_in_lab(invocation)
