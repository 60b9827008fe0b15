# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who must be told what: the notifications, from what the other runs recorded. Pure: no I/O.

- R-22: a request record with ``done_on`` -> its result (each item: the address made, the change
  done, the account cancelled, or why not done) to the requester's e-mail when it is a city address,
  else the agency mailbox.
- R-23: the reclaim run's notices (``reclaim-notices.yml``): a ``warn`` to the holder; a
  ``reclaimed`` to the agency mailbox (the holder's own mailbox now bounces every message), else the
  holder. A ``purged`` mailbox is gone: nobody is mailed.
- R-50: the forwarding run's stopped forwards (``forwards-removed.yml``) -> the holder, one message
  per holder, target and day however many ways the forward was set.
- R-44 and R-47: the password run's notices (``password-notices.yml``, ``password_notices``): the
  3-month warning to the holder, the list to the Department.

Every notification carries only what it tells: names, addresses, dates, reasons. Never a password
(``notices.check_no_secret`` guards the composition). Every recipient is a city address: what a
request or a notices file names outside the city's domains (a typo, a hand edit) is skipped, never
mailed, since a result names people and their addresses.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.forwarding import is_inside
from ansible_collections.danang.mail.plugins.module_utils.model import DesiredState, agency_holder_id
from ansible_collections.danang.mail.plugins.module_utils.notices import (
    FORWARD_REMOVED,
    PASSWORD_WARN,
    R47_LIST,
    RECLAIM_WARN,
    RECLAIMED,
    REQUEST_RESULT,
    Notification,
)
from ansible_collections.danang.mail.plugins.module_utils.request_records import RequestRecord
from ansible_collections.danang.mail.plugins.module_utils.request_status import applied


@dataclass
class Found:
    notifications: list[Notification] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)  # {key, reason}: nobody to tell

    def add(self, notification: Notification) -> None:
        self.notifications.append(notification)

    def skip(self, key: str, reason: str) -> None:
        self.skipped.append({"key": key, "reason": reason})


def _day(value: Any) -> Optional[datetime.date]:
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return None


def _address(value: Any) -> Optional[str]:
    text = str(value or "").strip().lower()
    return text if "@" in text and not any(c.isspace() for c in text) else None


def _names(state: DesiredState, holders: Mapping[str, str]) -> dict[str, str]:
    """Address -> the holder's name (persons) or the agency or department's name."""
    names: dict[str, str] = {}
    for agency in state.agencies:
        if agency.holder_id in holders:
            names[holders[agency.holder_id]] = agency.name
        for department in agency.departments:
            if department.holder_id in holders:
                names[holders[department.holder_id]] = department.name
        for person in agency.people:
            if person.id in holders:
                names[holders[person.id]] = person.name.display
    return names


def _item(item: Any, state: DesiredState, holders: Mapping[str, str]) -> dict[str, Any]:
    person = state.find_person(item.id) if item.id else None
    address = holders.get(item.holder if item.action == "mailbox" else item.id)
    done = applied(item, holders)
    return {
        "action": item.action,
        "id": item.id or item.holder,
        "name": person.name.display if person else "",
        "address": address or "",
        "fields": list(item.fields),
        "done": done,
        "reason": "" if done else "chưa có địa chỉ trong sổ địa chỉ",
    }


def request_results(
    found: Found,
    records: Iterable[RequestRecord],
    state: DesiredState,
    holders: Mapping[str, str],
    city_domains: Sequence[str],
) -> None:
    """R-22: one result per closed record."""
    for record in records:
        if record.done_on is None:
            continue
        key = f"request-result:{record.id}"
        agency = state.find_agency(record.agency)
        requester = _address(record.requester.get("email"))
        if requester and not is_inside(requester, city_domains):
            requester = None
        recipient = requester or holders.get(agency_holder_id(record.agency))
        if not recipient:
            found.skip(key, "neither the requester's e-mail nor an agency mailbox")
            continue
        context = {
            "id": record.id,
            "agency": record.agency,
            "agency_name": agency.name if agency else record.agency,
            "requester_name": record.requester.get("name", ""),
            "received_on": record.received_on.isoformat(),
            "due_on": record.due_on.isoformat(),
            "done_on": record.done_on.isoformat(),
            "items": [_item(i, state, holders) for i in record.items],
        }
        found.add(Notification(key, REQUEST_RESULT, recipient, record.done_on, context))


def reclaim_notices(found: Found, lines: Iterable[Mapping[str, Any]], names: Mapping[str, str]) -> None:
    """R-23: the reclaim run's warnings (to the holder) and reclaims (to the agency mailbox)."""
    for line in lines:
        kind, address, due = line.get("kind"), _address(line.get("address")), _day(line.get("due"))
        on = _day(line.get("recorded_on"))
        if kind not in ("warn", "reclaimed") or not address or not due or not on:
            continue
        key = f"reclaim:{address}:{kind}:{due.isoformat()}"
        recipient = address if kind == "warn" else _address(line.get("agency_address")) or address
        context = {
            "address": address,
            "name": names.get(address, ""),
            "due": due.isoformat(),
            "on": on.isoformat(),
        }
        found.add(Notification(key, RECLAIM_WARN if kind == "warn" else RECLAIMED, recipient, on, context))


def forwards_removed(found: Found, lines: Iterable[Mapping[str, Any]], names: Mapping[str, str]) -> None:
    """R-50: one message per holder, target and day, listing every way the forward was set."""
    grouped: dict[str, dict[str, Any]] = {}
    for line in lines:
        holder, target, on = (
            _address(line.get("holder")),
            str(line.get("target") or ""),
            _day(line.get("removed_on")),
        )
        if not target or not on:
            continue
        key = f"forward-removed:{holder or '(organisation)'}:{target.lower()}:{on.isoformat()}"
        if not holder:
            found.skip(key, "an organisation-wide forward has no holder to tell")
            continue
        entry = grouped.setdefault(
            key,
            {
                "holder": holder,
                "on": on,
                "context": {
                    "address": holder,
                    "name": names.get(holder, ""),
                    "target": target,
                    "removed_on": on.isoformat(),
                    "ways": [],
                },
            },
        )
        way = {
            "system": str(line.get("system") or ""),
            "how": str(line.get("how") or line.get("mechanism") or ""),
        }
        if way not in entry["context"]["ways"]:
            entry["context"]["ways"].append(way)
    for key, entry in grouped.items():
        found.add(Notification(key, FORWARD_REMOVED, entry["holder"], entry["on"], entry["context"]))


def password_notices(
    found: Found, lines: Iterable[Mapping[str, Any]], names: Mapping[str, str], department: Optional[str]
) -> None:
    """R-44 warnings to the holder; R-47 lists to the Department (``department``)."""
    for line in lines:
        key, kind, on = str(line.get("key") or ""), line.get("kind"), _day(line.get("recorded_on"))
        if not key or not on:
            continue
        if kind == PASSWORD_WARN:
            address, due = _address(line.get("address")), _day(line.get("due"))
            if address and due:
                context = {"address": address, "name": names.get(address, ""), "due": due.isoformat()}
                found.add(Notification(key, PASSWORD_WARN, address, on, context))
        elif kind == R47_LIST:
            if not department:
                found.skip(key, "no Department address (danang_mail_notify_department)")
                continue
            rows = [dict(r) for r in line.get("rows") or [] if isinstance(r, Mapping)]
            found.add(Notification(key, R47_LIST, department, on, {"on": on.isoformat(), "rows": rows}))


def gather(
    state: DesiredState,
    holders: Mapping[str, str],
    records: Iterable[RequestRecord],
    journals: Mapping[str, list[dict[str, Any]]],
    department: Optional[str],
    city_domains: Sequence[str],
) -> Found:
    """Every notification the inputs call for, by key (the first of a repeated key wins), in a
    stable order. ``journals``: ``reclaim``, ``forwards``, ``passwords`` lines (absent: none).
    A recipient outside ``city_domains`` (and their subdomains) is skipped."""
    found = Found()
    names = _names(state, holders)
    request_results(found, records, state, holders, city_domains)
    reclaim_notices(found, journals.get("reclaim", []), names)
    forwards_removed(found, journals.get("forwards", []), names)
    password_notices(found, journals.get("passwords", []), names, department)
    unique: dict[str, Notification] = {}
    for notification in found.notifications:
        if not is_inside(notification.recipient, city_domains) or "@" not in notification.recipient:
            found.skip(notification.key, f"{notification.recipient} is outside the city's domains")
            continue
        unique.setdefault(notification.key, notification)
    found.notifications = sorted(unique.values(), key=lambda n: (n.on, n.kind, n.key))
    return found
