# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The records software's "Cấp Email" export (R-72), CSV or XLSX, read through a column mapping.

The software's format is not published, so the centre keeps a mapping file in the inventory
(``inventories/<env>/records_mapping.yml``) that names the export's columns::

    columns:                  # the header text of each column in the export (any case)
      id: Mã hồ sơ            # the records code: the person's id (R-72)
      full_name: Họ và tên    # or family_name, middle_name, given_name
      agency: Mã cơ quan
      department: Mã phòng ban
      rank: Cấp bậc           # optional
      received_on: Ngày đề nghị
      action: Loại yêu cầu
      systems: Hệ thống       # optional
    actions: {Cấp mới: new, Thay đổi: change, Thu hồi: cancel}
    date_format: DD/MM/YYYY   # or YYYY-MM-DD; XLSX date cells are read as dates whatever it says
    agencies: {}              # optional: the export's agency text -> abbreviation
    requester: {name: Văn thư Sở Nội vụ, email: vanthu-snv@danang.gov.vn}   # the result goes there (R-22)
    sheet: ""                 # XLSX: the sheet to read (default the first)

One export may hold several agencies and days: it becomes one request per agency and request day,
each written as its own record. A name that reads as TCVN3 or VNI text refuses the whole export.
"""

from __future__ import annotations

import datetime
import re
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.desired_state_schema import ABBREVIATION_PATTERN
from ansible_collections.danang.mail.plugins.module_utils.model import Problem, ValidationFailed, excerpt
from ansible_collections.danang.mail.plugins.module_utils.request_forms import (
    FORM_RECORDS,
    NAME_FIELDS,
    PERSON_ACTIONS,
    PersonLine,
    Request,
    check_requester,
    parse_date,
    person_values,
)
from ansible_collections.danang.mail.plugins.module_utils.request_tables import Sheet, legacy_problems
from ansible_collections.danang.mail.plugins.module_utils.vietnamese import normalise_text

COLUMN_KEYS = ("id", *NAME_FIELDS, "agency", "department", "rank", "received_on", "action", "systems")
REQUIRED_COLUMNS = ("id", "agency", "received_on", "action")
_MAPPING_KEYS = ("columns", "actions", "date_format", "agencies", "requester", "sheet")
DATE_FORMATS = {"DD/MM/YYYY": "%d/%m/%Y", "YYYY-MM-DD": "%Y-%m-%d", "DD-MM-YYYY": "%d-%m-%Y"}


def _fold(text: str) -> str:
    """Header and value text compared loosely: NFC, any case, any whitespace."""
    return normalise_text(text).casefold()


class Mapping:
    """A checked mapping file (see the module docstring)."""

    def __init__(self, data: Any, source: str) -> None:
        problems: list[Problem] = []
        if not isinstance(data, dict):
            raise ValidationFailed(
                [Problem(source, "", "", "a mapping file is a mapping: columns, actions, requester")]
            )
        for key in sorted(set(data) - set(_MAPPING_KEYS), key=str):
            problems.append(
                Problem(source, "", str(key), f"unknown key (allowed: {', '.join(_MAPPING_KEYS)})")
            )
        columns = data.get("columns")
        self.columns: dict[str, str] = {}
        if not isinstance(columns, dict):
            problems.append(
                Problem(source, "", "columns", "must map each field to the export's column header")
            )
            columns = {}
        for key, header in columns.items():
            if key not in COLUMN_KEYS:
                problems.append(
                    Problem(
                        source, "", f"columns.{key}", f"unknown field (allowed: {', '.join(COLUMN_KEYS)})"
                    )
                )
            elif not isinstance(header, str) or not header.strip():
                problems.append(Problem(source, "", f"columns.{key}", "must be the column's header text"))
            else:
                self.columns[key] = _fold(header)
        for key in REQUIRED_COLUMNS:
            if columns and key not in columns:
                problems.append(Problem(source, "", f"columns.{key}", "is required"))
        if columns and "full_name" not in columns and not {"family_name", "given_name"} <= columns.keys():
            problems.append(
                Problem(
                    source,
                    "",
                    "columns.full_name",
                    "a name column is required: full_name, or family_name and given_name",
                )
            )
        actions = data.get("actions")
        self.actions: dict[str, str] = {}
        if not isinstance(actions, dict) or not actions:
            problems.append(
                Problem(
                    source,
                    "",
                    "actions",
                    f"must map the export's request kinds to {', '.join(PERSON_ACTIONS)}",
                )
            )
            actions = {}
        for text, action in actions.items():
            if not isinstance(text, str) or action not in PERSON_ACTIONS:
                problems.append(
                    Problem(
                        source,
                        "",
                        f"actions.{excerpt(text, quote=False)}",
                        f"must be one of {', '.join(PERSON_ACTIONS)}",
                    )
                )
            else:
                self.actions[_fold(text)] = action
        date_format = data.get("date_format", "YYYY-MM-DD")
        if date_format not in DATE_FORMATS:
            problems.append(Problem(source, "", "date_format", f"must be one of {', '.join(DATE_FORMATS)}"))
        self.date_format = DATE_FORMATS.get(date_format, "%Y-%m-%d")
        agencies = data.get("agencies", {}) or {}
        self.agencies: dict[str, str] = {}
        if not isinstance(agencies, dict):
            problems.append(
                Problem(source, "", "agencies", "must map the export's agency text to abbreviations")
            )
            agencies = {}
        for text, abbreviation in agencies.items():
            if (
                not isinstance(text, str)
                or not isinstance(abbreviation, str)
                or not re.match(ABBREVIATION_PATTERN, abbreviation)
            ):
                problems.append(
                    Problem(
                        source, "", f"agencies.{excerpt(text, quote=False)}", "must be an agency abbreviation"
                    )
                )
            else:
                self.agencies[_fold(text)] = abbreviation
        self.requester = check_requester(data.get("requester"), source, problems)
        sheet = data.get("sheet", "") or ""
        if not isinstance(sheet, str):
            problems.append(Problem(source, "", "sheet", "must be the sheet's name"))
            sheet = ""
        self.sheet = sheet
        if problems:
            raise ValidationFailed(problems)

    def date(self, text: str) -> Optional[datetime.date]:
        found = parse_date(text)
        if found is not None:
            return found
        try:
            return datetime.datetime.strptime(text.strip(), self.date_format).date()
        except ValueError:
            return None


def pick_sheet(sheets: tuple[Sheet, ...], mapping: Mapping, source: str) -> Sheet:
    """The export's sheet: the mapping's ``sheet``, else the first."""
    if not sheets:
        raise ValidationFailed([Problem(source, "", "", "the workbook has no visible sheet")])
    if not mapping.sheet:
        return sheets[0]
    for sheet in sheets:
        if sheet.name == mapping.sheet:
            return sheet
    names = ", ".join(excerpt(s.name) for s in sheets)
    raise ValidationFailed(
        [Problem(source, "", "", f"no sheet {excerpt(mapping.sheet)} (the workbook has {names})")]
    )


def export_requests(sheet: Sheet, mapping: Mapping, source: str) -> list[Request]:
    """The requests of an export: one per agency and request day, rows in file order. Raises
    ``ValidationFailed`` with every problem (a legacy-encoded name refuses the whole file)."""
    if not sheet.rows:
        raise ValidationFailed([Problem(source, "", "", "the export is empty")])
    header = [_fold(cell) for cell in sheet.rows[0]]
    index: dict[str, int] = {}
    problems: list[Problem] = []
    for key, wanted in mapping.columns.items():
        positions = [i for i, cell in enumerate(header) if cell == wanted]
        if len(positions) != 1:
            what = "no column" if not positions else "more than one column"
            message = f"{what} headed {excerpt(wanted)} (the mapping's columns.{key}): check the mapping file"
            problems.append(Problem(source, "row 1", "", message))
        else:
            index[key] = positions[0]
    if problems:
        raise ValidationFailed(problems)

    def cell(row: tuple[str, ...], key: str) -> str:
        position = index.get(key)
        return row[position] if position is not None and position < len(row) else ""

    rows = [(number, row) for number, row in enumerate(sheet.rows[1:], start=2) if any(row)]
    text_keys = [k for k in (*NAME_FIELDS, "department") if k in index]
    legacy = legacy_problems(((f"row {n}", k, cell(row, k)) for n, row in rows for k in text_keys), source)
    if legacy:
        raise ValidationFailed(legacy)
    groups: dict[tuple[str, datetime.date], list[PersonLine]] = {}
    for number, row in rows:
        where = f"row {number}"
        before = len(problems)
        action = mapping.actions.get(_fold(cell(row, "action")))
        if action is None:
            known = ", ".join(excerpt(k) for k in mapping.actions)
            problems.append(
                Problem(
                    source,
                    where,
                    "action",
                    f"{excerpt(cell(row, 'action'))} is not a request kind of the mapping ({known})",
                )
            )
        agency_text = cell(row, "agency")
        agency = mapping.agencies.get(_fold(agency_text), agency_text.strip())
        if not re.match(ABBREVIATION_PATTERN, agency):
            problems.append(
                Problem(
                    source,
                    where,
                    "agency",
                    f"{excerpt(agency_text)} is not an agency abbreviation (map it under agencies)",
                )
            )
        received_on = mapping.date(cell(row, "received_on"))
        if received_on is None:
            problems.append(
                Problem(
                    source,
                    where,
                    "received_on",
                    f"{excerpt(cell(row, 'received_on'))} is not a date in the mapping's date_format",
                )
            )
        raw: dict[str, Any] = {"action": action, "id": cell(row, "id")}
        if action != "cancel":  # an export repeats the whole person on every line: a cancel needs the id only
            raw.update(
                {k: cell(row, k) for k in index if k in (*NAME_FIELDS, "department", "rank", "systems")}
            )
        values = person_values(raw, source, where, problems)
        person_id = raw["id"].strip()
        if not person_id:
            problems.append(Problem(source, where, "id", "the records code is required (R-72)"))
        if action == "new" and not (
            {"full_name"} <= values.keys() or {"family_name", "given_name"} <= values.keys()
        ):
            problems.append(Problem(source, where, "full_name", "a new person needs a name (R-12)"))
        if len(problems) == before:
            groups.setdefault((agency, received_on), []).append(PersonLine(action, person_id, values, where))
    if problems:
        raise ValidationFailed(problems)
    return [
        Request(FORM_RECORDS, agency, day, mapping.requester, tuple(lines), (), source)
        for (agency, day), lines in groups.items()
    ]
