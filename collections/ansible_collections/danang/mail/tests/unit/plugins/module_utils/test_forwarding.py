# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""R-50: which forwards leave the city, and which of them enforce stops."""

from __future__ import annotations

import pytest
from ansible_collections.danang.mail.plugins.module_utils.forwarding import (
    INBOX_RULE_FORWARD,
    SIEVE_REDIRECT,
    Forward,
    is_inside,
    judge,
)

CITY = ("danang.gov.vn",)


@pytest.mark.parametrize(
    ("address", "inside"),
    [
        ("dungnv@danang.gov.vn", True),
        ("DungNV@DaNang.Gov.VN", True),
        ("thanhtra@sotttt.danang.gov.vn", True),  # a subdomain of the city's domain
        ("dungnv@danang.gov.vn.", True),
        ("postmaster", True),  # a local name on the system itself
        ("dungnv@gmail.com", False),
        ("dungnv@evildanang.gov.vn", False),  # ends like the city's domain, is not under it
        ("dungnv@danang.gov.vn.attacker.example", False),
    ],
)
def test_inside_is_the_city_domains_and_their_subdomains(address: str, inside: bool) -> None:
    assert is_inside(address, CITY) is inside


def test_enforce_stops_only_outside_forwards_that_forward_today() -> None:
    out = Forward("obm", "a@danang.gov.vn", "a@gmail.com", SIEVE_REDIRECT, "roundcube")
    inside = Forward("obm", "a@danang.gov.vn", "b@danang.gov.vn", SIEVE_REDIRECT, "roundcube")
    off = Forward("exchange", "c@danang.gov.vn", "c@yahoo.com", INBOX_RULE_FORWARD, "rule 1", enabled=False)
    findings = judge([out, inside, off, out], CITY)
    assert [(f.forward, f.outside, f.remove) for f in findings] == [
        (off, True, False),
        (out, True, True),
        (inside, False, False),
    ]
    assert findings[1].as_dict()["how"] == "Sieve redirect (OBM forwarding)"
