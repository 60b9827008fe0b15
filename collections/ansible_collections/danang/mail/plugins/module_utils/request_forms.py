# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An agency's request as the import reads it: forms Mẫu 01 (persons) and Mẫu 02 (agency and
department mailboxes), from YAML or from the XLSX a clerk fills (R-20, R-21, R-22).

A form carries what the paper form does: the agency, the day of the request, the requester to send
the result to (R-22), and its lines. ``forms/`` in the repository holds both templates::

    form: "01"                      # persons: new, change, cancel
    agency: stttt
    received_on: 2026-12-07
    requester: {name: Trần Thị Bình, email: vanthu-stttt@danang.gov.vn, phone: "02363822123"}
    people:
      - {action: new, id: CB-2026-000001, full_name: Nguyễn Văn Bình, department: cntt, rank: 2}
      - {action: change, id: CB-2017-000103, department: thanhtra}
      - {action: cancel, id: CB-2019-000318}

    form: "02"                      # mailboxes: the agency's (no department) or a department's
    mailboxes:
      - {owner: CB-2017-000102, delegate: CB-2022-000615}
      - {department: khtc, name: Phòng Kế hoạch - Tài chính, owner: CB-2017-000104}

The XLSX form has a sheet ``Phieu`` (label, key, value: the header fields) and a sheet ``DanhSach``
(row 1 the labels, row 2 the keys, then one line per row). Both become the same mapping, checked
here for shape; names, departments and owners are checked with the edited desired state.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.desired_state_schema import (
    ABBREVIATION_PATTERN,
    PERSON_ID_PATTERN,
)
from ansible_collections.danang.mail.plugins.module_utils.model import (
    SYSTEMS,
    Problem,
    ValidationFailed,
    excerpt,
)
from ansible_collections.danang.mail.plugins.module_utils.request_tables import Sheet
from ansible_collections.danang.mail.plugins.module_utils.vietnamese import normalise_text

FORM_PERSONS, FORM_MAILBOXES, FORM_RECORDS = "01", "02", "records"
PERSON_ACTIONS = ("new", "change", "cancel")
NAME_FIELDS = ("full_name", "family_name", "middle_name", "given_name")
PERSON_FIELDS = (*NAME_FIELDS, "department", "rank", "systems")
MAILBOX_FIELDS = ("department", "name", "owner", "delegate")
REQUESTER_KEYS = ("name", "email", "phone")
_HEADER_KEYS = ("form", "agency", "received_on", "requester")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9.-]{1,253}$")
_PHONE = re.compile(r"^\+?[0-9 .-]{6,20}$")
XLSX_HEADER_SHEET, XLSX_LINES_SHEET = "Phieu", "DanhSach"


@dataclass(frozen=True)
class PersonLine:
    """One person line: ``action`` on the person ``id`` with the ``values`` the request gives."""

    action: str
    id: str
    values: dict[str, Any]
    where: str  # "people[2]" or "row 7": what the messages name


@dataclass(frozen=True)
class MailboxLine:
    """The agency's mailbox (``department`` None) or a department's; ``name`` adds a new department."""

    department: Optional[str]
    name: Optional[str]
    owner: Optional[str]
    delegate: Optional[str]
    where: str

    @property
    def holder(self) -> str:
        return "agency" if self.department is None else f"department {self.department}"


@dataclass(frozen=True)
class Request:
    form: str
    agency: str
    received_on: datetime.date
    requester: dict[str, str]
    people: tuple[PersonLine, ...] = ()
    mailboxes: tuple[MailboxLine, ...] = ()
    source: str = field(default="", compare=False)


def _text(value: Any) -> Optional[str]:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def parse_date(value: Any) -> Optional[datetime.date]:
    """A date from ``YYYY-MM-DD`` (or a date), else None."""
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    if isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}$", value.strip()):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def check_requester(raw: Any, source: str, problems: list[Problem]) -> dict[str, str]:
    """The requester the result goes to (R-22): name and e-mail required, phone optional."""
    if not isinstance(raw, dict):
        problems.append(
            Problem(source, "", "requester", "required: name, email and phone of the requester (R-22)")
        )
        return {}
    found: dict[str, str] = {}
    for key in sorted(set(raw) - set(REQUESTER_KEYS), key=str):
        problems.append(Problem(source, "", f"requester.{key}", "unknown key (allowed: name, email, phone)"))
    for key in REQUESTER_KEYS:
        value = raw.get(key)
        if value is None or value == "":
            if key != "phone":
                problems.append(
                    Problem(
                        source, "", f"requester.{key}", "required: the result goes to the requester (R-22)"
                    )
                )
            continue
        text = _text(value)
        pattern = {"email": _EMAIL, "phone": _PHONE}.get(key)
        if (
            text is None
            or len(text) > 128
            or not text.isprintable()  # a line break or control character could forge a record line
            or (pattern is not None and not pattern.match(text))
        ):
            what = {"email": "an e-mail address", "phone": 'a phone number (quote it: "0236…")'}.get(
                key, "text"
            )
            problems.append(Problem(source, "", f"requester.{key}", f"must be {what}, not {excerpt(value)}"))
            continue
        found[key] = text
    return found


def person_values(raw: dict[str, Any], source: str, where: str, problems: list[Problem]) -> dict[str, Any]:
    """The person fields a line gives, typed: names and department as text, rank an integer, systems a
    list (``"exchange, obm"`` in a cell)."""
    values: dict[str, Any] = {}
    for key in PERSON_FIELDS:
        value = raw.get(key)
        if value is None or value == "" or value == []:
            continue
        if key == "rank":
            if isinstance(value, str) and re.fullmatch(r"[0-9]{1,3}", value.strip()):
                value = int(value.strip())
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
                problems.append(
                    Problem(source, where, key, f"must be a whole number 0-100, not {excerpt(value)}")
                )
                continue
        elif key == "systems":
            if isinstance(value, str):
                value = [part.strip() for part in re.split(r"[,;\s]+", value) if part.strip()]
            if not isinstance(value, list) or not value or any(s not in SYSTEMS for s in value):
                allowed = ", ".join(SYSTEMS)
                problems.append(
                    Problem(source, where, key, f"must list some of {allowed}, not {excerpt(value)}")
                )
                continue
            value = sorted(set(value))
        elif key == "department":
            if not isinstance(value, str) or not re.match(ABBREVIATION_PATTERN, value.strip()):
                problems.append(
                    Problem(source, where, key, f"must be a department abbreviation, not {excerpt(value)}")
                )
                continue
            value = value.strip()
        elif not isinstance(value, str):
            problems.append(Problem(source, where, key, f"must be text, not {excerpt(value)}"))
            continue
        else:  # a name as the file keeps it: an export's NFD or doubled spaces are no name change
            value = normalise_text(value)
        values[key] = value
    return values


def _person_line(raw: Any, where: str, source: str, problems: list[Problem]) -> Optional[PersonLine]:
    if not isinstance(raw, dict):
        problems.append(Problem(source, where, "", "must be a mapping {action: …, id: …}"))
        return None
    before = len(problems)
    for key in sorted(set(raw) - {"action", "id", *PERSON_FIELDS}, key=str):
        problems.append(
            Problem(source, where, str(key), f"unknown key (allowed: action, id, {', '.join(PERSON_FIELDS)})")
        )
    action = raw.get("action")
    if action not in PERSON_ACTIONS:
        problems.append(
            Problem(
                source, where, "action", f"must be one of {', '.join(PERSON_ACTIONS)}, not {excerpt(action)}"
            )
        )
    person_id = raw.get("id")
    if not isinstance(person_id, str) or not re.match(PERSON_ID_PATTERN, person_id.strip()):
        problems.append(
            Problem(
                source, where, "id", f"must be the records-software code (R-72), not {excerpt(person_id)}"
            )
        )
    values = person_values(raw, source, where, problems)
    if action == "new" and not (
        {"full_name"} <= values.keys() or {"family_name", "given_name"} <= values.keys()
    ):
        problems.append(
            Problem(
                source,
                where,
                "full_name",
                "a new person needs full_name, or family_name and given_name (R-12)",
            )
        )
    elif action == "change" and not values:
        problems.append(
            Problem(source, where, "", f"a change names what changes: some of {', '.join(PERSON_FIELDS)}")
        )
    elif action == "cancel" and values:
        problems.append(Problem(source, where, next(iter(values)), "a cancel gives only the id"))
    if len(problems) > before:
        return None
    return PersonLine(action, person_id.strip(), values, where)


def _mailbox_line(raw: Any, where: str, source: str, problems: list[Problem]) -> Optional[MailboxLine]:
    if not isinstance(raw, dict):
        problems.append(Problem(source, where, "", "must be a mapping {department: …, owner: …}"))
        return None
    before = len(problems)
    for key in sorted(set(raw) - set(MAILBOX_FIELDS), key=str):
        problems.append(
            Problem(source, where, str(key), f"unknown key (allowed: {', '.join(MAILBOX_FIELDS)})")
        )
    department, name = _text(raw.get("department")), _text(raw.get("name"))
    if department is not None and not re.match(ABBREVIATION_PATTERN, department):
        problems.append(
            Problem(
                source, where, "department", f"must be a department abbreviation, not {excerpt(department)}"
            )
        )
    if department is None and raw.get("name") is not None:
        problems.append(Problem(source, where, "name", "only a new department is given a name"))
    people = {}
    for key in ("owner", "delegate"):
        value = raw.get(key)
        if (
            value is not None
            and value != ""
            and (not isinstance(value, str) or not re.match(PERSON_ID_PATTERN, value.strip()))
        ):
            problems.append(Problem(source, where, key, f"must be a person id (R-71), not {excerpt(value)}"))
        people[key] = _text(value)
    if len(problems) > before:
        return None
    return MailboxLine(department, name, people["owner"], people["delegate"], where)


def parse_form(
    data: Any, source: str, line_labels: Optional[list[str]] = None
) -> tuple[Optional[Request], list[Problem]]:
    """A form 01 or 02 from its mapping (YAML, or ``xlsx_form_data``); or every problem found.

    ``line_labels``: what messages call each line (``DanhSach row 3``); default ``people[0]``…
    """
    problems: list[Problem] = []
    if not isinstance(data, dict):
        problems.append(
            Problem(source, "", "", "a form is a mapping: form, agency, received_on, requester and its lines")
        )
        return None, problems
    form = data.get("form")
    if form not in (FORM_PERSONS, FORM_MAILBOXES):
        problems.append(
            Problem(source, "", "form", f'must be "01" (persons) or "02" (mailboxes), not {excerpt(form)}')
        )
        return None, problems
    lines_key = "people" if form == FORM_PERSONS else "mailboxes"
    for key in sorted(set(data) - {*_HEADER_KEYS, lines_key}, key=str):
        problems.append(
            Problem(
                source,
                "",
                str(key),
                f"unknown key in form {form} (allowed: {', '.join((*_HEADER_KEYS, lines_key))})",
            )
        )
    agency = data.get("agency")
    if not isinstance(agency, str) or not re.match(ABBREVIATION_PATTERN, agency):
        problems.append(
            Problem(source, "", "agency", f"must be the agency's abbreviation, not {excerpt(agency)}")
        )
    received_on = parse_date(data.get("received_on"))
    if received_on is None:
        problems.append(Problem(source, "", "received_on", "the day of the request, YYYY-MM-DD (R-13, R-22)"))
    requester = check_requester(data.get("requester"), source, problems)
    raw_lines = data.get(lines_key)
    if not isinstance(raw_lines, list) or not raw_lines:
        problems.append(Problem(source, "", lines_key, "must list at least one line"))
        raw_lines = []
    people, mailboxes = [], []
    for index, raw in enumerate(raw_lines):
        where = line_labels[index] if line_labels else f"{lines_key}[{index}]"
        if form == FORM_PERSONS:
            people.append(_person_line(raw, where, source, problems))
        else:
            mailboxes.append(_mailbox_line(raw, where, source, problems))
    if problems:
        return None, problems
    request = Request(
        form,
        agency,
        received_on,
        requester,
        tuple(p for p in people if p),
        tuple(m for m in mailboxes if m),
        source,
    )
    return request, problems


def xlsx_form_data(sheets: tuple[Sheet, ...], source: str) -> tuple[dict[str, Any], list[str]]:
    """The mapping of a filled XLSX form (sheets ``Phieu`` and ``DanhSach``) and the labels of its
    lines, for ``parse_form``. Raises ``ValidationFailed`` when it is not a form."""
    by_name = {sheet.name: sheet for sheet in sheets}
    missing = [name for name in (XLSX_HEADER_SHEET, XLSX_LINES_SHEET) if name not in by_name]
    if missing:
        message = (
            f"not a request form: no sheet {', '.join(missing)} (use forms/mau-01.xlsx or forms/mau-02.xlsx; "
            "a records-software export needs request_mapping)"
        )
        raise ValidationFailed([Problem(source, "", "", message)])
    data: dict[str, Any] = {}
    requester: dict[str, str] = {}
    for row in by_name[XLSX_HEADER_SHEET].rows[1:]:
        key, value = (*row, "", "", "")[1:3]
        if key.startswith("requester_"):
            requester[key.removeprefix("requester_")] = value
        elif key:
            data[key] = value
    data["requester"] = {k: v for k, v in requester.items() if v}
    # a spreadsheet turns a typed 01 into the number 1
    data["form"] = {"1": FORM_PERSONS, "2": FORM_MAILBOXES}.get(data.get("form", ""), data.get("form"))
    rows = by_name[XLSX_LINES_SHEET].rows
    keys = rows[1] if len(rows) > 1 else ()
    lines, labels = [], []
    for number, row in enumerate(rows[2:], start=3):
        if any(row):
            lines.append({k: v for k, v in zip(keys, row, strict=False) if k and v})
            labels.append(f"{XLSX_LINES_SHEET} row {number}")
    data["people" if data.get("form") == FORM_PERSONS else "mailboxes"] = lines
    return data, labels
