# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An append-only journal file: a YAML list, one flow-style line per record, never rewritten
otherwise, so that a later step (the notifications) can act on each line once.

The reclaim notices (R-23) and the removed forwards (R-50) are kept this way. A caller decides which
records are new by the keys of those already there (``keys``), then ``append``s them in one atomic
write (mode 0600: the records name people).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ansible_collections.danang.mail.plugins.module_utils import strict_yaml
from ansible_collections.danang.mail.plugins.module_utils.files import write_atomically
from ansible_collections.danang.mail.plugins.module_utils.model import Problem, ValidationFailed


def read(path: str) -> tuple[str, list[dict[str, Any]]]:
    """The file's text ("" when it does not exist) and its records; a file that is not a list of
    mappings is refused (``ValidationFailed`` naming it)."""
    if not os.path.lexists(path):
        return "", []
    data = strict_yaml.read_regular_file(path, path, strict_yaml.FILE_MAX_BYTES)
    text = strict_yaml.decode(data, path)
    items = strict_yaml.parse(text, path, dates=False, max_chars=strict_yaml.FILE_MAX_BYTES) or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ValidationFailed([Problem(path, "", "", "must be a list of records (mappings)")])
    return text, items


def keys(records: Iterable[Mapping[str, Any]], fields: Sequence[str]) -> set[tuple[str, ...]]:
    """The key of each record: its ``fields`` as text."""
    return {tuple(str(r.get(f)) for f in fields) for r in records}


def line(record: Mapping[str, Any]) -> str:
    body = ", ".join(f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in record.items())
    return f"- {{{body}}}\n"


def append(path: str, text: str, header: str, records: Sequence[Mapping[str, Any]]) -> None:
    """Write ``text`` (as ``read`` gave it; ``header`` when it held no record yet) plus one line per
    record, atomically."""
    if not os.path.isdir(os.path.dirname(os.path.abspath(path))):
        raise ValidationFailed([Problem(path, "", "", "the journal's directory does not exist")])
    start = text if any(row.startswith("- ") for row in text.splitlines()) else header
    if not start.endswith("\n"):
        start += "\n"
    write_atomically(path, (start + "".join(line(r) for r in records)).encode("utf-8"), 0o600)
