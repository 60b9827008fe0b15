# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where each request record stands for the daily job: done, overdue, due or open (R-22), and
which records a successful run closes (``done_on``).

An item is applied when
- ``new``: the person holds an address in the ledger (so it was final at a cut-off, not pending,
  and the run that allocated it created the accounts);
- ``mailbox``: the agency or department holds an address in the ledger;
- ``change`` / ``cancel``: the run succeeded (the reconcile applied the agency file as it is).
Closing is only asked after a run that succeeded on every system; a record closes when all its
items are applied, on the city's date.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ansible_collections.danang.mail.plugins.module_utils.request_records import Item, RequestRecord

DONE, OVERDUE, DUE, OPEN = "done", "overdue", "due", "open"


@dataclass(frozen=True)
class RecordStatus:
    record: RequestRecord
    status: str  # done, overdue (due_on passed), due (today), open
    waiting: tuple[str, ...]  # the items not applied yet, as text ("new CB-2026-000301")

    def as_dict(self) -> dict[str, object]:
        record = self.record
        return {
            "id": record.id,
            "form": record.form,
            "agency": record.agency,
            "received_on": record.received_on.isoformat(),
            "due_on": record.due_on.isoformat(),
            "done_on": record.done_on.isoformat() if record.done_on else None,
            "status": self.status,
            "requester": dict(record.requester),
            "items": [item.as_dict() for item in record.items],
            "waiting": list(self.waiting),
        }


def item_text(item: Item) -> str:
    return f"{item.action} {item.holder or item.id}"


def applied(item: Item, holders: Mapping[str, str]) -> bool:
    """Whether a successful run has applied ``item``; ``holders``: the ledger's holder id -> address."""
    if item.action == "new":
        return item.id in holders
    if item.action == "mailbox":
        return item.holder in holders
    return True  # change, cancel: the reconcile made the systems match the agency file


def status_of(record: RequestRecord, holders: Mapping[str, str], today: datetime.date) -> RecordStatus:
    if record.done_on is not None:
        return RecordStatus(record, DONE, ())
    waiting = tuple(item_text(i) for i in record.items if not applied(i, holders))
    if record.due_on < today:
        status = OVERDUE
    elif record.due_on == today:
        status = DUE
    else:
        status = OPEN
    return RecordStatus(record, status, waiting)


def statuses(
    records: Iterable[RequestRecord], holders: Mapping[str, str], today: datetime.date
) -> list[RecordStatus]:
    """Every record's status, overdue first, then due, open and done; by due date and id within."""
    order = {OVERDUE: 0, DUE: 1, OPEN: 2, DONE: 3}
    found = [status_of(r, holders, today) for r in records]
    return sorted(found, key=lambda s: (order[s.status], s.record.due_on, s.record.id))


def to_close(
    records: Iterable[RequestRecord], holders: Mapping[str, str], today: datetime.date
) -> list[RequestRecord]:
    """The records a successful run on ``today`` closes: open, every item applied; with ``done_on``."""
    return [
        dataclasses.replace(r, done_on=today)
        for r in records
        if r.done_on is None and all(applied(i, holders) for i in r.items)
    ]
