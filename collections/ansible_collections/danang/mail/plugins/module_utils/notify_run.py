# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run of danang.mail.notify: route each notification to a system, send what is due exactly
once (``notify_journal``), report what happened.

Routing: the recipient's systems (a person's ``systems`` in the desired state; an agency or
department mailbox is on every system) in the order of ``order`` (``danang_mail_notify_systems``);
the first wins. An address the desired state does not hold (a requester's own e-mail) goes by the
first system of ``order``.

Per system and batch, the journal's lock held throughout:
1. each uncertain key (last line ``sending``): ``delivered()`` -> ``found`` is recorded, or it is sent
   again; a system that cannot tell (``BackendError``) leaves it for the next run, untouched;
2. one atomic write of the ``sending`` lines of the batch;
3. ``send_messages(batch)``; 4. one atomic write of the ``sent`` / ``failed`` lines; a send the
system cannot tell the fate of (``Result.pending``) gets no line, its ``sending`` line stays last.
A crash after 2 leaves ``sending`` lines only: the next run's step 1 finds the message or sends it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.backends.contract import (
    BackendError,
    Notifications,
)
from ansible_collections.danang.mail.plugins.module_utils.model import DesiredState
from ansible_collections.danang.mail.plugins.module_utils.notices import Notification
from ansible_collections.danang.mail.plugins.module_utils.notify_journal import (
    DONE,
    FAILED,
    FOUND,
    NEW,
    SENDING,
    SENT,
    UNCERTAIN,
    Journal,
    line,
)

SEND, CHECK, SKIP_DONE, SKIP_OLD = "send", "check", "already_sent", "too_old"


def systems_of(
    state: DesiredState, holders: Mapping[str, str], every: Sequence[str]
) -> dict[str, frozenset[str]]:
    """Address -> the systems holding it: a person's ``systems``; an agency or department: all."""
    found: dict[str, frozenset[str]] = {}
    for agency in state.agencies:
        for holder in (agency.holder_id, *(d.holder_id for d in agency.departments)):
            if holder in holders:
                found[holders[holder].lower()] = frozenset(every)
        for person in agency.people:
            if person.id in holders:
                found[holders[person.id].lower()] = person.systems
    return found


def route(recipient: str, systems: Mapping[str, frozenset[str]], order: Sequence[str]) -> str:
    """The system that sends to ``recipient``: the first of ``order`` it has, else ``order[0]``."""
    held = systems.get(recipient.lower())
    return next((s for s in order if held is None or s in held), order[0])


def router(
    systems: Mapping[str, frozenset[str]], order: Sequence[str], recorded: Mapping[str, str]
) -> Callable[[Notification], str]:
    """``route``, except that a key already on its way (``recorded``: key -> system of its
    ``sending`` line) stays with that system while ``order`` allows it: it is looked for there."""

    def via(notification: Notification) -> str:
        earlier = recorded.get(notification.key)
        return earlier if earlier in order else route(notification.recipient, systems, order)

    return via


@dataclass(frozen=True)
class Planned:
    notification: Notification
    via: str
    action: str  # send, check (uncertain), already_sent, too_old
    message_id: str
    fresh: bool = True  # within max_age_days: an uncertain one not found is sent again only then


@dataclass
class Outcome:
    rows: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)  # journal lines written (or would be)


def plan(
    notifications: Sequence[Notification],
    standing: Mapping[str, str],
    via: Callable[[Notification], str],
    message_id: Callable[[str], str],
    today: datetime.date,
    max_age_days: int,
) -> list[Planned]:
    """What to do with each notification: nothing when done or older than ``max_age_days`` (a lost
    journal must not flood people with old news), a check first when uncertain, else a send."""
    out = []
    for n in notifications:
        state, fresh = standing.get(n.key, NEW), (today - n.on).days <= max_age_days
        if state == DONE:
            action = SKIP_DONE
        elif state == UNCERTAIN:
            action = CHECK
        else:
            action = SEND if fresh else SKIP_OLD
        out.append(Planned(n, via(n), action, message_id(n.key), fresh))
    return out


def _row(p: Planned, status: str, error: Optional[str] = None) -> dict[str, Any]:
    return {
        **p.notification.as_dict(),
        "via": p.via,
        "message_id": p.message_id,
        "status": status,
        "error": error,
    }


def carry_out(
    planned: Sequence[Planned],
    backends: Mapping[str, Notifications],
    messages: Mapping[str, EmailMessage],
    journal: Journal,
    now: datetime.datetime,
    batch_size: int,
) -> Outcome:
    """Check, record, send and record, per system and batch (see the module's docstring);
    ``messages``: key -> the composed message (composed before anything is sent)."""
    outcome = Outcome()
    for p in planned:
        if p.action in (SKIP_DONE, SKIP_OLD):
            outcome.rows.append(_row(p, p.action))
    for system, backend in backends.items():
        mine = [p for p in planned if p.via == system and p.action in (SEND, CHECK)]
        for start in range(0, len(mine), batch_size):
            _batch(mine[start : start + batch_size], backend, messages, journal, now, outcome)
    return outcome


def _batch(
    batch: Sequence[Planned],
    backend: Notifications,
    messages: Mapping[str, EmailMessage],
    journal: Journal,
    now: datetime.datetime,
    outcome: Outcome,
) -> None:
    to_send: list[Planned] = []
    found_lines = []
    for p in batch:
        if p.action == CHECK:
            try:
                held = backend.delivered(p.notification.recipient, p.message_id)
            except BackendError as exc:
                outcome.rows.append(_row(p, "unknown", f"cannot tell whether it was delivered: {exc}"))
                continue
            if held:
                found_lines.append(line(p.notification.as_dict(), p.message_id, p.via, FOUND, now))
                outcome.rows.append(_row(p, FOUND))
                continue
            if not p.fresh:
                outcome.rows.append(_row(p, SKIP_OLD))
                continue
        to_send.append(p)
    journal.append(found_lines)
    outcome.lines += found_lines
    if not to_send:
        return
    sending = [line(p.notification.as_dict(), p.message_id, p.via, SENDING, now) for p in to_send]
    journal.append(sending)
    outcome.lines += sending
    results = backend.send_messages([messages[p.notification.key] for p in to_send])
    done = []
    for p, result in zip(to_send, results, strict=True):
        if not result.ok and result.pending:
            # Delivered or not, nobody knows: its ``sending`` line stays last, so the next run asks
            # delivered() first; a ``failed`` line would send it again unasked, maybe a second copy.
            outcome.rows.append(_row(p, "unknown", result.error))
            continue
        state = SENT if result.ok else FAILED
        done.append(line(p.notification.as_dict(), p.message_id, p.via, state, now, result.error))
        outcome.rows.append(_row(p, state, None if result.ok else result.error))
    journal.append(done)
    outcome.lines += done


def preview(planned: Sequence[Planned], now: datetime.datetime) -> Outcome:
    """Check mode: the rows and the ``sending`` lines a run would write; nothing sent or written."""
    outcome = Outcome()
    for p in planned:
        status = "would_send" if p.action == SEND else "would_check" if p.action == CHECK else p.action
        outcome.rows.append(_row(p, status))
        if p.action == SEND:
            outcome.lines.append(line(p.notification.as_dict(), p.message_id, p.via, SENDING, now))
    return outcome


def summary(outcome: Outcome) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in outcome.rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return counts
