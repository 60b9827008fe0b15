"""The journals a report counts from: every bad line named (file, line, field), never skipped."""

from __future__ import annotations

import pytest
from ansible_collections.danang.mail.plugins.module_utils.model import ValidationFailed
from ansible_collections.danang.mail.plugins.module_utils.report_inputs import (
    forwards_removed,
    notifications,
    read_journal,
    reclaim_notices,
)


def test_bad_notification_lines_are_named():
    rows = [
        {"key": "k", "kind": "reclaim", "state": "sent", "at": "2026-10-01T08:00:00+07:00"},
        {"key": "k", "kind": "reclaim", "state": "delivered", "at": "2026-10-01T08:00:00"},
        {"kind": "", "state": "sent", "at": "yesterday"},
    ]
    with pytest.raises(ValidationFailed) as raised:
        notifications(rows, "notifications.yml")
    assert [str(p).split(": must", maxsplit=1)[0] for p in raised.value.problems] == [
        "notifications.yml: [1]: at",  # a time without its zone cannot be placed
        "notifications.yml: [1]: state",
        "notifications.yml: [2]: at",
        "notifications.yml: [2]: key",
        "notifications.yml: [2]: kind",
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
    assert read_journal(str(tmp_path / "notifications.yml")) == []
    assert read_journal(None) == []


def test_a_symlinked_journal_is_refused(tmp_path):
    (tmp_path / "real.yml").write_text("- {key: k}\n")
    (tmp_path / "notifications.yml").symlink_to(tmp_path / "real.yml")
    with pytest.raises((ValidationFailed, OSError)):
        read_journal(str(tmp_path / "notifications.yml"))
