# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Accounts: what one mail system should hold, derived from the desired state and the ledger.

Every backend (OBM, Exchange) reconciles the same ``Account`` values (R-02); only how a system
represents one differs, and that lives in the backend. An account is keyed by its full address,
which never changes once issued (R-03).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.desired_state_schema import CITY_FILE
from ansible_collections.danang.mail.plugins.module_utils.model import (
    KIND_AGENCY,
    KIND_DEPARTMENT,
    KIND_PERSON,
    KIND_RESERVED,
    SPAM_DISPLAY_NAME,
    SPAM_HOLDER_ID,
    SPAM_LOCAL_PART,
    STATE_ACTIVE,
    STATE_RECLAIMED,
    STATE_REMOVED,
    DesiredState,
    Person,
    Problem,
)

QUOTA_MB = 2048  # 2 GB per mailbox
# Users are warned before the hard limit (Cyrus quotawarn, Exchange IssueWarningQuota).
QUOTA_WARNING_PERCENT = 90


@dataclass(frozen=True)
class Account:
    """One mailbox as the city wants it on one system.

    ``first_name`` / ``last_name`` follow the Vietnamese form fields "Tên" and "Họ và tên đệm"
    (given name; family and middle names), which is how both LDAP (givenName/sn) and Exchange
    (FirstName/LastName) split a person's name. Shared mailboxes (agency, department) have none.

    ``access`` (shared mailboxes only): the sorted lower-case addresses of the persons who may open
    it as themselves (owner and delegate, R-71; the technical team for ``chanthurac@``, R-51);
    ``access_holders`` the same persons as ``(address, holder id)`` pairs, so a backend grants only
    to the account that stores the holder's id, never to whatever else answers to the address.
    """

    address: str
    kind: str
    holder_id: str
    display_name: str
    agency: str
    department: Optional[str] = None
    first_name: Optional[str] = None
    last_name: Optional[str] = None
    state: str = STATE_ACTIVE
    quota_mb: int = QUOTA_MB
    access: tuple[str, ...] = ()
    access_holders: tuple[tuple[str, str], ...] = ()

    @property
    def local_part(self) -> str:
        return self.address.partition("@")[0]

    @property
    def password_names(self) -> tuple[str, ...]:
        """The holder's names, which a generated password must not contain (R-43)."""
        names = (self.display_name, self.first_name, self.last_name, self.local_part)
        return tuple(name for name in names if name)

    @property
    def domain(self) -> str:
        return self.address.partition("@")[2]

    @property
    def enabled(self) -> bool:
        return self.state == STATE_ACTIVE

    @property
    def shared(self) -> bool:
        """Agency, department and reserved mailboxes are shared on both systems (R-10, R-11, R-51)."""
        return self.kind != KIND_PERSON


def is_pending(person: Person, holders: Mapping[str, str], through: Optional[datetime.date]) -> bool:
    """A person requested after ``through`` (the last final request day) with no address yet:
    allocated at a later cut-off (R-14), so neither created nor a problem now."""
    return through is not None and person.id not in holders and person.requested_on > through


def pending_people(
    state: DesiredState,
    holders: Mapping[str, str],
    requested_through: Optional[datetime.date],
    *,
    system: str,
    agencies: Optional[Iterable[str]] = None,
) -> list[Person]:
    """The people of ``system`` (and ``agencies``) :func:`desired_accounts` leaves out as pending."""
    wanted = frozenset(agencies) if agencies is not None else None
    return [
        p
        for p in state.people()
        if system in p.systems
        and (wanted is None or p.agency in wanted)
        and p.holds_address
        and is_pending(p, holders, requested_through)
    ]


def desired_accounts(
    state: DesiredState,
    holders: Mapping[str, str],
    *,
    system: str,
    agencies: Optional[Iterable[str]] = None,
    reclaimed: Optional[Mapping[str, datetime.date]] = None,
    requested_through: Optional[datetime.date] = None,
) -> tuple[dict[str, Account], list[Problem]]:
    """The accounts ``system`` should hold, keyed by address, and the problems found.

    ``holders`` maps ledger holder ids to addresses (``ledger.holders()``). A holder that needs a
    mailbox but has no address yet is a problem: allocation (``danang.mail.address_alloc``) runs
    first. Removed people are kept (state ``removed``) when they hold an address, so the plan can
    disable or purge what exists; people not on ``system`` (``systems``) are left out.
    ``agencies`` limits the result to some agencies (the modules' ``scope``). A shared mailbox's
    ``access`` holds its owner's and delegate's addresses; with a technical team (``city.yml``) and
    no ``agencies`` limit, ``chanthurac@`` (R-51) is added in the domain of the ledger's addresses.

    ``reclaimed`` (``ledger.reclaimed()``: holder id -> reclaimed_on) makes an active or disabled
    person whose mailbox was reclaimed on or after its ``requested_on`` an account in state
    ``reclaimed`` (R-23): git stays the truth, a reclaim is never undone by the next reconcile. A
    new request (``requested_on`` after ``reclaimed_on``, R-20) makes it the person's state again.

    ``requested_through``: a person without an address requested after that day is pending
    (:func:`is_pending`): left out, not a problem.
    """
    reclaimed_on = reclaimed or {}
    wanted = frozenset(agencies) if agencies is not None else None
    accounts: dict[str, Account] = {}
    problems: list[Problem] = []

    def address_of(holder_id: str, source: str, entry: str) -> Optional[str]:
        address = holders.get(holder_id)
        if address is None:
            problems.append(
                Problem(source, entry, "address", f"{holder_id} has no address in the ledger: allocate first")
            )
        return address

    def access(person_ids: Iterable[Optional[str]], source: str, entry: str) -> dict[str, Any]:
        """``access`` and ``access_holders`` of a shared mailbox (keyword arguments of Account)."""
        found = {(p, address_of(p, source, entry)) for p in person_ids if p is not None}
        pairs = tuple(sorted((a.lower(), p) for p, a in found if a))
        return {"access": tuple(sorted({address for address, _holder in pairs})), "access_holders": pairs}

    for agency in state.agencies:
        if wanted is not None and agency.abbreviation not in wanted:
            continue
        if agency.mailbox and (address := address_of(agency.holder_id, agency.source, "agency")):
            accounts[address] = Account(
                address,
                KIND_AGENCY,
                agency.holder_id,
                agency.name,
                agency.abbreviation,
                **access((agency.owner, agency.delegate), agency.source, "agency"),
            )
        for index, dept in enumerate(agency.departments):
            entry = f"departments[{index}] ({dept.abbreviation})"
            if dept.mailbox and (address := address_of(dept.holder_id, agency.source, entry)):
                accounts[address] = Account(
                    address,
                    KIND_DEPARTMENT,
                    dept.holder_id,
                    f"{dept.name} - {agency.name}",
                    agency.abbreviation,
                    dept.abbreviation,
                    **access((dept.owner, dept.delegate), agency.source, entry),
                )
        for index, person in enumerate(agency.people):
            if system not in person.systems:
                continue
            if person.state == STATE_REMOVED and person.id not in holders:
                continue  # never had an address: nothing to remove
            if is_pending(person, holders, requested_through):
                continue
            entry = f"people[{index}] (id {person.id})"
            account_state = person.state
            day = reclaimed_on.get(person.id)
            if day is not None and person.holds_address and day >= person.requested_on:
                account_state = STATE_RECLAIMED
            if address := address_of(person.id, agency.source, entry):
                accounts[address] = Account(
                    address,
                    KIND_PERSON,
                    person.id,
                    person.name.display,
                    agency.abbreviation,
                    person.department,
                    first_name=" ".join(person.name.given),
                    last_name=" ".join(person.name.family + person.name.middle),
                    state=account_state,
                )
    if state.technical_team is not None and wanted is None:
        domains = sorted({a.partition("@")[2] for a in holders.values()})
        if len(domains) == 1:
            address = f"{SPAM_LOCAL_PART}@{domains[0]}"
            team = access(state.technical_team, CITY_FILE, "technical_team")
            accounts[address] = Account(address, KIND_RESERVED, SPAM_HOLDER_ID, SPAM_DISPLAY_NAME, "", **team)
        else:
            found = ", ".join(domains) or "none: allocate first"
            message = f"{SPAM_LOCAL_PART}@ goes in the domain of the ledger's addresses (R-01, R-51): {found}"
            problems.append(Problem(CITY_FILE, "", "technical_team", message))
    return accounts, problems
