# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Moments as text, both ways: ISO 8601 in a zone the caller names, and LDAP GeneralizedTime read.

Two zones are in use, each for a reason: what the systems store and the facts modules return is in
UTC (``Z``), so one value reads the same from OBM and from Exchange; what people read (the R-47
report, the run's clock) is on the city's clock (UTC+7), so a due date is the day the Department sees.
"""

from __future__ import annotations

import datetime
import re
from typing import Any, Optional

UTC = datetime.UTC
# .NET's round-trip form, as CLIXML carries a DateTime: up to 7 digits of fractions, then Z (UTC)
# or the offset of the server's zone (a Local time). Kind Unspecified has no suffix.
_DOTNET = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,7}))?(Z|[+-]\d{2}:\d{2})$")


def iso(moment: Optional[datetime.datetime], zone: datetime.tzinfo) -> Optional[str]:
    """``moment`` in ``zone``, ISO 8601 to the second: ``2026-11-29T04:59:13Z`` in UTC,
    ``2026-11-29T11:59:13+07:00`` on the city's clock; None stays None. Naive moments are refused."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise ValueError(f"a naive time cannot be placed in a zone: {moment.isoformat()}")
    text = moment.astimezone(zone).isoformat(timespec="seconds")
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def dotnet_time(value: Any) -> Optional[datetime.datetime]:
    """A DateTime from remote PowerShell (``2022-10-19T20:31:31-07:00``, ``…T10:00:00.1234567+07:00``,
    ``…Z``; pypsrp leaves it as text) as an aware UTC datetime; None for no value. A time without its
    zone cannot be placed and is refused (ValueError), never taken as UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            raise ValueError(f"a time without its zone: {value.isoformat()}")
        return value.astimezone(UTC)
    match = _DOTNET.match(str(value).strip())
    if not match:
        raise ValueError(f"a time without its zone, or not a time: {value!r}")
    seconds, fraction, zone = match.groups()
    moment = datetime.datetime.fromisoformat(seconds).replace(
        microsecond=int((fraction or "0").ljust(7, "0")[:6]),
        tzinfo=UTC if zone == "Z" else datetime.datetime.strptime(zone, "%z").tzinfo,
    )
    return moment.astimezone(UTC)


def generalized_time(value: Any) -> Optional[datetime.datetime]:
    """An LDAP GeneralizedTime (``20261129045913Z``, ``20260302021502.0Z``) as an aware UTC datetime;
    a datetime (ldap3 may convert) in UTC. None for no value, the lock sentinel ``000001010000Z`` and
    anything else that is not a time."""
    if isinstance(value, datetime.datetime):
        return value.astimezone(UTC) if value.tzinfo else None
    text = str(value or "")
    if len(text) < 15 or not text[:14].isdigit() or not text.endswith("Z"):
        return None
    try:
        return datetime.datetime.strptime(text[:14], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None
