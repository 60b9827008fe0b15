# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Request records: one file per agency request under ``desired_state/requests/`` (R-20, R-21, R-22).

The import of a request (form 01, form 02 or the records software's export, R-72) writes the record
beside the agency file it edits, in the same pull request; the daily job on main reads every record
to list what is due or overdue (1 working day, R-22) and writes ``done_on`` once the request is
applied. One file per request, so two pull requests never conflict on it.

```yaml
id: 2026-12-07-stttt-1          # <received_on>-<agency>-<n>; the file is <id>.yml
form: "01"                      # "01" (persons), "02" (agency/department mailboxes) or records
agency: stttt
received_on: 2026-12-07         # the day the request arrived
due_on: 2026-12-08              # 1 working day later, Vietnamese calendar (R-22)
requester: {name: Trần Thị Bình, email: vanthu-stttt@danang.gov.vn, phone: "02363822123"}
items:
  - {action: new, id: CB-2026-000001}
  - {action: change, id: CB-2017-000101, fields: [department, rank]}
  - {action: cancel, id: CB-2019-000333}
  - {action: mailbox, holder: department/stttt/cntt}
done_on: 2026-12-08             # written by the daily job; absent until then
```
"""

from __future__ import annotations

import datetime
import json
import os
import re
from dataclasses import dataclass, field
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.desired_state_files import (
    REQUEST_FILES,
    read_tree_files,
)
from ansible_collections.danang.mail.plugins.module_utils.model import (
    DesiredState,
    Problem,
    ValidationFailed,
    excerpt,
)
from ansible_collections.danang.mail.plugins.module_utils.workdays import WorkingCalendar

REQUESTS_DIR = REQUEST_FILES.directory  # requests/
FORMS = ("01", "02", "records")
ACTIONS = ("new", "change", "cancel", "mailbox")
CHANGE_FIELDS = ("full_name", "family_name", "middle_name", "given_name", "department", "rank", "systems")
RESULT_DAYS = 1  # the result within one working day of the request
_ID = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}-[a-z][a-z0-9]*-[1-9][0-9]{0,3}$")
_HOLDER = re.compile(r"^(agency/[a-z][a-z0-9]*|department/[a-z][a-z0-9]*/[a-z][a-z0-9]*)$")
_KEYS = ("id", "form", "agency", "received_on", "due_on", "requester", "items", "done_on")
_REQUESTER_KEYS = ("name", "email", "phone")


@dataclass(frozen=True)
class Item:
    """One thing a request asks: ``action`` on a person ``id``, or a ``mailbox`` for a ``holder``."""

    action: str
    id: str = ""  # person id (new, change, cancel)
    holder: str = ""  # agency/<a> or department/<a>/<d> (mailbox)
    fields: tuple[str, ...] = ()  # change: what changed

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {"action": self.action}
        if self.id:
            found["id"] = self.id
        if self.holder:
            found["holder"] = self.holder
        if self.fields:
            found["fields"] = list(self.fields)
        return found


@dataclass(frozen=True)
class RequestRecord:
    id: str
    form: str
    agency: str
    received_on: datetime.date
    due_on: datetime.date
    requester: dict[str, str]
    items: tuple[Item, ...]
    done_on: Optional[datetime.date] = None
    source: str = field(default="", compare=False)  # the file it was read from

    @property
    def file_name(self) -> str:
        return f"{self.id}.yml"


def due_on(received_on: datetime.date, calendar: WorkingCalendar) -> datetime.date:
    """The day a request's result is due: one working day after it arrived (R-22)."""
    return calendar.add_working_days(received_on, RESULT_DAYS)


def final_through(now: datetime.datetime, cutoff: datetime.time) -> datetime.date:
    """The last request day whose addresses are final at ``now`` (the city's time, UTC+7).

    A day's requests compete by rank (R-14) until its cut-off; at the cut-off they are allocated
    together, whatever order their pull requests merged in. Before today's cut-off, yesterday.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime in the city's time zone")
    today = now.date()
    return today if now.time().replace(tzinfo=None) >= cutoff else today - datetime.timedelta(days=1)


def parse_cutoff(value: str) -> datetime.time:
    """The inventory's ``danang_mail_daily_cutoff`` ("HH:MM", city time); raises ``ValidationFailed``."""
    match = re.match(r"^([01][0-9]|2[0-3]):([0-5][0-9])$", value.strip()) if isinstance(value, str) else None
    if match is None:
        message = f'must be a time "HH:MM" (city time, UTC+7), not {excerpt(value)}'
        raise ValidationFailed([Problem("cutoff", "", "", message)])
    return datetime.time(int(match.group(1)), int(match.group(2)))


def through_date(value: Optional[str]) -> Optional[datetime.date]:
    """The modules' option ``requested_through`` as a date (None: every request is final).

    Raises ``ValidationFailed`` naming the option when it is not a date ``YYYY-MM-DD``.
    """
    if value is None or not value.strip():
        return None
    try:
        return datetime.date.fromisoformat(value.strip())
    except ValueError:
        message = f"must be a date YYYY-MM-DD, not {excerpt(value)}"
        raise ValidationFailed([Problem("requested_through", "", "", message)]) from None


def record_id(received_on: datetime.date, agency: str, taken: set[str]) -> str:
    """The first free ``<received_on>-<agency>-<n>`` not in ``taken`` (the ids of existing records)."""
    n = 1
    while f"{received_on.isoformat()}-{agency}-{n}" in taken:
        n += 1
    return f"{received_on.isoformat()}-{agency}-{n}"


def record_text(record: RequestRecord) -> str:
    """The record file's text: block keys, one flow line per item, every string JSON-quoted (a
    hostile name stays text and YAML reads it back exactly)."""

    def flow(value: dict[str, Any]) -> str:
        return "{" + ", ".join(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in value.items()) + "}"

    lines = [
        f"# Request {record.id}: written by playbooks/request.yml; the daily job adds done_on (R-22).",
        "---",
        f"id: {json.dumps(record.id)}",
        f"form: {json.dumps(record.form)}",
        f"agency: {json.dumps(record.agency)}",
        f"received_on: {record.received_on.isoformat()}",
        f"due_on: {record.due_on.isoformat()}",
        f"requester: {flow(record.requester)}",
        "items:",
        *(f"  - {flow(item.as_dict())}" for item in record.items),
    ]
    if record.done_on is not None:
        lines.append(f"done_on: {record.done_on.isoformat()}")
    return "\n".join(lines) + "\n"


def _date(value: Any) -> Optional[datetime.date]:
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _item(raw: Any, where: str, source: str, problems: list[Problem]) -> Optional[Item]:
    def problem(name: str, message: str) -> None:
        problems.append(Problem(source, where, name, message))

    if not isinstance(raw, dict):
        problem("", "must be a mapping {action: …}")
        return None
    unknown = sorted(set(raw) - {"action", "id", "holder", "fields"}, key=str)
    if unknown:
        problem(str(unknown[0]), "unknown key")
        return None
    action = raw.get("action")
    if action not in ACTIONS:
        problem("action", f"must be one of {', '.join(ACTIONS)}, not {excerpt(action)}")
        return None
    if action == "mailbox":
        holder = raw.get("holder")
        if not isinstance(holder, str) or not _HOLDER.match(holder):
            problem("holder", "must be agency/<agency> or department/<agency>/<department>")
            return None
        return Item(action, holder=holder)
    person = raw.get("id")
    if not isinstance(person, str) or not person.strip():
        problem("id", "the person's id is required")
        return None
    fields = raw.get("fields", [])
    if action == "change":
        if not isinstance(fields, list) or not fields or any(f not in CHANGE_FIELDS for f in fields):
            problem("fields", f"a change names what changed, some of: {', '.join(CHANGE_FIELDS)}")
            return None
    elif fields:
        problem("fields", "only a change names fields")
        return None
    return Item(action, id=person, fields=tuple(fields))


def parse_record(data: Any, source: str, file_name: str) -> tuple[Optional[RequestRecord], list[Problem]]:
    """A record from a file's YAML ``data`` (strict_yaml, dates as text), or the problems found."""
    problems: list[Problem] = []

    def problem(name: str, message: str) -> None:
        problems.append(Problem(source, "", name, message))

    if not isinstance(data, dict):
        problem("", "a request record is a mapping (id, form, agency, received_on, due_on, requester, items)")
        return None, problems
    for key in sorted(set(data) - set(_KEYS), key=str):
        problem(str(key), "unknown key")
    record_id_ = data.get("id")
    if not isinstance(record_id_, str) or not _ID.match(record_id_):
        problem("id", "must be <YYYY-MM-DD>-<agency>-<n>")
    elif file_name != f"{record_id_}.yml":
        problem("id", f"the file must be named {record_id_}.yml")
    if data.get("form") not in FORMS:
        problem("form", f"must be one of {', '.join(FORMS)}")
    agency = data.get("agency")
    if not isinstance(agency, str) or not re.match(r"^[a-z][a-z0-9]*$", agency):
        problem("agency", "must be an agency abbreviation")
    dates = {}
    for key in ("received_on", "due_on", "done_on"):
        if key == "done_on" and key not in data:
            continue
        dates[key] = _date(data.get(key))
        if dates[key] is None:
            problem(key, "must be a date YYYY-MM-DD")
    requester = data.get("requester")
    if not isinstance(requester, dict) or not all(isinstance(v, str) for v in requester.values()):
        problem("requester", "must be a mapping of name, email and phone (text)")
        requester = {}
    else:
        for key in sorted(set(requester) - set(_REQUESTER_KEYS), key=str):
            problem(f"requester.{key}", "unknown key")
        for key in ("name", "email"):
            if not requester.get(key, "").strip():
                problem(f"requester.{key}", "required: the result goes to the requester (R-22)")
    raw_items = data.get("items")
    items: list[Item] = []
    if not isinstance(raw_items, list) or not raw_items:
        problem("items", "must list what the request asks, at least one item")
    else:
        for index, raw in enumerate(raw_items):
            item = _item(raw, f"items[{index}]", source, problems)
            if item is not None:
                items.append(item)
    if problems:
        return None, problems
    record = RequestRecord(
        id=record_id_,
        form=data["form"],
        agency=agency,
        received_on=dates["received_on"],
        due_on=dates["due_on"],
        requester={k: requester[k] for k in _REQUESTER_KEYS if k in requester},
        items=tuple(items),
        done_on=dates.get("done_on"),
        source=source,
    )
    return record, problems


def load_records(root: str, state: DesiredState) -> tuple[RequestRecord, ...]:
    """Every record of ``<root>/requests/`` (none when the directory is absent), sorted by id and
    checked against the desired state ``state``; raises ``ValidationFailed`` with every problem.

    The files are read as the agency files are (``desired_state_files``: regular files inside the
    tree, ``strict_yaml``). A record names an agency of the tree, persons of that agency and its
    own agency's or departments' mailboxes: a record that does not describe the tree it came with
    would be closed for something that never happened.
    """
    directory = os.path.join(root, REQUESTS_DIR)
    if not os.path.lexists(directory):
        return ()
    problems: list[Problem] = []
    files, complete = read_tree_files(directory, problems, REQUEST_FILES)
    records: list[RequestRecord] = []
    for source, data in files:
        record, found = parse_record(data, source, os.path.basename(source))
        problems.extend(found)
        if record is not None:
            problems.extend(record_problems(record, state))
            records.append(record)
    if problems or not complete:
        raise ValidationFailed(problems or [Problem(directory, "", "", "the request records are incomplete")])
    return tuple(sorted(records, key=lambda r: r.id))


def record_problems(record: RequestRecord, state: DesiredState) -> list[Problem]:
    """What in ``record`` the desired state does not have (file, item, field)."""
    agency = state.find_agency(record.agency)
    if agency is None:
        return [Problem(record.source, "", "agency", f"unknown agency {excerpt(record.agency)}")]
    problems: list[Problem] = []
    people = {p.id for p in agency.people}
    for index, item in enumerate(record.items):
        where = f"items[{index}]"
        if item.action != "mailbox":
            if item.id not in people:
                message = f"{excerpt(item.id)} is not a person of agency {record.agency}"
                problems.append(Problem(record.source, where, "id", message))
            continue
        kind, owner, department = [*item.holder.split("/"), ""][:3]
        if owner != record.agency:
            message = f"{item.holder} is not a mailbox of agency {record.agency}"
            problems.append(Problem(record.source, where, "holder", message))
        elif kind == "department" and agency.find_department(department) is None:
            message = f"unknown department {excerpt(department)} of agency {record.agency}"
            problems.append(Problem(record.source, where, "holder", message))
    return problems
