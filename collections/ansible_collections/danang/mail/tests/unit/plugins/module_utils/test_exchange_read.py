# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The facts of Exchange's bulk read from what remote PowerShell really sends.

Exchange serialises a DateTime in the server's local zone with its offset and up to seven digits
of fractions (``<DT N="WhenMailboxCreated">2022-10-19T20:31:31-07:00</DT>`` beside
``<DT N="WhenChangedUTC">2022-10-31T01:01:36Z</DT>`` in the Get-Mailbox capture from an Exchange
2016 server, 3gstudent/3gstudent.github.io ``_posts/2022-10-1-pypsrp在Exchange Powershell下的优化.md``);
AD gives FILETIME in UTC. Facts are UTC ``Z`` whatever the server's zone (R-23 compares them).
"""

from __future__ import annotations

import dataclasses
import datetime

import pytest
from ansible_collections.danang.mail.plugins.module_utils.backends.contract import BackendError
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.ad import ADUser
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.read import _facts
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.render import (
    MAILBOX_PROPERTIES,
    STATISTICS_PROPERTIES,
    observe,
    read_invocation,
    statistics_invocation,
)
from ansible_collections.danang.mail.plugins.module_utils.times import UTC, dotnet_time

GUID = "9b9387fe-e1b1-4695-97bd-b0a0bebe7ce2"
RECORD = {
    "PrimarySmtpAddress": "dungnv@danang.gov.vn",
    "DistinguishedName": "CN=Nguyen Van Dung (dungnv),OU=DanangMail,DC=danang,DC=gov,DC=vn",
    "ExchangeGuid": GUID,
    "UseDatabaseQuotaDefaults": False,
    "ProhibitSendReceiveQuota": "2 GB (2,147,483,648 bytes)",
    "Database": "DB01",
}


def _user(last_logon: datetime.datetime) -> ADUser:
    return ADUser(
        dn=RECORD["DistinguishedName"],
        sam_account_name="dungnv",
        user_principal_name="dungnv@danang.gov.vn",
        user_account_control=512,
        pwd_last_set=None,
        last_logon=last_logon,
        created=None,
        given_name="Dũng",
        surname="Nguyễn",
        mail="dungnv@danang.gov.vn",
        issue_record=None,
    )


def test_last_access_compares_moments_not_texts_when_exchange_sends_its_local_offset():
    # The mailbox was last opened at 03:00 UTC (10:00 on the server's +07:00 clock); AD's
    # lastLogonTimestamp plus its 14 days of lag is later, 05:00 UTC. As texts "2026-11-29T10:00…"
    # sorts after "…T05:00…Z".
    stat = {"MailboxGuid": GUID, "LastLogonTime": "2026-11-29T10:00:00.1234567+07:00"}
    facts = _facts(
        RECORD["PrimarySmtpAddress"],
        RECORD,
        _user(datetime.datetime(2026, 11, 15, 5, 0, tzinfo=UTC)),
        False,
        True,
        {GUID: stat},
    )
    assert facts.last_login == "2026-11-29T03:00:00Z"
    assert facts.last_access == "2026-11-29T05:00:00Z"
    assert facts.used_mb is None or facts.used_mb >= 0


def test_last_access_is_the_mailbox_logon_when_it_is_later_whatever_the_server_zone():
    stat = {"MailboxGuid": GUID, "LastLogonTime": "2026-11-28T23:30:00.5-07:00"}  # 06:30 UTC on the 29th
    facts = _facts(
        RECORD["PrimarySmtpAddress"],
        RECORD,
        _user(datetime.datetime(2026, 11, 15, 5, 0, tzinfo=UTC)),
        False,
        True,
        {GUID: stat},
    )
    assert (facts.last_login, facts.last_access) == ("2026-11-29T06:30:00Z", "2026-11-29T06:30:00Z")


def test_ad_logon_counts_with_its_lag_so_a_used_mailbox_never_looks_idle():
    """lastLogonTimestamp is rewritten only when older than msDS-LogonTimeSyncInterval (14 days)
    minus a random part (MS-ADA1 2.352, learn.microsoft.com/openspecs/windows_protocols/ms-ada1):
    the mailbox may have been used up to 14 days after it. last_access counts it at +14 days (R-23);
    the raw value stays in last_logon_ad. created is AD's whenCreated, reclaimed the marker."""
    user = dataclasses.replace(
        _user(datetime.datetime(2026, 8, 20, 1, 0, tzinfo=UTC)),
        created=datetime.datetime(2026, 3, 2, 2, 15, 2, tzinfo=UTC),
        user_account_control=514,
        policy_lock="danang.mail reclaimed 2026-12-01T00:00:00Z",
    )
    facts = _facts(RECORD["PrimarySmtpAddress"], RECORD, user, False, False, {})
    assert (facts.last_login, facts.last_access) == (None, "2026-09-03T01:00:00Z")
    assert facts.own["last_logon_ad"] == "2026-08-20T01:00:00Z"
    assert (facts.created, facts.reclaimed, facts.locked) == ("2026-03-02T02:15:02Z", True, False)
    assert "created" not in facts.own
    locked = dataclasses.replace(user, policy_lock="danang.mail password-policy-lock 2026-12-01T00:00:00Z")
    assert not _facts(RECORD["PrimarySmtpAddress"], RECORD, locked, False, True, {}).reclaimed


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2022-10-19T20:31:31-07:00", datetime.datetime(2022, 10, 20, 3, 31, 31, tzinfo=UTC)),
        ("2022-10-31T01:01:36Z", datetime.datetime(2022, 10, 31, 1, 1, 36, tzinfo=UTC)),
        ("2026-11-29T10:00:00.1234567+07:00", datetime.datetime(2026, 11, 29, 3, 0, 0, 123456, tzinfo=UTC)),
        ("2026-11-29T10:00:00.5+07:00", datetime.datetime(2026, 11, 29, 3, 0, 0, 500000, tzinfo=UTC)),
        (
            datetime.datetime(2026, 11, 29, 10, tzinfo=datetime.timezone(datetime.timedelta(hours=7))),
            datetime.datetime(2026, 11, 29, 3, tzinfo=UTC),
        ),
        (None, None),
        ("", None),
    ],
)
def test_dotnet_times_become_aware_utc(value, expected):
    moment = dotnet_time(value)
    assert moment == expected
    assert moment is None or moment.utcoffset() == datetime.timedelta(0)


@pytest.mark.parametrize("value", ["2026-11-29T10:00:00", "29/11/2026 10:00", "garbage"])
def test_a_time_without_its_zone_or_not_a_time_is_refused(value):
    with pytest.raises(ValueError, match="time"):
        dotnet_time(value)


def test_a_logon_time_without_zone_fails_the_read_naming_the_mailbox_and_field():
    stat = {"MailboxGuid": GUID, "LastLogonTime": "2026-11-29T10:00:00"}
    with pytest.raises(BackendError, match=r"dungnv@danang.gov.vn: LastLogonTime: a time without its zone"):
        _facts(RECORD["PrimarySmtpAddress"], RECORD, None, False, True, {GUID: stat})


class _Recording(dict):
    """A record that notes which properties the code reads."""

    def __init__(self, values: dict) -> None:
        super().__init__(values)
        self.read: set[str] = set()

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)


def test_the_reads_select_every_property_the_backend_reads_and_no_other():
    """Get-Mailbox | Select-Object <these>: a property read but not selected would be $null on
    Exchange (Select-Object gives a missing name as $null), so every one read must be selected."""
    record = _Recording(dict.fromkeys(MAILBOX_PROPERTIES, None) | RECORD)
    stat = _Recording({"MailboxGuid": GUID, "LastLogonTime": None, "TotalItemSize": "1 MB (1,048,576 bytes)"})
    observe(record, _user(datetime.datetime(2026, 11, 29, 5, 0, tzinfo=UTC)), False, True)
    _facts(RECORD["PrimarySmtpAddress"], record, None, False, True, {GUID: stat})
    in_read_into = {"PrimarySmtpAddress", "EmailAddresses", "DistinguishedName", "RecipientTypeDetails"}
    in_read_into.add("HiddenFromAddressListsEnabled")  # read by reclaim.py (hidden once reclaimed)
    assert record.read | in_read_into == set(MAILBOX_PROPERTIES)
    assert stat.read | {"MailboxGuid"} == set(STATISTICS_PROPERTIES)
    assert read_invocation("OU=DanangMail").select == MAILBOX_PROPERTIES
    assert statistics_invocation("DB01").select == STATISTICS_PROPERTIES
    assert (
        str(read_invocation("x")) == "Get-Mailbox -ResultSize -OrganizationalUnit | Select-Object -Property"
    )
