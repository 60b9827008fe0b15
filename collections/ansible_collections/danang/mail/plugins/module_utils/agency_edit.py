# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Edit an agency file the way a careful person would: only the lines a request changes.

The file is read and written with ruamel.yaml's round-trip mode, so comments, key order, quoting,
flow or block style and blank lines stay as they are. A file whose unchanged round trip is not
byte for byte the file itself (an unusual layout) is refused rather than reformatted. Edits:

- a new person: a new entry at the end of ``people`` (R-20); the request day is ``requested_on``;
- a change: only the fields whose value differs are written (R-21);
- a cancel: ``state: removed``; the entry is never deleted, so the ledger keeps the address (R-03);
- a mailbox: ``mailbox: true`` plus ``owner`` / ``delegate`` when given (R-10, R-11, R-71); a
  department the file does not have is added, one line, when the request names it.

A key added to a mapping goes where the schema's order puts it; a comment that stood before the next
line stays before it (ruamel attaches it to the key above, so it is moved onto the new key).
"""

from __future__ import annotations

import datetime
import io
import traceback
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.model import Problem, ValidationFailed

try:
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.error import YAMLError
    from ruamel.yaml.tokens import CommentToken

    HAS_RUAMEL = True
    RUAMEL_IMPORT_ERROR: Optional[str] = None
except ImportError:  # the module reports it with missing_required_lib('ruamel.yaml')
    HAS_RUAMEL = False
    RUAMEL_IMPORT_ERROR = traceback.format_exc()

AGENCY_KEYS = ("abbreviation", "name", "mailbox", "owner", "delegate", "departments", "people")
DEPARTMENT_KEYS = ("abbreviation", "name", "mailbox", "owner", "delegate")
PERSON_KEYS = (
    "id",
    "full_name",
    "family_name",
    "middle_name",
    "given_name",
    "department",
    "rank",
    "requested_on",
    "state",
    "systems",
)
# (mapping indent, sequence indent, dash offset) tried in turn: the first that gives the file back
# byte for byte is the file's own.
_INDENTS = ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 6, 4), (4, 4, 0))
_WIDTH = 4096  # never fold a long line


def _yaml(indent: tuple[int, int, int]) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = _WIDTH
    yaml.indent(mapping=indent[0], sequence=indent[1], offset=indent[2])
    return yaml


def _split_header(text: str) -> tuple[str, str]:
    """The lines up to the document start ``---`` (the schema modeline), kept verbatim, and the rest."""
    lines = text.splitlines(keepends=True)
    for number, line in enumerate(lines):
        if line.rstrip("\r\n") == "---":
            return "".join(lines[: number + 1]), "".join(lines[number + 1 :])
        if line.strip() and not line.lstrip().startswith("#"):
            break
    return "", text


def _move_following_comment(source: Any, source_key: Any, target: Any, target_key: Any) -> None:
    """Comment lines after ``source_key``'s line go with ``target_key`` of ``target`` (the end-of-line
    comment stays where it is)."""
    entry = source.ca.items.get(source_key)
    token = entry[2] if entry and len(entry) > 2 else None
    if token is None:
        return
    first, newline, rest = token.value.partition("\n")
    if not rest:
        return
    entry[2] = CommentToken(first + newline, token.start_mark, None) if first.strip() else None
    target.ca.items.setdefault(target_key, [None, None, None, None])[2] = CommentToken(
        "\n" + rest, token.start_mark, None
    )


def _last_key(mapping: Any) -> Any:
    keys = list(mapping.keys())
    return keys[-1] if keys else None


def set_key(mapping: Any, key: str, value: Any, order: tuple[str, ...]) -> None:
    """Set ``key``: in place when present, else inserted after the keys ``order`` puts before it."""
    if key in mapping:
        mapping[key] = value
        return
    before = [k for k in order[: order.index(key)] if k in mapping]
    after_key = before[-1] if before else None
    position = list(mapping.keys()).index(after_key) + 1 if after_key is not None else 0
    mapping.insert(position, key, value)
    if after_key is not None:
        _move_following_comment(mapping, after_key, mapping, key)


def append_item(sequence: Any, item: Any) -> None:
    """Append ``item``; a comment after the old last item stays after the list's items."""
    if len(sequence) and isinstance(sequence[-1], CommentedMap) and len(item):
        last = sequence[-1]
        _move_following_comment(last, _last_key(last), item, _last_key(item))
    sequence.append(item)


class AgencyDocument:
    """One agency file, loaded for round-trip edits. Raises ``ValidationFailed`` when it cannot be
    edited without changing lines the request does not touch."""

    def __init__(self, text: str, source: str) -> None:
        if not HAS_RUAMEL:
            raise RuntimeError("the Python library ruamel.yaml is needed to edit agency files")
        self.source = source
        self.original = text
        self._header, body = _split_header(text)
        for indent in _INDENTS:
            yaml = _yaml(indent)
            try:
                data = yaml.load(body)
            except YAMLError:
                break
            if isinstance(data, CommentedMap) and self._dump(yaml, data) == body:
                self._yaml, self.data = yaml, data
                return
        message = (
            "cannot be edited without reformatting it (its layout does not read back the same): edit it by "
            "hand, or reformat it once in its own pull request"
        )
        raise ValidationFailed([Problem(source, "", "", message)])

    @staticmethod
    def _dump(yaml: YAML, data: Any) -> str:
        out = io.StringIO()
        yaml.dump(data, out)
        return out.getvalue()

    def text(self) -> str:
        return self._header + self._dump(self._yaml, self.data)

    @property
    def changed(self) -> bool:
        return self.text() != self.original

    # --- people ---------------------------------------------------------------------------------

    def _people(self) -> Any:
        people = self.data.get("people")
        if not isinstance(people, CommentedSeq) or (not people and people.fa.flow_style()):
            people = CommentedSeq()
            set_key(self.data, "people", people, AGENCY_KEYS)
        return people

    def person(self, person_id: str) -> Optional[Any]:
        people = self.data.get("people")
        for entry in people if isinstance(people, list) else []:
            if isinstance(entry, dict) and entry.get("id") == person_id:
                return entry
        return None

    def add_person(self, person_id: str, values: dict[str, Any], requested_on: datetime.date) -> None:
        entry = CommentedMap()
        entry["id"] = person_id
        for key in PERSON_KEYS[1:]:
            if key == "requested_on":
                entry[key] = requested_on
            elif key == "systems" and key in values:
                entry[key] = _flow_list(values[key])
            elif key in values:
                entry[key] = values[key]
        append_item(self._people(), entry)

    def change_person(self, person_id: str, values: dict[str, Any]) -> list[str]:
        """Write the fields of ``values`` that differ; return their names (empty: nothing differs)."""
        entry = self.person(person_id)
        changed = []
        for key in PERSON_KEYS:
            if key not in values:
                continue
            value = values[key]
            current = entry.get(key)
            if key == "systems":
                if sorted(current or ["exchange", "obm"]) == value:
                    continue
                value = _flow_list(value)
            elif current == value or (key == "rank" and current is None and value == 0):
                continue
            set_key(entry, key, value, PERSON_KEYS)
            changed.append(key)
        return changed

    def cancel_person(self, person_id: str) -> None:
        set_key(self.person(person_id), "state", "removed", PERSON_KEYS)

    # --- mailboxes ------------------------------------------------------------------------------

    def department(self, abbreviation: str) -> Optional[Any]:
        departments = self.data.get("departments")
        for entry in departments if isinstance(departments, list) else []:
            if isinstance(entry, dict) and entry.get("abbreviation") == abbreviation:
                return entry
        return None

    def add_department(
        self, abbreviation: str, name: str, owner: Optional[str], delegate: Optional[str]
    ) -> None:
        entry = CommentedMap([("abbreviation", abbreviation), ("name", name), ("mailbox", True)])
        for key, value in (("owner", owner), ("delegate", delegate)):
            if value:
                entry[key] = value
        entry.fa.set_flow_style()  # one line, like the short departments of the lab's files
        departments = self.data.get("departments")
        if not isinstance(departments, CommentedSeq) or (not departments and departments.fa.flow_style()):
            departments = CommentedSeq()
            set_key(self.data, "departments", departments, AGENCY_KEYS)
        departments.append(entry)

    def set_mailbox(
        self, department: Optional[str], owner: Optional[str], delegate: Optional[str]
    ) -> list[str]:
        """``mailbox: true`` and the given owner / delegate on the agency or a department it has;
        returns the keys written (empty: it already says so)."""
        if department is None:
            target, order, default = self.data, AGENCY_KEYS, True
        else:
            target, order, default = self.department(department), DEPARTMENT_KEYS, False
        changed = []
        if target.get("mailbox", default) is not True:
            set_key(target, "mailbox", True, order)
            changed.append("mailbox")
        for key, value in (("owner", owner), ("delegate", delegate)):
            if value and target.get(key) != value:
                set_key(target, key, value, order)
                changed.append(key)
        return changed


def _flow_list(values: list[str]) -> Any:
    seq = CommentedSeq(values)
    seq.fa.set_flow_style()
    return seq
