# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The journal of notifications (``desired_state/notifications.yml``): what was sent, exactly once.

An append-only ``journal``, locked like the ledger (``<file>.lock``, held for the whole run). One
line per step of one notification: ``{key, kind, recipient, message_id, via, state, at}`` with
``state``:

- ``sending``: written (one atomic write per batch) BEFORE the system is asked to send;
- ``sent``: the system accepted it; ``failed``: the system refused it (``error``), to be tried again;
- ``found``: a key left at ``sending`` by a crash, whose Message-ID the recipient's mailbox holds.

A key with ``sent`` or ``found`` is done and never sent again. A key whose last line is ``sending`` is
*uncertain* (the run stopped between the send and its record): the next run asks the system whether
the recipient holds its Message-ID, records ``found`` or sends it again. A key whose last line is
``failed`` is sent again.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils import journal
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


class Journal:
    """The journal file as this run sees it; ``append`` writes lines atomically and keeps the text."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.text, self.records = read(path)

    def standing(self) -> dict[str, str]:
        return standing(self.records)

    def sent_via(self) -> dict[str, str]:
        return sent_via(self.records)

    def append(self, lines: Sequence[Mapping[str, Any]]) -> None:
        if not lines:
            return
        journal.append(self.path, self.text, HEADER, lines)
        self.text, self.records = journal.read(self.path)
