# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load and validate ``<desired_state>/agencies/*.yml`` into a :class:`DesiredState`.

Every problem in the whole tree is collected and raised together as one ``ValidationFailed``
(ARCHITECTURE: errors are values until the edge). The loader reads only; it never writes.

Checks, in order: the files (``desired_state_files``: regular files inside the tree only), YAML
(``strict_yaml``: capped size and depth, no aliases, duplicate or merge keys), the JSON Schema
(``desired_state_schema.AGENCY_SCHEMA``), then the rules a schema cannot express: file name equal
to the abbreviation, agency abbreviations unique in the city (R-10), person ids unique across
files (the ledger keys addresses on them, R-03), department abbreviations unique within an agency
(R-11), a person's department known, and the Vietnamese text rules (R-12, R-15).
"""

from __future__ import annotations

import os
import re
import traceback
from datetime import date
from typing import Any, Optional, Union

from ansible_collections.danang.mail.plugins.module_utils.allocation import (
    BUILTIN_RESERVED,
    reserved_name_message,
)
from ansible_collections.danang.mail.plugins.module_utils.desired_state_files import (
    AGENCIES_DIR,
    AGENCY_FILES,
    AGENCY_SUFFIX,
    read_tree_files,
)
from ansible_collections.danang.mail.plugins.module_utils.desired_state_schema import (
    AGENCY_SCHEMA,
    CITY_FILE,
    CITY_SCHEMA,
    LENGTH_CAUSES,
    PERSON_ID_PATTERN,
    PERSONAL_DATA_FILE,
    PERSONAL_DATA_KEYS,
)
from ansible_collections.danang.mail.plugins.module_utils.mailbox_access import (
    access_problems,
    read_city_file,
)
from ansible_collections.danang.mail.plugins.module_utils.model import (
    PERSON_STATES,
    SYSTEMS,
    Agency,
    Department,
    DesiredState,
    Person,
    Problem,
    ValidationFailed,
    excerpt,
)
from ansible_collections.danang.mail.plugins.module_utils.strict_yaml import HAS_YAML, YAML_IMPORT_ERROR
from ansible_collections.danang.mail.plugins.module_utils.vietnamese import (
    InvalidName,
    check_vietnamese_text,
    parse_person_name,
)

try:
    from jsonschema import Draft202012Validator

    HAS_JSONSCHEMA = True
    JSONSCHEMA_IMPORT_ERROR: Optional[str] = None
except ImportError:
    HAS_JSONSCHEMA = False
    JSONSCHEMA_IMPORT_ERROR = traceback.format_exc()

NAME_FIELDS = ("full_name", "family_name", "middle_name", "given_name")

PathLike = Union[str, "os.PathLike[str]"]


class MissingLibrary(RuntimeError):
    """A Python library the loader needs is not installed; ``name`` is its pip name."""

    def __init__(self, name: str, import_traceback: Optional[str]) -> None:
        self.name = name
        self.import_traceback = import_traceback
        super().__init__(f"the Python library {name} is needed to load the desired state")


def require_libraries() -> None:
    """Raise :class:`MissingLibrary` unless PyYAML and jsonschema import (checked at the edge)."""
    if not HAS_YAML:
        raise MissingLibrary("PyYAML", YAML_IMPORT_ERROR)
    if not HAS_JSONSCHEMA:
        raise MissingLibrary("jsonschema", JSONSCHEMA_IMPORT_ERROR)


# --- Schema ----------------------------------------------------------------------------------


def _entry_label(data: Any, path: list[Any]) -> tuple[str, list[Any]]:
    """``people[3] (id CB-0042)`` and the rest of the path, for a path into an agency file."""
    if len(path) >= 2 and path[0] in ("people", "departments") and isinstance(path[1], int):
        label = f"{path[0]}[{path[1]}]"
        try:
            item = data[path[0]][path[1]]
        except (KeyError, IndexError, TypeError):
            item = None
        if isinstance(item, dict):
            key = "id" if path[0] == "people" else "abbreviation"
            if isinstance(item.get(key), str):
                label += f" ({key} {excerpt(item[key], quote=False)})"
        return label, path[2:]
    return "", path


def _field(path: list[Any]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _join(parent: str, child: str) -> str:
    return f"{parent}.{child}" if parent else child


def _schema_problems(data: Any, source: str, schema: Optional[dict[str, Any]] = None) -> list[Problem]:
    problems: list[Problem] = []
    validator = Draft202012Validator(
        schema or AGENCY_SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    value_reported: set[tuple[str, str]] = set()
    for error in validator.iter_errors(data):
        entry, rest = _entry_label(data, list(error.absolute_path))
        field = _field(rest)
        kind = error.validator
        if kind == "required":
            for name in error.validator_value:
                if isinstance(error.instance, dict) and name not in error.instance:
                    problems.append(Problem(source, entry, _join(field, name), "is required"))
        elif kind == "additionalProperties" and isinstance(error.instance, dict):
            known = error.schema.get("properties", {})
            for key in sorted(excerpt(k, quote=False) for k in error.instance if k not in known):
                if key in PERSONAL_DATA_KEYS:
                    message = (
                        "personal data must not be kept in plain git: put it in the ansible-vault file "
                        f"{PERSONAL_DATA_FILE}, keyed by person id (R-43)"
                    )
                else:
                    message = f"unknown key (allowed: {', '.join(known)})"
                problems.append(Problem(source, entry, _join(field, key), message))
        elif kind == "anyOf" and entry.startswith("people"):
            message = "a name is needed: full_name, or family_name and given_name (R-12)"
            problems.append(Problem(source, entry, field, message))
        elif kind == "dependentRequired":
            problems.append(Problem(source, entry, field, error.message))
        elif kind == "enum":
            allowed = ", ".join(str(v) for v in error.validator_value)
            problems.append(
                Problem(source, entry, field, f"must be one of {allowed}, not {excerpt(error.instance)}")
            )
        elif kind in ("pattern", "format"):
            if (entry, field) in value_reported:
                continue  # one value, one problem: a bad date fails both pattern and format
            value_reported.add((entry, field))
            if kind == "format":
                message = f"{excerpt(error.instance)} is not a date (YYYY-MM-DD)"
            else:
                message = f"{excerpt(error.instance)} is not valid: {error.schema.get('description')}"
            problems.append(Problem(source, entry, field, message))
        elif (
            kind == "type" and error.validator_value == "string" and isinstance(error.instance, (int, float))
        ):
            message = f"{excerpt(error.instance)} is read by YAML as a number: quote it"
            problems.append(Problem(source, entry, field, message))
        elif kind == "maxLength":
            message = f"has {len(error.instance)} characters; at most {error.validator_value} are allowed"
            problems.append(
                Problem(source, entry, field, message + LENGTH_CAUSES.get(str(rest[-1]) if rest else "", ""))
            )
        else:
            problems.append(Problem(source, entry, field, excerpt(error.message, limit=160, quote=False)))
    return problems


# --- Semantic checks and the model ------------------------------------------------------------


class _Tree:
    """State shared across files while loading: what was seen where, and what was found wrong."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.agency_sources: dict[str, str] = {}
        self.person_sources: dict[str, str] = {}
        self.legacy: list[tuple[Problem, str]] = []

    def text_problem(self, source: str, entry: str, err: InvalidName, field: str) -> None:
        problem = Problem(source, entry, err.field or field, err.message)  # names the encoding
        self.problems.append(problem)
        if err.legacy_encoding:
            self.legacy.append((problem, err.legacy_encoding))


def _text(tree: _Tree, value: Any, source: str, entry: str, field: str) -> Optional[str]:
    if not isinstance(value, str):
        return None  # the schema reported it
    try:
        return check_vietnamese_text(value, field)
    except InvalidName as err:
        tree.text_problem(source, entry, err, field)
        return None


def _departments(tree: _Tree, raw: Any, agency: str, source: str) -> Optional[list[Department]]:
    result: Optional[list[Department]] = []
    seen: dict[str, str] = {}
    for index, item in enumerate(raw if isinstance(raw, list) else []):
        if not isinstance(item, dict):
            result = None
            continue
        abbr = item.get("abbreviation")
        entry = f"departments[{index}]" + (
            f" (abbreviation {excerpt(abbr, quote=False)})" if isinstance(abbr, str) else ""
        )
        if isinstance(abbr, str) and abbr in seen:
            message = f"duplicate department abbreviation {excerpt(abbr)} (also {seen[abbr]}) (R-11)"
            tree.problems.append(Problem(source, entry, "abbreviation", message))
        elif isinstance(abbr, str):
            seen[abbr] = f"departments[{index}]"
        name = _text(tree, item.get("name"), source, entry, "name")
        mailbox = item.get("mailbox", False)
        if result is None or not isinstance(abbr, str) or name is None or not isinstance(mailbox, bool):
            result = None
            continue
        result.append(Department(abbr, name, mailbox, agency, *_access(item)))
    return result


def _access(item: dict[str, Any]) -> tuple[Optional[str], Optional[str]]:
    """``owner`` and ``delegate`` when well formed (the schema reports the others; mailbox_access
    checks who they are)."""
    owner, delegate = (
        v if isinstance(v, str) and re.match(PERSON_ID_PATTERN, v) else None
        for v in (item.get("owner"), item.get("delegate"))
    )
    return owner, delegate


def _person(
    tree: _Tree, item: Any, index: int, agency: str, departments: set[str], source: str
) -> Optional[Person]:
    if not isinstance(item, dict):
        return None
    person_id = item.get("id")
    entry = f"people[{index}]" + (
        f" (id {excerpt(person_id, quote=False)})" if isinstance(person_id, str) else ""
    )
    ok = True
    if isinstance(person_id, str):
        first = tree.person_sources.get(person_id)
        if first is not None:
            message = (
                f"duplicate person id {excerpt(person_id)}: also {first} (ids are unique in the city, R-72)"
            )
            tree.problems.append(Problem(source, entry, "id", message))
            ok = False
        else:
            tree.person_sources[person_id] = f"{source} {entry}"
    department = item.get("department")
    if isinstance(department, str) and department not in departments:
        known = ", ".join(sorted(departments)) or "none"
        message = f"unknown department {excerpt(department)} (this agency has: {known})"
        tree.problems.append(Problem(source, entry, "department", message))
        ok = False
    parts = {key: item[key] for key in NAME_FIELDS if isinstance(item.get(key), str)}
    explicit = {"family_name", "given_name"} <= parts.keys()
    name = None
    if explicit or parts.keys() == {"full_name"}:  # other shapes: the schema reported them
        try:
            name = parse_person_name(
                parts.get("full_name"),
                family_name=parts.get("family_name"),
                middle_name=parts.get("middle_name"),
                given_name=parts.get("given_name"),
            )
        except InvalidName as err:
            tree.text_problem(source, entry, err, "given_name" if explicit else "full_name")
        if name is not None and name.local_part in BUILTIN_RESERVED:  # the module's reserved: allocation
            field = "given_name" if explicit else "full_name"
            tree.problems.append(Problem(source, entry, field, reserved_name_message(name.local_part)))
            name = None
    try:
        requested_on = date.fromisoformat(item.get("requested_on", ""))
    except (TypeError, ValueError):
        requested_on = None  # the schema reported it
    rank = item.get("rank", 0)
    state = item.get("state", PERSON_STATES[0])
    systems = item.get("systems", list(SYSTEMS))
    valid = (
        isinstance(person_id, str)
        and name is not None
        and requested_on is not None
        and isinstance(rank, int)
        and not isinstance(rank, bool)
        and state in PERSON_STATES
        and isinstance(systems, list)
        and all(s in SYSTEMS for s in systems)
        and (department is None or isinstance(department, str))
    )
    if not (ok and valid):
        return None
    return Person(person_id, name, agency, department, rank, requested_on, state, frozenset(systems))


def _agency(tree: _Tree, data: Any, source: str, file_name: str) -> Optional[Agency]:
    if not isinstance(data, dict):
        return None  # the schema reported it
    abbr = data.get("abbreviation")
    if isinstance(abbr, str):
        expected = abbr + AGENCY_SUFFIX
        if file_name != expected:
            message = f"the file of agency {excerpt(abbr)} must be named {excerpt(expected, quote=False)}"
            tree.problems.append(Problem(source, "", "abbreviation", message))
        first = tree.agency_sources.get(abbr)
        if first is not None:
            message = f"duplicate agency abbreviation {excerpt(abbr)}: also in {first} (R-10)"
            tree.problems.append(Problem(source, "", "abbreviation", message))
        else:
            tree.agency_sources[abbr] = source
    name = _text(tree, data.get("name"), source, "", "name")
    departments = _departments(tree, data.get("departments", []), str(abbr), source)
    known = {
        d.get("abbreviation")
        for d in data.get("departments", []) or []
        if isinstance(d, dict) and isinstance(d.get("abbreviation"), str)
    }
    raw_people = data.get("people", [])
    people = [
        _person(tree, item, index, str(abbr), known, source)
        for index, item in enumerate(raw_people if isinstance(raw_people, list) else [])
    ]
    mailbox = data.get("mailbox", True)
    if not isinstance(abbr, str) or name is None or departments is None or not isinstance(mailbox, bool):
        return None
    if any(p is None for p in people):
        return None
    owner, delegate = _access(data)
    people_found = tuple(p for p in people if p)
    return Agency(abbr, name, mailbox, tuple(departments), people_found, source, owner, delegate)


def _legacy_problem(tree: _Tree, root: str) -> Problem:
    encodings = sorted({encoding for _problem, encoding in tree.legacy})
    first = tree.legacy[0][0]
    where = " ".join(part for part in (first.source, first.entry, first.field) if part)
    message = (
        f"the whole import is refused: {len(tree.legacy)} name(s) look like legacy {'/'.join(encodings)} "
        f"text (first: {where}). Legacy-encoded text can also read as valid Vietnamese, so once one name "
        "comes from a legacy export every name in the tree is suspect: convert the export to Unicode "
        "(TCVN 6909) and import it again (R-15)"
    )
    return Problem(root, "", "", message)


def load_desired_state(path: PathLike) -> DesiredState:
    """Read and check ``<path>/agencies/*.yml``; raise ``ValidationFailed`` with every problem.

    Raises :class:`MissingLibrary` when PyYAML or jsonschema is not installed.
    """
    require_libraries()
    root = os.fspath(path)
    tree = _Tree()
    if not os.path.lexists(os.path.join(root, AGENCIES_DIR)):
        message = f"no {AGENCIES_DIR}/ directory: the desired state is {AGENCIES_DIR}/<abbreviation>.yml"
        raise ValidationFailed([Problem(root, "", "", message)])
    agencies: list[Agency] = []
    files, complete = read_tree_files(os.path.join(root, AGENCIES_DIR), tree.problems, AGENCY_FILES)
    for source, data in files:
        tree.problems.extend(_schema_problems(data, source))
        agency = _agency(tree, data, source, os.path.basename(source))
        if agency is None:
            complete = False
        else:
            agencies.append(agency)
    city_source, city = read_city_file(root, CITY_FILE, tree.problems)
    technical_team: Optional[tuple[str, ...]] = None
    if city_source is not None:
        complete = complete and city is not None
        tree.problems.extend(_schema_problems(city, city_source, CITY_SCHEMA) if city is not None else [])
        team = city.get("technical_team") if isinstance(city, dict) else None
        technical_team = tuple(t for t in team if isinstance(t, str)) if isinstance(team, list) else ()
    if complete:  # owners are looked up among every agency's people: only once all were read
        tree.problems.extend(access_problems(agencies, technical_team, city_source))
    if tree.legacy:
        tree.problems.append(_legacy_problem(tree, root))
    if tree.problems or not complete:  # never a partial model: something unread is a problem
        raise ValidationFailed(tree.problems or [Problem(root, "", "", "the desired state is incomplete")])
    return DesiredState(tuple(sorted(agencies, key=lambda a: a.abbreviation)), technical_team)
