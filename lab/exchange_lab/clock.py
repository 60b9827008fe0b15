# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab clock: real time plus an offset that tests set, kept across restarts.

Every time the lab writes (whenCreated, pwdLastSet, lastLogonTimestamp, LastLogonTime,
DisconnectDate) comes from ``LabClock.now()``, so a test can age accounts without waiting.
``zone`` is the Exchange server's local zone (the city's UTC+7 by default): remote PowerShell
sends DateTime properties in it, with its offset.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path

EPOCH_1601 = datetime(1601, 1, 1, tzinfo=UTC)
CITY_ZONE = timezone(timedelta(hours=7))


def zone_from_offset(text: str) -> timezone:
    """``+07:00``, ``-07:00``, ``Z`` as a fixed zone (ValueError for anything else)."""
    if text.upper() == "Z":
        return UTC
    parsed = datetime.strptime(text, "%z").tzinfo
    return parsed if isinstance(parsed, timezone) else UTC


def to_filetime(when: datetime) -> int:
    """AD FILETIME: 100 ns intervals since 1601-01-01 UTC."""
    delta = when.astimezone(UTC) - EPOCH_1601
    return (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


def from_filetime(value: int) -> datetime:
    return EPOCH_1601 + timedelta(microseconds=value // 10)


def to_generalized_time(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y%m%d%H%M%S.0Z")


class LabClock:
    def __init__(self, path: Path, zone: tzinfo = CITY_ZONE) -> None:
        self.zone = zone
        self._path = path
        self._lock = threading.Lock()
        self._offset = timedelta()
        if path.exists():
            self._offset = timedelta(seconds=json.loads(path.read_text(encoding="utf-8"))["offset_seconds"])

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def set(self, when: datetime) -> None:
        """Make now() return ``when`` (then run on from there)."""
        with self._lock:
            self._offset = when.astimezone(UTC) - datetime.now(UTC)
            self._save()

    def reset(self) -> None:
        with self._lock:
            self._offset = timedelta()
            self._save()

    def _save(self) -> None:
        self._path.write_text(json.dumps({"offset_seconds": self._offset.total_seconds()}), encoding="utf-8")
