# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Markdown summary of an import, for the pull request's description (R-20, R-22).

Per record: the request (form, agency, day received, due day, requester) and one table row per
item with what each system will do and the address. Addresses a request brings are computed by
``allocation.allocate`` on the ledger without writing it, and marked **provisional**: they become
final only at the daily cut-off on main, where every request of the day competes by rank (R-14).
Every value goes through ``escaping.markdown_cell``; no password is ever part of it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from ansible_collections.danang.mail.plugins.module_utils.allocation import AllocationResult, allocate
from ansible_collections.danang.mail.plugins.module_utils.escaping import markdown_cell
from ansible_collections.danang.mail.plugins.module_utils.ledger import LedgerEntry
from ansible_collections.danang.mail.plugins.module_utils.model import SYSTEMS, DesiredState, address_requests
from ansible_collections.danang.mail.plugins.module_utils.request_import import ImportPlan
from ansible_collections.danang.mail.plugins.module_utils.request_records import Item, RequestRecord

FORM_NAMES = {
    "01": "Mẫu 01 (persons)",
    "02": "Mẫu 02 (mailboxes)",
    "records": "records software export (R-72)",
}
_DO = {
    "new": "create",
    "change": "update",
    "cancel": "disable (state removed)",
    "mailbox": "create or update",
}


def provisional_addresses(
    state: DesiredState,
    ledger_entries: Iterable[LedgerEntry],
    *,
    domain: str,
    reserved: Iterable[str],
    today: datetime.date,
) -> AllocationResult:
    """Every address of the edited tree as allocation would give it now; the ledger is not written."""
    return allocate(address_requests(state), ledger_entries, domain=domain, reserved=reserved, today=today)


def _who(item: Item, state: DesiredState) -> tuple[str, tuple[str, ...]]:
    if item.action == "mailbox":
        return item.holder, SYSTEMS
    person = state.find_person(item.id)
    if person is None:  # cannot happen after validation; say so rather than guess
        return item.id, ()
    details = ", ".join(
        part for part in (person.department or "", f"rank {person.rank}" if person.rank else "") if part
    )
    who = f"{item.id} {person.name.display}" + (f" ({details})" if details else "")
    return who, tuple(sorted(person.systems))


def _address(item: Item, allocation: AllocationResult, issued: set[str], held: dict[str, str]) -> str:
    key = item.holder or item.id
    address = allocation.addresses.get(key) or held.get(key)  # a removed person is no request: the ledger
    if address is None:
        return "none (removed before it got one)"
    if key in issued:
        return f"{address} (provisional)"
    return f"{address} (kept; the ledger never reissues it)" if item.action == "cancel" else address


def record_markdown(
    record: RequestRecord, state: DesiredState, allocation: AllocationResult, held: dict[str, str]
) -> str:
    """One record's section; ``held``: holder id -> address, from the ledger."""
    issued = {entry["id"] for entry in allocation.allocated}
    requester = ", ".join(record.requester[k] for k in ("name", "email", "phone") if k in record.requester)
    lines = [
        f"### Request {markdown_cell(record.id)}",
        "",
        f"- form: {markdown_cell(FORM_NAMES.get(record.form, record.form))}; "
        f"agency: {markdown_cell(record.agency)}",
        f"- received {record.received_on.isoformat()}, "
        f"result due {record.due_on.isoformat()} (1 working day, R-22)",
        f"- requester (the result goes to): {markdown_cell(requester)}",
        "",
        "| action | who | change | systems | address |",
        "|---|---|---|---|---|",
    ]
    for item in record.items:
        who, systems = _who(item, state)
        change = ", ".join(item.fields) if item.fields else ""
        on = f"{_DO[item.action]} on {', '.join(systems)}" if systems else ""
        cells = (item.action, who, change, on, _address(item, allocation, issued, held))
        lines.append("| " + " | ".join(markdown_cell(cell) for cell in cells) + " |")
    return "\n".join(lines)


def summary_markdown(
    plan: ImportPlan, allocation: AllocationResult, held: dict[str, str], files: Iterable[str]
) -> str:
    """The whole import as Markdown (also when it changes nothing: then it says so)."""
    lines = ["## Request import", ""]
    if plan.duplicates:
        ids = ", ".join(markdown_cell(d) for d in plan.duplicates)
        lines += [f"Already imported as {ids}: nothing changes for it.", ""]
    for record in plan.records:
        lines += [record_markdown(record, plan.state, allocation, held), ""]
    if plan.records:
        lines += [
            "Addresses marked provisional are what the ledger would give today. They become final at the "
            "daily cut-off on main, where every request of the same day competes by rank (R-13, R-14), "
            "whatever order the pull requests merge in.",
            "",
            "Files: " + ", ".join(markdown_cell(f) for f in files),
            "",
        ]
    return "\n".join(lines)
