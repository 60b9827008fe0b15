# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An append-only journal file: a YAML list, one flow-style line per record, never rewritten
otherwise, so that a later step (the notifications) can act on each line once.

The reclaim notices (R-23) and the removed forwards (R-50) are kept this way. A caller decides which
records are new by the keys of those already there (``keys``), then ``append``s them in one atomic
write (mode 0600: the records name people). The notifications are kept as a directory of month
files (``month_files``, ``read_months``), each such a journal.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import stat
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ansible_collections.danang.mail.plugins.module_utils import strict_yaml
from ansible_collections.danang.mail.plugins.module_utils.files import write_atomically
from ansible_collections.danang.mail.plugins.module_utils.model import (
    CITY_TIMEZONE,
    Problem,
    ValidationFailed,
)


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


# A journal kept as a directory of month files, ``YYYY-MM.yml``: a line goes into the file of the
# month of its ``at`` (the city's clock), so no file grows past what one month records and a run
# reads only the months it needs.
MONTH_FILE = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])\.yml")


def month_of(at: str) -> str:
    """``YYYY-MM`` of a line's ``at`` (ISO 8601 with its zone) on the city's clock."""
    moment = datetime.datetime.fromisoformat(at)
    if moment.tzinfo is None:
        raise ValueError(f"the time {at!r} has no zone")
    return moment.astimezone(CITY_TIMEZONE).strftime("%Y-%m")


def months(first: datetime.date, last: datetime.date) -> list[str]:
    """``YYYY-MM`` of every month from ``first``'s to ``last``'s, both included."""
    found, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def month_files(directory: str) -> dict[str, str]:
    """``YYYY-MM`` -> path of each month file of ``directory`` (none when it does not exist).

    A symlinked directory or file is refused (a link could put the journal, or one month of it,
    outside the repository, and a directory reached by a link has a lock of its own), and so is any
    name that is not ``YYYY-MM.yml``: each problem names the file."""
    try:
        status = os.lstat(directory)
    except FileNotFoundError:
        return {}
    if stat.S_ISLNK(status.st_mode):
        message = "is a symbolic link: give the real directory (one journal, one lock)"
        raise ValidationFailed([Problem(directory, "", "", message)])
    if not stat.S_ISDIR(status.st_mode):
        raise ValidationFailed([Problem(directory, "", "", "is not a directory")])
    found, problems = {}, []
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if not MONTH_FILE.fullmatch(name):
            problems.append(
                Problem(path, "", "", "is not a month file YYYY-MM.yml: remove it from the journal")
            )
        elif os.path.islink(path):
            problems.append(Problem(path, "", "", "is a symbolic link: keep a regular file here"))
        else:
            found[name[: -len(".yml")]] = path
    if problems:
        raise ValidationFailed(problems)
    return found


def read_months(
    directory: str,
    first: datetime.date,
    last: datetime.date,
    reader: Callable[[str], tuple[str, list[dict[str, Any]]]] = read,
) -> dict[str, tuple[str, list[dict[str, Any]]]]:
    """``YYYY-MM`` -> (text, records) of the month files from ``first``'s month to ``last``'s that
    exist, read by ``reader`` (``read`` or a stricter one); the directory is checked whole
    (``month_files``), the other months are not read."""
    files = month_files(directory)
    return {month: reader(files[month]) for month in months(first, last) if month in files}
