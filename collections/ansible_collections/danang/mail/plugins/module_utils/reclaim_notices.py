# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The notices file of the reclaim run (R-23): what must be told to whom, recorded once each.

A YAML list, one flow-style line per notice (``address``, ``agency_address``, ``kind`` warn /
reclaimed / purged, ``due``, ``recorded_on``), appended to and never rewritten otherwise, so the
notification step of a later issue can send each line once. A notice is new when no line has the
same address, kind and due date: a second run the same or the next day records nothing.
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Iterable

from ansible_collections.danang.mail.plugins.module_utils import strict_yaml
from ansible_collections.danang.mail.plugins.module_utils.files import write_atomically
from ansible_collections.danang.mail.plugins.module_utils.model import Problem, ValidationFailed
from ansible_collections.danang.mail.plugins.module_utils.reclaim import Notice

HEADER = "---\n# R-23: notices of the reclaim run (danang.mail.reclaim), one per line, to be sent.\n"


def read_keys(path: str) -> tuple[str, set[tuple[str, str, str]]]:
    """The file's text ("" when it does not exist) and the keys of the notices it holds."""
    if not os.path.lexists(path):
        return "", set()
    data = strict_yaml.read_regular_file(path, path, strict_yaml.FILE_MAX_BYTES)
    text = strict_yaml.decode(data, path)
    items = strict_yaml.parse(text, path, dates=False, max_chars=strict_yaml.FILE_MAX_BYTES) or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ValidationFailed([Problem(path, "", "", "must be a list of notices (mappings)")])
    return text, {(str(i.get("address")), str(i.get("kind")), str(i.get("due"))) for i in items}


def new_notices(notices: Iterable[Notice], known: set[tuple[str, str, str]]) -> list[Notice]:
    """The notices not yet recorded, each once, in a stable order."""
    fresh: dict[tuple[str, str, str], Notice] = {}
    for notice in sorted(notices):
        if notice.key not in known:
            fresh.setdefault(notice.key, notice)
    return list(fresh.values())


def line(notice: Notice, today: datetime.date) -> str:
    fields = {**notice.as_dict(), "recorded_on": today.isoformat()}
    body = ", ".join(f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in fields.items())
    return f"- {{{body}}}\n"


def known_any(text: str) -> bool:
    """Whether ``text`` already holds a notice line to append after (not ``[]`` or only comments)."""
    return any(row.startswith("- ") for row in text.splitlines())


def append(path: str, text: str, notices: list[Notice], today: datetime.date) -> None:
    """Write ``text`` plus one line per notice, atomically (mode 0600: addresses are personal data)."""
    if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
        raise ValidationFailed([Problem(path, "", "", "the notices file's directory does not exist")])
    start = text if known_any(text) else HEADER
    if not start.endswith("\n"):
        start += "\n"
    body = start + "".join(line(n, today) for n in notices)
    write_atomically(path, body.encode("utf-8"), 0o600)
