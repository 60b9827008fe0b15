# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The journal of notifications (``desired_state/notifications/``): what was sent, exactly once.

An append-only journal kept as one file per month of the city's clock (``YYYY-MM.yml``, each a
``journal`` file of at most ``strict_yaml.FILE_MAX_BYTES``): a line goes into the file of the
month of its ``at``. One lock for the directory, ``<directory>.lock`` (``locked``), held for the
whole run. One line per step of one notification: ``{key, kind, recipient, message_id, via,
state, at}`` with ``state``:

- ``sending``: written (one atomic write per batch) BEFORE the system is asked to send;
- ``sent``: the system accepted it; ``failed``: the system refused it (``error``), to be tried again;
- ``found``: a key left at ``sending`` by a crash, whose Message-ID the recipient's mailbox holds.

A key with ``sent`` or ``found`` is done and never sent again. A key whose last line is ``sending`` is
*uncertain* (the run stopped between the send and its record): the next run asks the system whether
the recipient holds its Message-ID, records ``found`` or sends it again. A key whose last line is
``failed`` is sent again.

A run reads only the months from that of (today - ``max_age_days``) to the current one: a
notification older than ``max_age_days`` is never sent, and every line of a younger one is dated on
or after its day, so those months hold all the lines that can still matter.
"""

from __future__ import annotations

import contextlib
import datetime
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils import journal
from ansible_collections.danang.mail.plugins.module_utils.ledger_file import lock_beside, require_directory
from ansible_collections.danang.mail.plugins.module_utils.model import (
    CITY_TIMEZONE,
    Problem,
    ValidationFailed,
)
from ansible_collections.danang.mail.plugins.module_utils.times import iso

HEADER = (
    "---\n# R-22, R-23, R-44, R-47, R-50: the notifications mailed by danang.mail.notify, one line per"
    " step (sending, sent, failed, found); a key sent or found is never sent again.\n"
)
SENDING, SENT, FAILED, FOUND = "sending", "sent", "failed", "found"
STATES = (SENDING, SENT, FAILED, FOUND)
DONE, UNCERTAIN, RETRY, NEW = "done", "uncertain", "retry", "new"


def read(path: str) -> tuple[str, list[dict[str, Any]]]:
    """The journal's text and lines; a line without a key or with an unknown state is refused."""
    text, records = journal.read(path)
    problems = [
        Problem(path, f"line {n}", "state" if r.get("key") else "key", "must have a key and a known state")
        for n, r in enumerate(records, start=1)
        if not isinstance(r.get("key"), str) or r.get("state") not in STATES
    ]
    if problems:
        raise ValidationFailed(problems)
    return text, records


def standing(records: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Each key's standing: ``done`` (sent or found), ``uncertain`` (last line ``sending``) or
    ``retry`` (last line ``failed``)."""
    found: dict[str, str] = {}
    for record in records:
        key, state = record["key"], record["state"]
        if found.get(key) == DONE:
            continue
        found[key] = DONE if state in (SENT, FOUND) else UNCERTAIN if state == SENDING else RETRY
    return found


def sent_via(records: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Each key's system of its last ``sending`` line: an uncertain key is looked for (and sent again)
    where it went, even when the inventory's order changed since."""
    return {r["key"]: str(r.get("via")) for r in records if r["state"] == SENDING}


def line(
    notice: Mapping[str, Any],
    message_id: str,
    via: str,
    state: str,
    now: datetime.datetime,
    error: Optional[str] = None,
) -> dict[str, Any]:
    """One journal line for ``notice`` (``Notification.as_dict``); the time on the city's clock."""
    record = {
        "key": notice["key"],
        "kind": notice["kind"],
        "recipient": notice["recipient"],
        "message_id": message_id,
        "via": via,
        "state": state,
        "at": iso(now, CITY_TIMEZONE),
    }
    if error:
        record["error"] = " ".join(str(error).split())[:300]
    return record


@contextlib.contextmanager
def locked(directory: str) -> Iterator[None]:
    """Hold the journal's one lock, ``<directory>.lock`` beside it, from reading to the last line
    written. Its parent must exist (a typo must not start a journal elsewhere); a symlinked
    directory (a lock of its own) is refused before the lock is taken."""
    require_directory(directory)
    journal.month_files(directory)
    with lock_beside(directory):
        yield


class Journal:
    """The months ``first`` .. ``last`` of the journal directory as this run sees them; ``append``
    writes each line into the file of its month (created, with the directory, when missing)."""

    def __init__(self, directory: str, first: datetime.date, last: datetime.date) -> None:
        self.directory = directory
        self.months = journal.read_months(directory, first, last, read)
        self.records = self._records()

    def _records(self) -> list[dict[str, Any]]:
        return [record for month in sorted(self.months) for record in self.months[month][1]]

    def standing(self) -> dict[str, str]:
        return standing(self.records)

    def sent_via(self) -> dict[str, str]:
        return sent_via(self.records)

    def append(self, lines: Sequence[Mapping[str, Any]]) -> None:
        if not lines:
            return
        by_month: dict[str, list[Mapping[str, Any]]] = {}
        for record in lines:
            by_month.setdefault(journal.month_of(record["at"]), []).append(record)
        if not os.path.lexists(self.directory):
            os.mkdir(self.directory, 0o700)  # the lines name people
        for month, records in sorted(by_month.items()):
            path = os.path.join(self.directory, f"{month}.yml")
            # a month this run did not read (never the case on one clock) is read, not overwritten
            text = self.months[month][0] if month in self.months else read(path)[0]
            journal.append(path, text, HEADER, records)
            self.months[month] = read(path)
        self.records = self._records()
