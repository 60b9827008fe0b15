# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Personal data for the password checks (R-43): birth dates and phone numbers, keyed by person id.

They never sit in plain git (agency files refuse them): they come from the environment's
``personal_data.vault.yml``, which the action plugins decrypt in memory and hand to the modules as
the no_log option ``personal_data``. Format (YAML inside the vault)::

    CB-2017-000101: {birth_date: 1985-04-12, phone: "0905123456"}
    CB-2017-000102: {birth_date: 1990-01-31}

Both fields are optional; no other field is accepted. Problems name the file, the entry and the
field, and never quote a value (messages may be logged).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.model import Problem

FIELDS = ("birth_date", "phone")
# The options the action plugin of a module that issues passwords (mailbox, password_policy) fills
# (personal_data) or takes out before the module runs: accepted so that the spec matches the docs
# (the danang.mail.credentials doc fragment).
ACTION_PLUGIN_SPEC: dict[str, Any] = {
    "personal_data": {"type": "dict", "default": {}, "no_log": True},
    "personal_data_file": {"type": "path"},
    "credentials_file": {"type": "path"},
    "credentials_vault_id": {"type": "str"},
}
_PHONE = re.compile(r"^\+?[0-9][0-9 .\-/()]{5,19}$")


@dataclass(frozen=True)
class PersonalData:
    birth_date: Optional[datetime.date] = None
    phone: Optional[str] = None

    def as_option(self) -> dict[str, str]:
        """The JSON-safe form the action plugins pass to the modules."""
        found = {}
        if self.birth_date is not None:
            found["birth_date"] = self.birth_date.isoformat()
        if self.phone is not None:
            found["phone"] = self.phone
        return found


def _birth_date(value: Any) -> Optional[datetime.date]:
    if isinstance(value, datetime.datetime):
        return None
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def parse_personal_data(data: Any, source: str) -> tuple[dict[str, PersonalData], list[Problem]]:
    """The personal data of ``data`` (the decrypted file, or the modules' option) by person id, and
    the problems found; ``source`` names the file in them."""
    if data is None:
        return {}, []
    if not isinstance(data, Mapping):
        return {}, [Problem(source, "", "", "must map person ids to {birth_date, phone}")]
    found: dict[str, PersonalData] = {}
    problems: list[Problem] = []
    for holder, entry in data.items():
        name = str(holder)
        if not isinstance(holder, str) or not holder.strip():
            problems.append(Problem(source, name, "", "the key must be a person id (quote it)"))
            continue
        if not isinstance(entry, Mapping):
            problems.append(Problem(source, name, "", "must be a mapping with birth_date and/or phone"))
            continue
        unknown = sorted(str(key) for key in entry if key not in FIELDS)
        if unknown:
            problems.append(Problem(source, name, unknown[0], "unknown field (birth_date, phone)"))
        birth = entry.get("birth_date")
        birth_date = _birth_date(birth) if birth is not None else None
        if birth is not None and birth_date is None:
            problems.append(Problem(source, name, "birth_date", "must be a date, YYYY-MM-DD"))
        phone = entry.get("phone")
        if phone is not None and (not isinstance(phone, str) or not _PHONE.match(phone)):
            problems.append(
                Problem(source, name, "phone", 'must be a quoted phone number, e.g. "0905123456"')
            )
            phone = None
        found[holder] = PersonalData(birth_date, phone)
    return found, problems


def password_context(personal: Mapping[str, PersonalData], holder: str) -> dict[str, Any]:
    """The keyword arguments of ``passwords.generate_password_for`` for ``holder``'s personal data."""
    data = personal.get(holder)
    if data is None:
        return {}
    return {"birth_date": data.birth_date, "phone": data.phone}
