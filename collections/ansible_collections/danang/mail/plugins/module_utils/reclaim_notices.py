# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The notices file of the reclaim run (R-23): what must be told to whom, recorded once each.

A journal (``journal``): one line per notice (``address``, ``agency_address``, ``kind`` warn /
reclaimed / purged, ``due``, ``recorded_on``). A notice is new when no line has the same address,
kind and due date: a second run the same or the next day records nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from ansible_collections.danang.mail.plugins.module_utils import journal
from ansible_collections.danang.mail.plugins.module_utils.reclaim import Notice

HEADER = "---\n# R-23: notices of the reclaim run (danang.mail.reclaim), one per line, to be sent.\n"
KEY = ("address", "kind", "due")


def read_keys(path: str) -> tuple[str, set[tuple[str, ...]]]:
    """The file's text ("" when it does not exist) and the keys of the notices it holds."""
    text, records = journal.read(path)
    return text, journal.keys(records, KEY)


def new_notices(notices: Iterable[Notice], known: set[tuple[str, ...]]) -> list[Notice]:
    """The notices not yet recorded, each once, in a stable order."""
    fresh: dict[tuple[str, str, str], Notice] = {}
    for notice in sorted(notices):
        if notice.key not in known:
            fresh.setdefault(notice.key, notice)
    return list(fresh.values())


def append(path: str, text: str, notices: list[Notice], today: datetime.date) -> None:
    """Write ``text`` plus one line per notice, atomically (mode 0600: addresses are personal data)."""
    journal.append(path, text, HEADER, [{**n.as_dict(), "recorded_on": today.isoformat()} for n in notices])
