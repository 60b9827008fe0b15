# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Import a request into the desired state: read → check → edit → validate the edited tree → record.

``request_files.read_request`` turns a file into requests. ``plan_import`` checks each
against the tree and edits the agency files in memory (``agency_edit``), validates the whole edited
tree with the desired-state loader, and writes the request records (``request_records``); nothing
is written to disk until ``write_files``. Any problem anywhere refuses the whole import.

A request already imported (a record with the same form, agency, day and lines) is not imported
again: it is reported as a duplicate of that record and nothing changes, so running the import
twice is harmless.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils import strict_yaml
from ansible_collections.danang.mail.plugins.module_utils.agency_edit import AgencyDocument
from ansible_collections.danang.mail.plugins.module_utils.desired_state import load_desired_state
from ansible_collections.danang.mail.plugins.module_utils.desired_state_files import AGENCIES_DIR
from ansible_collections.danang.mail.plugins.module_utils.desired_state_schema import CITY_FILE
from ansible_collections.danang.mail.plugins.module_utils.ledger_file import write_text_atomically
from ansible_collections.danang.mail.plugins.module_utils.model import (
    DesiredState,
    Problem,
    ValidationFailed,
    agency_holder_id,
    department_holder_id,
    excerpt,
)
from ansible_collections.danang.mail.plugins.module_utils.request_files import read_file
from ansible_collections.danang.mail.plugins.module_utils.request_forms import Request
from ansible_collections.danang.mail.plugins.module_utils.request_records import (
    REQUESTS_DIR,
    Item,
    RequestRecord,
    due_on,
    parse_record,
    record_id,
    record_text,
)
from ansible_collections.danang.mail.plugins.module_utils.workdays import WorkingCalendar


@dataclass
class ImportPlan:
    """What an import changes: ``files`` maps each path to ``(before, after)`` (before None: new)."""

    records: list[RequestRecord] = field(default_factory=list)
    files: dict[str, tuple[Optional[str], str]] = field(default_factory=dict)
    duplicates: list[str] = field(default_factory=list)  # ids of records a request was already imported as
    state: Optional[DesiredState] = None  # the edited tree
    requests: list[Request] = field(default_factory=list)  # those imported (duplicates left out)


def _fingerprint(form: str, agency: str, day: Any, items: list[tuple[str, str]]) -> tuple[Any, ...]:
    return (form, agency, day, tuple(sorted(items)))


def _request_lines(request: Request) -> list[tuple[str, str]]:
    lines = [(p.action, p.id) for p in request.people]
    lines += [("mailbox", _holder(request.agency, m.department)) for m in request.mailboxes]
    return lines


def _holder(agency: str, department: Optional[str]) -> str:
    return agency_holder_id(agency) if department is None else department_holder_id(agency, department)


def existing_records(root: str) -> list[RequestRecord]:
    """The records already in ``<root>/requests/`` (a bad one refuses the import: main must be valid)."""
    directory = os.path.join(root, REQUESTS_DIR)
    if not os.path.lexists(directory):
        return []
    if os.path.islink(directory) or not os.path.isdir(directory):
        raise ValidationFailed(
            [Problem(directory, "", "", "must be a directory inside the tree, not a link")]
        )
    records, problems = [], []
    for name in sorted(os.listdir(directory)):
        if name in (".gitkeep", ".keep"):
            continue
        source = os.path.join(directory, name)
        try:
            data = strict_yaml.load_file(source, source, max_bytes=strict_yaml.FILE_MAX_BYTES, dates=False)
        except ValidationFailed as exc:
            problems.extend(exc.problems)
            continue
        record, found = parse_record(data, source, name)
        problems.extend(found)
        if record is not None:
            records.append(record)
    if problems:
        raise ValidationFailed(problems)
    return records


class _Importer:
    """One import's state: the tree as it is, the documents being edited, the problems found."""

    def __init__(self, root: str, state: DesiredState) -> None:
        self.root = root
        self.state = state
        self.documents: dict[str, AgencyDocument] = {}
        self.problems: list[Problem] = []
        self.lines: dict[str, str] = {}  # person id -> the line of this import that names it

    def document(self, source: str) -> AgencyDocument:
        if source not in self.documents:
            self.documents[source] = AgencyDocument(strict_yaml.decode(read_file(source), source), source)
        return self.documents[source]

    def problem(self, request: Request, where: str, name: str, message: str) -> None:
        self.problems.append(Problem(request.source, where, name, message))

    def person_lines(self, request: Request, document: AgencyDocument) -> list[Item]:
        agency = self.state.find_agency(request.agency)
        departments = {d.abbreviation for d in agency.departments}
        items = []
        for line in request.people:
            if line.id in self.lines:  # one line per person: a second would act on a half-edited entry
                message = f"{excerpt(line.id)} is named twice in this import (also {self.lines[line.id]})"
                self.problem(request, line.where, "id", message)
                continue
            self.lines[line.id] = f"{request.source} {line.where}"
            person = self.state.find_person(line.id)
            department = line.values.get("department")
            if department is not None and department not in departments:
                known = ", ".join(sorted(departments)) or "none"
                self.problem(
                    request,
                    line.where,
                    "department",
                    f"unknown department {excerpt(department)} in {request.agency} (it has: {known}); "
                    "a form 02 adds one",
                )
                continue
            if line.action == "new":
                if person is not None:
                    message = (
                        f"the records code {excerpt(line.id)} is already used by {person.agency}'s "
                        f"{person.name.display} (ids are unique in the city, R-72): a change or cancel, "
                        "not a new entry"
                    )
                    self.problem(request, line.where, "id", message)
                    continue
                document.add_person(line.id, line.values, request.received_on)
                items.append(Item("new", id=line.id))
                continue
            if person is None:
                self.problem(
                    request,
                    line.where,
                    "id",
                    f"unknown person {excerpt(line.id)}: no agency file lists this records code, so there is "
                    f"nothing to {line.action}",
                )
                continue
            if person.agency != request.agency:
                self.problem(
                    request,
                    line.where,
                    "id",
                    f"{excerpt(line.id)} belongs to agency {person.agency}, not {request.agency}: that "
                    "agency's request changes it",
                )
                continue
            if person.state == "removed":
                self.problem(
                    request,
                    line.where,
                    "id",
                    f"{excerpt(line.id)} was removed already (state: removed): nothing to {line.action}",
                )
                continue
            if line.action == "cancel":
                document.cancel_person(line.id)
                items.append(Item("cancel", id=line.id))
                continue
            fields = document.change_person(line.id, line.values)
            if not fields:
                self.problem(
                    request,
                    line.where,
                    "",
                    f"nothing to change: {os.path.basename(document.source)} already says so for "
                    f"{excerpt(line.id)}",
                )
                continue
            items.append(Item("change", id=line.id, fields=tuple(fields)))
        return items

    def mailbox_lines(self, request: Request, document: AgencyDocument) -> list[Item]:
        items = []
        for line in request.mailboxes:
            holder = _holder(request.agency, line.department)
            if line.department is not None and document.department(line.department) is None:
                if not line.name:
                    self.problem(
                        request,
                        line.where,
                        "department",
                        f"unknown department {excerpt(line.department)} in {request.agency}: "
                        "give its name to add it",
                    )
                    continue
                document.add_department(line.department, line.name, line.owner, line.delegate)
                items.append(Item("mailbox", holder=holder))
                continue
            if line.name:
                self.problem(
                    request,
                    line.where,
                    "name",
                    f"department {excerpt(line.department)} exists already: a name only goes with a new one",
                )
                continue
            if not document.set_mailbox(line.department, line.owner, line.delegate):
                self.problem(
                    request,
                    line.where,
                    "",
                    f"nothing to change: the {line.holder} mailbox already exists with this owner and "
                    "delegate",
                )
                continue
            items.append(Item("mailbox", holder=holder))
        return items


def _validate_edited(root: str, state: DesiredState, texts: dict[str, str]) -> DesiredState:
    """The edited tree loaded by the desired-state loader, from a private copy; problems name the
    real files."""
    with tempfile.TemporaryDirectory(prefix="danang-request-") as copy:
        os.mkdir(os.path.join(copy, AGENCIES_DIR))
        for agency in state.agencies:
            name = os.path.basename(agency.source)
            text = texts.get(agency.source)
            if text is None:
                data = read_file(agency.source, strict_yaml.FILE_MAX_BYTES)
            else:
                data = text.encode("utf-8")
            with open(os.path.join(copy, AGENCIES_DIR, name), "wb") as handle:
                handle.write(data)
        city = os.path.join(root, CITY_FILE)
        if os.path.lexists(city):
            with open(os.path.join(copy, CITY_FILE), "wb") as handle:
                handle.write(read_file(city, strict_yaml.FILE_MAX_BYTES))
        try:
            return load_desired_state(copy)
        except ValidationFailed as exc:
            raise ValidationFailed(
                [
                    Problem(
                        p.source.replace(copy, root, 1), p.entry, p.field, p.message + " (after the edit)"
                    )
                    for p in exc.problems
                ]
            ) from None


def plan_import(root: str, requests: list[Request], calendar: WorkingCalendar) -> ImportPlan:
    """Check ``requests`` against the tree at ``root`` and edit in memory; raises ``ValidationFailed``."""
    state = load_desired_state(root)
    records = existing_records(root)
    taken = {record.id for record in records}
    seen = {
        _fingerprint(r.form, r.agency, r.received_on, [(i.action, i.id or i.holder) for i in r.items]): r.id
        for r in records
    }
    importer = _Importer(root, state)
    plan = ImportPlan()
    for request in requests:
        agency = state.find_agency(request.agency)
        if agency is None:
            message = (
                f"no agency {excerpt(request.agency)} in {AGENCIES_DIR}/: a new agency's file is added by "
                "the Department (R-70)"
            )
            importer.problem(request, "", "agency", message)
            continue
        duplicate = seen.get(
            _fingerprint(request.form, request.agency, request.received_on, _request_lines(request))
        )
        if duplicate is not None:
            plan.duplicates.append(duplicate)
            continue
        try:
            document = importer.document(agency.source)
        except ValidationFailed as exc:
            importer.problems.extend(exc.problems)
            continue
        items = importer.person_lines(request, document) + importer.mailbox_lines(request, document)
        if not items:
            continue
        new_id = record_id(request.received_on, request.agency, taken)
        taken.add(new_id)
        record = RequestRecord(
            new_id,
            request.form,
            request.agency,
            request.received_on,
            due_on(request.received_on, calendar),
            request.requester,
            tuple(items),
        )
        plan.records.append(record)
        plan.requests.append(request)
    if importer.problems:
        raise ValidationFailed(importer.problems)
    texts = {source: document.text() for source, document in importer.documents.items() if document.changed}
    plan.state = _validate_edited(root, state, texts) if texts else state
    for source, text in texts.items():
        plan.files[source] = (importer.documents[source].original, text)
    for record in plan.records:
        path = os.path.join(root, REQUESTS_DIR, record.file_name)
        text = record_text(record)
        reread, problems = parse_record(
            strict_yaml.parse(text, path, dates=False, max_chars=strict_yaml.FILE_MAX_BYTES),
            path,
            record.file_name,
        )
        if reread is None or reread != record:  # the record must read back as written
            raise ValidationFailed(
                problems or [Problem(path, "", "", "the record does not read back as written")]
            )
        plan.files[path] = (None, text)
    return plan


def write_files(plan: ImportPlan) -> None:
    """Write the plan's files: agency files replaced atomically, records created (never overwritten).

    Every file is checked before any is written: one changed meanwhile (another import, an editor)
    refuses the whole write rather than leaving half an import behind.
    """
    problems = []
    for path, (before, _after) in plan.files.items():
        directory = os.path.dirname(path)
        if before is None:
            if os.path.islink(directory):
                problems.append(Problem(directory, "", "", "must be a directory inside the tree, not a link"))
            elif os.path.lexists(path):
                problems.append(Problem(path, "", "", "exists already: another import wrote it; run again"))
        elif strict_yaml.decode(read_file(path), path) != before:
            problems.append(Problem(path, "", "", "changed while the import ran: run it again"))
    if problems:
        raise ValidationFailed(problems)
    for path, (_before, after) in plan.files.items():
        os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
        write_text_atomically(path, after)
