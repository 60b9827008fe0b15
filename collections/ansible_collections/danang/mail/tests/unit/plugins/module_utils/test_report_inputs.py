"""The journals a report counts from: every bad line named (file, line, field), never skipped."""

from __future__ import annotations

import datetime
import re

import pytest
from ansible_collections.danang.mail.plugins.module_utils import journal
from ansible_collections.danang.mail.plugins.module_utils.model import ValidationFailed
from ansible_collections.danang.mail.plugins.module_utils.report_inputs import (
    forwards_removed,
    notifications,
    read_journal,
    read_notifications,
    reclaim_notices,
)


def test_bad_notification_lines_are_named():
    rows = [
        {"key": "k", "kind": "reclaim", "state": "sent", "at": "2026-10-01T08:00:00+07:00"},
        {"key": "k", "kind": "reclaim", "state": "failed", "at": "2026-10-01T08:00:00+07:00"},
        {"key": "k", "kind": "reclaim", "state": "delivered", "at": "2026-10-01T08:00:00"},
        {"kind": "", "state": "sent", "at": "yesterday"},
    ]
    with pytest.raises(ValidationFailed) as raised:
        notifications(rows, "notifications.yml")
    assert [str(p).split(": must", maxsplit=1)[0] for p in raised.value.problems] == [
        "notifications.yml: [2]: at",  # a time without its zone cannot be placed
        "notifications.yml: [2]: state",
        "notifications.yml: [3]: at",
        "notifications.yml: [3]: key",
        "notifications.yml: [3]: kind",
    ]


def test_bad_dates_in_the_other_journals_are_named():
    with pytest.raises(ValidationFailed, match=r"reclaim-notices.yml: \[0\]: recorded_on"):
        reclaim_notices(
            [{"address": "a@danang.gov.vn", "kind": "warn", "recorded_on": "31/12"}], "reclaim-notices.yml"
        )
    with pytest.raises(ValidationFailed, match=r"forwards-removed.yml: \[0\]: mechanism"):
        forwards_removed(
            [{"system": "obm", "holder": "", "removed_on": "2026-08-10"}], "forwards-removed.yml"
        )


def test_a_missing_journal_is_no_record(tmp_path):
    assert read_journal(str(tmp_path / "reclaim-notices.yml")) == []
    assert read_journal(None) == []
    H2 = (datetime.date(2026, 7, 1), datetime.date(2026, 12, 31))
    assert read_notifications(str(tmp_path / "notifications"), *H2) == []
    assert read_notifications(None, *H2) == []


def test_a_symlinked_journal_is_refused(tmp_path):
    (tmp_path / "real.yml").write_text("- {key: k}\n")
    (tmp_path / "reclaim-notices.yml").symlink_to(tmp_path / "real.yml")
    with pytest.raises((ValidationFailed, OSError)):
        read_journal(str(tmp_path / "reclaim-notices.yml"))


def sent(key: str, at: str) -> dict[str, str]:
    return {"key": key, "kind": "password_warn", "recipient": "a@danang.gov.vn", "state": "sent", "at": at}


def test_the_notifications_of_every_month_overlapping_the_period_are_read(tmp_path):
    directory = tmp_path / "notifications"
    directory.mkdir()
    for month in ("2026-06", "2026-07", "2026-12", "2027-01"):
        journal.append(
            str(directory / f"{month}.yml"), "", "---\n", [sent(month, f"{month}-15T09:00:00+07:00")]
        )
    found = read_notifications(str(directory), datetime.date(2026, 7, 1), datetime.date(2026, 12, 31))
    assert [n.key for n in found] == ["2026-07", "2026-12"]
    (directory / "2026-05.yml").write_text("not: a list\n")  # outside the period: not read
    assert (
        len(read_notifications(str(directory), datetime.date(2026, 7, 1), datetime.date(2026, 12, 31))) == 2
    )


def test_a_bad_month_is_named_by_its_file(tmp_path):
    directory = tmp_path / "notifications"
    directory.mkdir()
    journal.append(str(directory / "2026-08.yml"), "", "---\n", [{"key": "k", "state": "sent"}])
    with pytest.raises(ValidationFailed, match=r"2026-08.yml: \[0\]: at"):
        read_notifications(str(directory), datetime.date(2026, 7, 1), datetime.date(2026, 12, 31))


@pytest.mark.parametrize("name", ["notifications.yml", "2026-7.yml", "README"])
def test_a_name_that_is_not_a_month_is_refused(tmp_path, name):
    directory = tmp_path / "notifications"
    directory.mkdir()
    (directory / name).write_text("---\n[]\n")
    with pytest.raises(ValidationFailed, match=re.escape(f"{directory}/{name}: ") + ".*YYYY-MM"):
        read_notifications(str(directory), datetime.date(2026, 7, 1), datetime.date(2026, 12, 31))


def test_a_symlinked_notifications_directory_or_month_is_refused(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "notifications").symlink_to(real)
    with pytest.raises(ValidationFailed, match="notifications: is a symbolic link"):
        read_notifications(
            str(tmp_path / "notifications"), datetime.date(2026, 7, 1), datetime.date(2026, 12, 31)
        )
    (real / "2026-09.yml").symlink_to(tmp_path / "elsewhere.yml")
    with pytest.raises(ValidationFailed, match=r"2026-09\.yml: is a symbolic link"):
        read_notifications(str(real), datetime.date(2026, 7, 1), datetime.date(2026, 12, 31))


def test_months_and_the_month_of_a_time_on_the_citys_clock():
    assert journal.months(datetime.date(2026, 11, 24), datetime.date(2027, 1, 2)) == [
        "2026-11",
        "2026-12",
        "2027-01",
    ]
    assert journal.months(datetime.date(2026, 12, 8), datetime.date(2026, 12, 8)) == ["2026-12"]
    assert journal.month_of("2026-12-31T17:00:00+00:00") == "2027-01"  # midnight in Da Nang
    assert journal.month_of("2026-12-31T16:59:59+00:00") == "2026-12"
    with pytest.raises(ValueError, match="no zone"):
        journal.month_of("2026-12-31T17:00:00")
