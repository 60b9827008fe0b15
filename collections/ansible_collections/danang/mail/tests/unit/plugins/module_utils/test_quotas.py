# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Quota targets, the quotas to change, percentages and the warning threshold."""

from __future__ import annotations

import pytest
from ansible_collections.danang.mail.plugins.module_utils.quotas import (
    predicted_failures,
    quota_report,
    quota_targets,
    quotas_to_set,
    used_percent,
)

FACTS = {
    "dungnv@danang.gov.vn": {"quota_mb": 2048, "used_mb": 1900.0, "shared": False, "mailbox": True},
    "oanhtt@danang.gov.vn": {"quota_mb": 1024, "used_mb": 10.0, "shared": False, "mailbox": True},
    "stttt@danang.gov.vn": {"quota_mb": 2048, "used_mb": None, "shared": True, "mailbox": True},
    "nobox@danang.gov.vn": {"quota_mb": None, "used_mb": None, "shared": False, "mailbox": False},
}


@pytest.mark.parametrize(
    ("account_class", "expected"),
    [
        ("persons", ["dungnv@danang.gov.vn", "nobox@danang.gov.vn", "oanhtt@danang.gov.vn"]),
        ("shared", ["stttt@danang.gov.vn"]),
        ("all", sorted(FACTS)),
    ],
)
def test_targets_by_class_in_address_order(account_class, expected):
    assert quota_targets(FACTS, None, account_class) == expected


def test_targets_given_are_lower_cased_and_kept_even_if_unknown():
    assert quota_targets(FACTS, ["DungNV@Danang.gov.vn", "ghost@danang.gov.vn"], None) == [
        "dungnv@danang.gov.vn",
        "ghost@danang.gov.vn",
    ]


def test_only_differing_or_unknown_quotas_are_set():
    targets = ["dungnv@danang.gov.vn", "oanhtt@danang.gov.vn", "ghost@danang.gov.vn"]
    assert quotas_to_set(FACTS, targets, 2048) == {"oanhtt@danang.gov.vn": 2048, "ghost@danang.gov.vn": 2048}


def test_check_mode_predicts_the_refusals_by_address():
    to_set = ["oanhtt@danang.gov.vn", "ghost@danang.gov.vn", "nobox@danang.gov.vn"]
    assert predicted_failures(FACTS, to_set) == {
        "ghost@danang.gov.vn": "no such mailbox",
        "nobox@danang.gov.vn": "no such mailbox",
    }


@pytest.mark.parametrize(
    ("used", "quota", "expected"),
    [(1900.0, 2048, 92.77), (0.0, 2048, 0.0), (None, 2048, None), (5.0, None, None), (5.0, 0, None)],
)
def test_used_percent(used, quota, expected):
    assert used_percent(used, quota) == expected


def test_report_uses_the_new_quota_only_where_it_was_set():
    targets = ["dungnv@danang.gov.vn", "oanhtt@danang.gov.vn", "ghost@danang.gov.vn"]
    to_set = {"oanhtt@danang.gov.vn": 12, "ghost@danang.gov.vn": 12}
    report = quota_report(FACTS, targets, to_set, {"ghost@danang.gov.vn": "no such mailbox"}, 90)
    rows = {row["address"]: row for row in report["accounts"]}
    assert rows["oanhtt@danang.gov.vn"] == {
        "address": "oanhtt@danang.gov.vn",
        "quota_mb": 12,
        "used_mb": 10.0,
        "used_percent": 83.33,
        "changed": True,
    }
    assert rows["ghost@danang.gov.vn"]["changed"] is False and rows["ghost@danang.gov.vn"]["quota_mb"] is None
    assert report["over_warning"] == ["dungnv@danang.gov.vn"]  # 92.77 % of 2048; oanhtt 83.33 % < 90
    assert report["changed"] is True
    assert report["diff"] == {"before": {"oanhtt@danang.gov.vn": 1024}, "after": {"oanhtt@danang.gov.vn": 12}}


def test_nothing_to_set_is_unchanged():
    report = quota_report(FACTS, ["dungnv@danang.gov.vn"], {}, {}, 95)
    assert report["changed"] is False and report["over_warning"] == []
