# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The notices of the password run (danang.mail.password_policy ``notices_path``), recorded once
each for danang.mail.notify to mail.

An append-only ``journal``, one line per notice, keyed by ``key``:

- R-44, ``password-warn:<address>:<due>``: the holder of a managed account whose password is 3
  months old is warned once per due date (a new password gives a new due date, so a new warning);
- R-47, ``r47:<recorded_on>:<sha256 of the sorted list>``: the list for the Department, recorded
  when it differs from the last one recorded (so a list that comes back after another is sent again,
  and an unchanged list is not sent every day).

Only addresses, names of agencies, reasons and dates: never a password.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from ansible_collections.danang.mail.plugins.module_utils import journal
from ansible_collections.danang.mail.plugins.module_utils.notices import PASSWORD_WARN, R47_LIST
from ansible_collections.danang.mail.plugins.module_utils.password_policy import (
    REASON_TEXT,
    UNCHANGED_3_MONTHS,
    WARN,
    report_rows,
)

HEADER = (
    "---\n# R-44, R-47: notices of the password run (danang.mail.password_policy), one per line, to be"
    " mailed by danang.mail.notify.\n"
)
R47_FIELDS = ("address", "system", "agency", "agency_name", "reason", "due")


def warnings(rows: Iterable[Mapping[str, Any]], today: datetime.date) -> list[dict[str, Any]]:
    """R-44: one line per managed address warned today (both systems give one line)."""
    lines: dict[str, dict[str, Any]] = {}
    for row in rows:
        if (
            row["action"] != WARN
            or row["reason"] != UNCHANGED_3_MONTHS
            or not row["managed"]
            or not row["due"]
        ):
            continue
        key = f"password-warn:{row['address']}:{row['due']}"
        lines.setdefault(
            key,
            {
                "key": key,
                "kind": PASSWORD_WARN,
                "address": row["address"],
                "due": row["due"],
                "recorded_on": today.isoformat(),
            },
        )
    return list(lines.values())


def r47_list(
    rows: Iterable[Mapping[str, Any]], today: datetime.date, last_digest: str = ""
) -> list[dict[str, Any]]:
    """R-47: the list as one line, keyed by its day and the digest of its sorted entries; none when
    it is empty or the same as the last list recorded (``last_digest``)."""
    entries = sorted(
        (
            {f: row.get(f) for f in R47_FIELDS} | {"reason_text": REASON_TEXT.get(row["reason"], "")}
            for row in report_rows(rows)
        ),
        key=lambda e: (str(e["address"]), str(e["system"])),
    )
    if not entries:
        return []
    digest = hashlib.sha256(
        json.dumps(entries, ensure_ascii=False, sort_keys=True).encode("utf-8")
    ).hexdigest()
    if digest == last_digest:
        return []
    key = f"r47:{today.isoformat()}:{digest}"
    return [{"key": key, "kind": R47_LIST, "recorded_on": today.isoformat(), "rows": entries}]


def _last_r47_digest(lines: Iterable[Mapping[str, Any]]) -> str:
    """The digest of the last R-47 list in the journal ("" when none): the key's last part."""
    keys = [str(line.get("key")) for line in lines if line.get("kind") == R47_LIST]
    return keys[-1].rpartition(":")[2] if keys else ""


def record(
    path: str, rows: list[Mapping[str, Any]], today: datetime.date, write: bool
) -> list[dict[str, Any]]:
    """The notices of ``rows`` (``Finding.as_dict``) not yet in the journal at ``path``; appended to it
    (one atomic write, mode 0600) when ``write``."""
    text, known = journal.read(path)
    keys = {str(line.get("key")) for line in known}
    fresh = [
        line
        for line in warnings(rows, today) + r47_list(rows, today, _last_r47_digest(known))
        if line["key"] not in keys
    ]
    if write and fresh:
        journal.append(path, text, HEADER, fresh)
    return fresh
