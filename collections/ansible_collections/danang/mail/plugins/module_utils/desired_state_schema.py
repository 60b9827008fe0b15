# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""JSON Schemas (draft 2020-12) of the desired-state files, as Python data.

Module utils are shipped zipped, so a data file beside them cannot be read at run time: the
schemas live here, and ``schemas/*.schema.json`` in the collection are exports of them for
editors (yaml-language-server modelines). Regenerate or check the exports with::

    PYTHONPATH=collections python -m \\
        ansible_collections.danang.mail.plugins.module_utils.desired_state_schema [--check]

A unit test asserts the committed exports equal these dicts, so they never drift.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

SCHEMA_BASE_URI = "https://example.invalid/danang/mail/schemas/"

# Local parts are ASCII; a hyphen is kept for the R-11 form <department>-<agency>, so an
# abbreviation never contains one.
ABBREVIATION_PATTERN = "^[a-z][a-z0-9]{0,31}$"
# The records software's codes (CB-2017-000123); never a "/", which the holder ids of agencies
# and departments use (model.agency_holder_id).
PERSON_ID_PATTERN = "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# Personal data needed by the password checks (R-43): never in an agency file.
PERSONAL_DATA_KEYS = frozenset(
    {"birth_date", "date_of_birth", "dob", "birthday", "phone", "phone_number", "mobile", "telephone"}
)
PERSONAL_DATA_FILE = "inventories/<env>/personal_data.vault.yml"

# Lengths the servers refuse, refused here first (Exchange DisplayName 256; AD givenName and sn 64):
# a department mailbox is displayed "<department> - <agency>", so 125 + 3 + 128 fit in 256.
DISPLAY_NAME_MAX = 256
AGENCY_NAME_MAX = 128
DEPARTMENT_NAME_MAX = DISPLAY_NAME_MAX - len(" - ") - AGENCY_NAME_MAX
NAME_PART_MAX = 64
LENGTH_CAUSES = {
    "name": (
        f" (a mailbox's display name, Exchange DisplayName, holds at most {DISPLAY_NAME_MAX}: an agency "
        f"name of {AGENCY_NAME_MAX} and a department name of {DEPARTMENT_NAME_MAX} fit "
        "'<department> - <agency>'); use the usual short form of the name"
    ),
    "full_name": f" (Exchange DisplayName holds at most {DISPLAY_NAME_MAX})",
    **dict.fromkeys(
        ("family_name", "middle_name", "given_name"),
        f" (Active Directory keeps givenName and sn, family and middle names, in {NAME_PART_MAX} each)",
    ),
}


def _text(title: str, description: str, max_length: int, **extra: Any) -> dict[str, Any]:
    return {
        "title": title,
        "description": description,
        "type": "string",
        "minLength": 1,
        "maxLength": max_length,
        **extra,
    }


def _person_ref(title: str, description: str) -> dict[str, Any]:
    return {"title": title, "description": description, "type": "string", "pattern": PERSON_ID_PATTERN}


# R-71, R-46: who may open a shared mailbox, by delegation (never with the mailbox's password).
ACCESS_PROPERTIES: dict[str, Any] = {
    "owner": _person_ref(
        "Owner",
        "Person id of the head responsible for this mailbox (R-71): an active person of this agency, "
        "with full rights on the mailbox. Only with mailbox: true.",
    ),
    "delegate": _person_ref(
        "Delegate",
        "Person id of the one person the owner delegates the mailbox to (R-71): an active person of "
        "this agency other than the owner, with the same rights. Only with mailbox: true.",
    ),
}

DEPARTMENT_SCHEMA: dict[str, Any] = {
    "title": "Department (phòng ban)",
    "description": "A department of the agency; with mailbox: true it gets a department mailbox (R-11).",
    "type": "object",
    "additionalProperties": False,
    "required": ["abbreviation", "name"],
    "properties": {
        "abbreviation": {
            "title": "Abbreviation",
            "description": (
                "Lower-case ASCII letters and digits, unique within the agency; the local part of the "
                "department mailbox (cntt@), or <abbreviation>-<agency>@ when agencies share it (R-11)."
            ),
            "type": "string",
            "pattern": ABBREVIATION_PATTERN,
            "examples": ["cntt", "thanhtra", "vanphong"],
        },
        "name": _text(
            "Name",
            (
                "Vietnamese name in Unicode (TCVN 6909, R-15): letters, digits, spaces and - , . ( ) / & ' "
                "only, starting with a letter or digit."
            ),
            DEPARTMENT_NAME_MAX,
            examples=["Phòng Công nghệ thông tin"],
        ),
        "mailbox": {
            "title": "Department mailbox",
            "description": "Whether the department has its own mailbox (R-11).",
            "type": "boolean",
            "default": False,
        },
        **ACCESS_PROPERTIES,
    },
}

PERSON_SCHEMA: dict[str, Any] = {
    "title": "Person (cán bộ, công chức)",
    "description": (
        "A civil servant with a personal mailbox (R-12, R-20). Give full_name, or the explicit parts "
        "family_name + given_name (+ middle_name); explicit parts win. Personal data for the password "
        f"checks (birth date, phone; R-43) is not kept here but in {PERSONAL_DATA_FILE} (ansible-vault)."
    ),
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "requested_on"],
    "anyOf": [{"required": ["full_name"]}, {"required": ["family_name", "given_name"]}],
    "dependentRequired": {
        "family_name": ["given_name"],
        "given_name": ["family_name"],
        "middle_name": ["family_name", "given_name"],
    },
    "properties": {
        "id": {
            "title": "Person id",
            "description": (
                "The id in the civil-servant records software (R-72), unique across the city; the "
                "ledger keys the address on it, so it never changes."
            ),
            "type": "string",
            "pattern": PERSON_ID_PATTERN,
            "examples": ["CB-2017-000123"],
        },
        "full_name": _text(
            "Full name",
            "Family, middle and given name in that order (Nguyễn Văn Dũng). Use the explicit parts "
            "when the order differs (two-word given names, Central Highlands names).",
            DISPLAY_NAME_MAX,
            examples=["Nguyễn Văn Dũng"],
        ),
        "family_name": _text(
            "Family name (họ)", "May have two words (Âu Dương).", NAME_PART_MAX, examples=["Niê"]
        ),
        "middle_name": _text(
            "Middle name (tên đệm)", "Zero or more words.", NAME_PART_MAX, examples=["Văn", "Thị Thu"]
        ),
        "given_name": _text(
            "Given name (tên)", "May have two words (Bình Minh).", NAME_PART_MAX, examples=["H'Maryam"]
        ),
        "department": {
            "title": "Department",
            "description": "Abbreviation of one of this agency's departments, or null.",
            "type": ["string", "null"],
            "pattern": ABBREVIATION_PATTERN,
        },
        "rank": {
            "title": "Leadership rank (cấp bậc, chức vụ lãnh đạo)",
            "description": (
                "A higher number is a higher rank; on a same-day collision the highest rank keeps the "
                "plain address (R-14). 0 for staff without a leadership post."
            ),
            "type": "integer",
            "minimum": 0,
            "maximum": 99,
            "default": 0,
        },
        "requested_on": {
            "title": "Requested on",
            "description": (
                "Date of the request (YYYY-MM-DD, records software or form 01, R-20); the first to request "
                "gets the plain address (R-13)."
            ),
            "type": "string",
            "format": "date",
            "pattern": DATE_PATTERN,
        },
        "state": {
            "title": "State",
            "description": (
                "active: mailbox in use; disabled: locked, address kept; removed: cancelled, the ledger "
                "keeps the address and never reissues it to anyone else (R-03)."
            ),
            "enum": ["active", "disabled", "removed"],
            "default": "active",
        },
        "systems": {
            "title": "Systems",
            "description": "Where the account exists (R-02); both by default.",
            "type": "array",
            "items": {"enum": ["exchange", "obm"]},
            "minItems": 1,
            "uniqueItems": True,
            "default": ["exchange", "obm"],
        },
    },
}

AGENCY_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_BASE_URI + "desired_state.agency.schema.json",
    "title": "Agency (cơ quan) of the Da Nang city e-mail system",
    "description": (
        "One file per agency: inventories/<env>/desired_state/agencies/<abbreviation>.yml "
        "(Decision 3712/QĐ-UBND). Loaded and checked by danang.mail.desired_state_info."
    ),
    "type": "object",
    "additionalProperties": False,
    "required": ["abbreviation", "name"],
    "properties": {
        "abbreviation": {
            "title": "Abbreviation",
            "description": (
                "Lower-case ASCII letters and digits, unique in the city and equal to the file name; the "
                "local part of the agency mailbox (stttt@, R-10)."
            ),
            "type": "string",
            "pattern": ABBREVIATION_PATTERN,
            "examples": ["stttt", "stc", "ubndhc"],
        },
        "name": _text(
            "Name",
            (
                "Vietnamese name in Unicode (TCVN 6909, R-15): letters, digits, spaces and - , . ( ) / & ' "
                "only, starting with a letter or digit."
            ),
            AGENCY_NAME_MAX,
            examples=["Sở Thông tin và Truyền thông"],
        ),
        "mailbox": {
            "title": "Agency mailbox",
            "description": "Whether the agency has an agency mailbox (R-10, R-21, R-71).",
            "type": "boolean",
            "default": True,
        },
        **ACCESS_PROPERTIES,
        "departments": {
            "title": "Departments",
            "type": "array",
            "items": {"$ref": "#/$defs/department"},
            "default": [],
        },
        "people": {
            "title": "People",
            "type": "array",
            "items": {"$ref": "#/$defs/person"},
            "default": [],
        },
    },
    "$defs": {"department": DEPARTMENT_SCHEMA, "person": PERSON_SCHEMA},
}

CITY_FILE = "city.yml"
CITY_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_BASE_URI + "desired_state.city.schema.json",
    "title": "City-wide settings of the Da Nang city e-mail system",
    "description": (
        f"inventories/<env>/desired_state/{CITY_FILE}, optional. With it, the spam-report mailbox "
        "chanthurac@ (R-51) is managed on both systems for the technical team."
    ),
    "type": "object",
    "additionalProperties": False,
    "required": ["technical_team"],
    "properties": {
        "technical_team": {
            "title": "Technical team",
            "description": "Person ids (active, any agency) who may open chanthurac@ (R-51).",
            "type": "array",
            "items": {"type": "string", "pattern": PERSON_ID_PATTERN},
            "uniqueItems": True,
        },
    },
}

LEDGER_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_BASE_URI + "ledger.schema.json",
    "title": "Ledger of every address ever issued",
    "description": (
        "inventories/<env>/desired_state/ledger.yml, written by danang.mail.address_alloc only. An "
        "address is never reissued to another holder (R-03, R-13); reissuing to the same holder after "
        "reclamation (R-23) gives back the same address."
    ),
    "type": "object",
    "required": ["addresses"],
    "properties": {
        "addresses": {
            "title": "Addresses",
            "description": "Full address (local part @ domain, R-01) to its holder.",
            "type": "object",
            "propertyNames": {"pattern": "^[a-z0-9][a-z0-9._-]*@[a-z0-9][a-z0-9.-]*$"},
            "additionalProperties": {"$ref": "#/$defs/entry"},
        },
    },
    "$defs": {
        "entry": {
            "title": "Ledger entry",
            "type": "object",
            "additionalProperties": False,
            "required": ["kind", "id", "issued_on", "status"],
            "properties": {
                "kind": {
                    "title": "Kind",
                    "description": "Holder: personal (R-12), agency (R-10) or department (R-11) mailbox.",
                    "enum": ["person", "agency", "department"],
                },
                "id": {
                    "title": "Holder id",
                    "description": "Person id, agency/<abbr> or department/<agency>/<abbr>.",
                    "type": "string",
                    "minLength": 1,
                },
                "issued_on": {
                    "title": "Issued on",
                    "type": "string",
                    "format": "date",
                    "pattern": DATE_PATTERN,
                },
                "status": {
                    "title": "Status",
                    "description": "reclaimed (R-23) and removed keep the address for the same holder.",
                    "enum": ["active", "disabled", "reclaimed", "removed"],
                },
                "reclaimed_on": {
                    "title": "Reclaimed on",
                    "description": "Status reclaimed only: the day the mailbox was reclaimed (R-23).",
                    "type": "string",
                    "format": "date",
                    "pattern": DATE_PATTERN,
                },
                "abbreviation": {
                    "title": "Abbreviation",
                    "description": "Departments only: the department's abbreviation.",
                    "type": "string",
                    "pattern": ABBREVIATION_PATTERN,
                },
                "agency": {
                    "title": "Agency",
                    "description": "Departments only: the agency's abbreviation.",
                    "type": "string",
                    "pattern": ABBREVIATION_PATTERN,
                },
            },
        },
    },
}

# Export file name (under the collection's schemas/ directory) -> schema.
EXPORTS: dict[str, dict[str, Any]] = {
    "desired_state.agency.schema.json": AGENCY_SCHEMA,
    "desired_state.city.schema.json": CITY_SCHEMA,
    "ledger.schema.json": LEDGER_SCHEMA,
}


def render(schema: dict[str, Any]) -> str:
    """The exported text: stable key order as written here, UTF-8, two-space indent."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def schemas_dir() -> Path:
    """``<collection>/schemas`` (this file is ``<collection>/plugins/module_utils/…``)."""
    return Path(__file__).resolve().parents[2] / "schemas"


def main(argv: Optional[list[str]] = None) -> int:
    """Write the exports, or with ``--check`` report the ones that differ (exit 1)."""
    args = sys.argv[1:] if argv is None else argv
    check = "--check" in args
    stale = []
    for file_name, schema in EXPORTS.items():
        target = schemas_dir() / file_name
        text = render(schema)
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        stale.append(file_name)
        if not check:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    for file_name in stale:
        sys.stdout.write(f"{'stale' if check else 'wrote'}: schemas/{file_name}\n")
    return 1 if check and stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
