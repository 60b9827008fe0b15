# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One ISO writer with its zone said, one GeneralizedTime reader."""

from __future__ import annotations

import datetime

import pytest
from ansible_collections.danang.mail.plugins.module_utils.model import CITY_TIMEZONE
from ansible_collections.danang.mail.plugins.module_utils.times import UTC, generalized_time, iso

MOMENT = datetime.datetime(2026, 11, 29, 4, 59, 13, 250000, tzinfo=UTC)


def test_iso_in_utc_ends_in_z_and_on_the_city_clock_carries_its_offset():
    assert iso(MOMENT, UTC) == "2026-11-29T04:59:13Z"
    assert iso(MOMENT, CITY_TIMEZONE) == "2026-11-29T11:59:13+07:00"
    # 20:00 UTC is already the next day in the city.
    assert iso(datetime.datetime(2026, 12, 6, 20, tzinfo=UTC), CITY_TIMEZONE) == "2026-12-07T03:00:00+07:00"
    assert iso(None, UTC) is None


def test_iso_refuses_a_naive_time():
    with pytest.raises(ValueError, match="naive"):
        iso(datetime.datetime(2026, 11, 29), UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("20261129073248Z", datetime.datetime(2026, 11, 29, 7, 32, 48, tzinfo=UTC)),
        ("20261129073254.020750Z", datetime.datetime(2026, 11, 29, 7, 32, 54, tzinfo=UTC)),
        ("20260302021502.0Z", datetime.datetime(2026, 3, 2, 2, 15, 2, tzinfo=UTC)),
        (
            datetime.datetime(2026, 3, 2, 9, 15, 2, tzinfo=CITY_TIMEZONE),
            datetime.datetime(2026, 3, 2, 2, 15, 2, tzinfo=UTC),
        ),
        (datetime.datetime(2026, 3, 2, 9, 15, 2), None),
        ("000001010000Z", None),  # OBM's administrator lock sentinel
        ("20261129073248", None),
        ("", None),
        (None, None),
        ("garbage", None),
    ],
)
def test_generalized_time(value, expected):
    assert generalized_time(value) == expected


def test_a_generalized_time_read_and_written_in_utc_is_the_facts_format():
    assert iso(generalized_time("20261129045913Z"), UTC) == "2026-11-29T04:59:13Z"
