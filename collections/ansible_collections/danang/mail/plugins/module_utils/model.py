# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one model of the city's accounts, shared by every module and backend.

Plain values only: no I/O here. Errors are values (``Problem``) until the edge, where a module
reports all of them at once (ARCHITECTURE: "errors are values until the edge").
"""

from __future__ import annotations

import datetime
import re
import reprlib
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Iterable, Optional

if TYPE_CHECKING:  # only a type: the model does no name parsing (vietnamese.py does)
    from ansible_collections.danang.mail.plugins.module_utils.vietnamese import PersonName

DEFAULT_DOMAIN = "danang.gov.vn"
# The city's clock: issue dates and working days are Vietnamese days, wherever the
# control node runs. Vietnam keeps UTC+7 all year, so no time-zone database is needed.
CITY_TIMEZONE = datetime.timezone(datetime.timedelta(hours=7), "ICT")


def city_today() -> datetime.date:
    """Today's date in Da Nang."""
    return datetime.datetime.now(CITY_TIMEZONE).date()


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, located precisely enough for an operator to fix it.

    ``source`` is the file (or ``requests`` for module input), ``entry`` the item inside it
    (``people[3] (id CB-0042)``), ``field`` the key that is wrong.
    """

    source: str
    entry: str
    field: str
    message: str

    def __str__(self) -> str:
        where = ": ".join(part for part in (self.source, self.entry, self.field) if part)
        return f"{where}: {self.message}" if where else self.message


def excerpt(value: Any, limit: int = 40, quote: bool = True) -> str:
    """A short, printable, cut form of ``value`` for a message: input may be hostile or secret.

    At most ``limit`` characters of it are shown; control and invisible characters are escaped, so
    a value can never forge another line of output.
    """
    text = value if isinstance(value, str) else reprlib.repr(value)  # reprlib: bounded, never huge
    cut = text[:limit]
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in cut)
    shown += "…" if len(text) > limit else ""
    return f"'{shown}'" if quote else shown


def _natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Digits compare as numbers, so ``people[2]`` comes before ``people[10]``."""
    return tuple((0, int(chunk)) if chunk.isdigit() else (1, chunk) for chunk in re.split(r"(\d+)", text))


class ValidationFailed(Exception):
    """Raised at the edge of the library with every problem found; nothing was changed."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.source, _natural_key(p.entry), p.field, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


# --- Desired state: what the city wants to exist (agencies/*.yml) -------------------------------

KIND_AGENCY = "agency"
KIND_DEPARTMENT = "department"
KIND_PERSON = "person"
KIND_RESERVED = "reserved"  # a mailbox of the city's own, never issued by the ledger

STATE_ACTIVE = "active"
STATE_DISABLED = "disabled"
STATE_REMOVED = "removed"
# the ledger says the person's mailbox was reclaimed after its last request; never set in the
# YAML (accounts.desired_accounts derives it), never created, enabled or updated by the reconcile.
STATE_RECLAIMED = "reclaimed"
PERSON_STATES: tuple[str, ...] = (STATE_ACTIVE, STATE_DISABLED, STATE_REMOVED)
# States that hold an address: a removed person keeps what the ledger issued but gets nothing new.
STATES_WITH_ADDRESS: frozenset[str] = frozenset({STATE_ACTIVE, STATE_DISABLED})

SYSTEM_EXCHANGE = "exchange"
SYSTEM_OBM = "obm"
SYSTEMS: tuple[str, ...] = (SYSTEM_EXCHANGE, SYSTEM_OBM)


def agency_holder_id(abbreviation: str) -> str:
    """The ledger's holder id of an agency mailbox (R-10): ``agency/<abbreviation>``.

    Person ids never contain ``/`` (the schema refuses it), so the three id spaces never meet.
    """
    return f"{KIND_AGENCY}/{abbreviation}"


def department_holder_id(agency: str, abbreviation: str) -> str:
    """The ledger's holder id of a department mailbox (R-11): ``department/<agency>/<abbreviation>``."""
    return f"{KIND_DEPARTMENT}/{agency}/{abbreviation}"


# the spam-report mailbox, for the technical team (desired_state/city.yml). Its local part is
# reserved, so the ledger never issues it; its holder id is stored on the account like any other.
SPAM_LOCAL_PART = "chanthurac"
SPAM_DISPLAY_NAME = "Chặn thư rác"
SPAM_HOLDER_ID = f"{KIND_RESERVED}/{SPAM_LOCAL_PART}"
# Holder ids the project stored before the current ones, per current id: an account storing one was
# made by the project for that same holder (danang.mail.exchange_org stored "R-51" on chanthurac@
# before it became a reserved account), so it is adopted and the plan rewrites the id.
FORMER_HOLDER_IDS: dict[str, frozenset[str]] = {SPAM_HOLDER_ID: frozenset({"R-51"})}


@dataclass(frozen=True)
class Department:
    """A department (phòng ban) of an agency; ``mailbox`` asks for a department mailbox (R-11)."""

    abbreviation: str
    name: str
    mailbox: bool
    agency: str
    owner: Optional[str] = None  # person ids who may open the mailbox
    delegate: Optional[str] = None

    @property
    def holder_id(self) -> str:
        return department_holder_id(self.agency, self.abbreviation)


@dataclass(frozen=True)
class Person:
    """A civil servant who holds (or held) a personal mailbox (R-12, R-20).

    ``rank`` is the leadership rank (cấp bậc, chức vụ lãnh đạo): a higher number is a higher rank
    and wins a same-day collision (R-14). ``requested_on`` orders collisions (R-13).
    """

    id: str
    name: PersonName
    agency: str
    department: Optional[str]
    rank: int
    requested_on: date
    state: str = STATE_ACTIVE
    systems: frozenset[str] = frozenset(SYSTEMS)

    @property
    def holds_address(self) -> bool:
        return self.state in STATES_WITH_ADDRESS


def count_by_state(people: Iterable[Person]) -> dict[str, int]:
    """People by state, every state present, in the order of ``PERSON_STATES``."""
    counts = dict.fromkeys(PERSON_STATES, 0)
    for person in people:
        counts[person.state] += 1
    return counts


@dataclass(frozen=True)
class Agency:
    """An agency (cơ quan) with its departments and people, as read from ``source``.

    ``owner`` (the head) and ``delegate`` are the person ids who may open the agency mailbox (R-71).
    """

    abbreviation: str
    name: str
    mailbox: bool
    departments: tuple[Department, ...] = ()
    people: tuple[Person, ...] = ()
    source: str = ""
    owner: Optional[str] = None
    delegate: Optional[str] = None

    @property
    def holder_id(self) -> str:
        return agency_holder_id(self.abbreviation)

    def count_people(self) -> dict[str, int]:
        return count_by_state(self.people)

    def find_department(self, abbreviation: str) -> Optional[Department]:
        return next((d for d in self.departments if d.abbreviation == abbreviation), None)


@dataclass(frozen=True)
class DesiredState:
    """Every agency of one environment; agencies are kept sorted by abbreviation.

    ``technical_team`` (``city.yml``, R-51): the person ids who may open ``chanthurac@``; None when
    the tree has no ``city.yml`` (then no ``chanthurac@`` account is managed).
    """

    agencies: tuple[Agency, ...] = ()
    technical_team: Optional[tuple[str, ...]] = None

    def people(self, states: Optional[Iterable[str]] = None) -> tuple[Person, ...]:
        wanted = frozenset(states) if states is not None else None
        return tuple(p for a in self.agencies for p in a.people if wanted is None or p.state in wanted)

    def departments(self) -> tuple[Department, ...]:
        return tuple(d for a in self.agencies for d in a.departments)

    def find_agency(self, abbreviation: str) -> Optional[Agency]:
        return next((a for a in self.agencies if a.abbreviation == abbreviation), None)

    def find_person(self, person_id: str) -> Optional[Person]:
        return next((p for p in self.people() if p.id == person_id), None)

    def count_people(self) -> dict[str, int]:
        """People by state, every state present (``{"active": 50, "disabled": 3, "removed": 2}``)."""
        return count_by_state(self.people())

    def address_requests(self) -> list[dict[str, Any]]:
        """The request list for ``danang.mail.address_alloc``: see :func:`address_requests`."""
        return address_requests(self)


def person_request(person: Person) -> dict[str, Any]:
    """One person's address request (R-12…R-14), with the name already split into its parts.

    The explicit parts are passed on (not the display form) so that names whose order is not
    family-middle-given (H'Maryam Niê) give the same address in the allocator as here (R-15).
    """
    request: dict[str, Any] = {
        "id": person.id,
        "kind": KIND_PERSON,
        "family_name": " ".join(person.name.family),
        "given_name": " ".join(person.name.given),
        "rank": person.rank,
        "requested_on": person.requested_on.isoformat(),
        "agency": person.agency,
    }
    if person.name.middle:
        request["middle_name"] = " ".join(person.name.middle)
    return request


def address_requests(state: DesiredState) -> list[dict[str, Any]]:
    """What needs an address, in a stable order: agencies, then departments, then people.

    - agencies with ``mailbox: true`` (R-10): ``{id: agency/<abbr>, kind: agency, abbreviation}``
    - departments with ``mailbox: true`` (R-11):
      ``{id: department/<agency>/<abbr>, kind: department, abbreviation, agency}``
    - people in state active or disabled (R-12): removed people get no new address; the ledger
      keeps the one they had, so it is never reissued (R-03).
    """
    requests: list[dict[str, Any]] = []
    for agency in state.agencies:
        if agency.mailbox:
            requests.append(
                {"id": agency.holder_id, "kind": KIND_AGENCY, "abbreviation": agency.abbreviation}
            )
    for department in state.departments():
        if department.mailbox:
            requests.append(
                {
                    "id": department.holder_id,
                    "kind": KIND_DEPARTMENT,
                    "abbreviation": department.abbreviation,
                    "agency": department.agency,
                }
            )
    requests.extend(person_request(p) for p in state.people(STATES_WITH_ADDRESS))
    return requests
