# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exchange's limits on the option values the client sends (limits.py), at and over each bound."""

from __future__ import annotations

import pytest
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange import limits
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.organisation import (
    FORWARD_RULE_NAME,
    FORWARD_RULE_TEXT,
    MESSAGE_SIZE_MB,
)


def test_the_defaults_fit():
    assert (
        limits.problems(
            {
                "forward_rule_name": FORWARD_RULE_NAME,
                "forward_rule_text": FORWARD_RULE_TEXT,
                "message_size_mb": MESSAGE_SIZE_MB,
            }
        )
        == []
    )


@pytest.mark.parametrize(
    ("name", "largest", "over"),
    [
        ("forward_rule_name", "r" * 64, "r" * 65),
        ("forward_rule_text", "t" * 256, "t" * 257),
        ("message_size_mb", 2047, 2048),  # 2048 MB = 2147483648 bytes > 2147482624
        ("quota_mb", 2097151, 2097152),  # 2097152 MB = 2 TiB > 2199023254528 bytes
    ],
)
def test_each_bound_is_exchanges(name, largest, over):
    assert limits.problems({name: largest}) == []
    [message] = limits.problems({name: over})
    assert message.startswith(f"{name}: ") and "Exchange allows at most" in message


def test_a_size_must_be_positive_and_unknown_options_pass():
    assert limits.problems({"quota_mb": 0}) == ["quota_mb: 0 MB, must be a positive number of MB"]
    assert limits.problems({"domain": "x" * 999, "forward_rule_text": None}) == []
