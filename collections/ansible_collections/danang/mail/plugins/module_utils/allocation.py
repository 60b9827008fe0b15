# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Address allocation (R-10…R-14, R-23, R-51): pure, no I/O.

``allocate`` takes the requests and the ledger's entries and returns every request's address plus
the ledger entries to append. The rules:

- a holder in the ledger keeps its address for ever, whatever its name, rank, date or status
  (reclaimed mailboxes come back with the same address, R-23); an address in the ledger is never
  given to another holder; persons, agencies and departments share one namespace;
- agencies first (``<abbreviation>@``, R-10), then departments (``<abbreviation>@`` when no other
  department shares the abbreviation, else ``<department>-<agency>@``, R-11), then persons;
  agency and department addresses are never numbered: taken or reserved is an error;
- a new person gets the plain form (R-12) when free, else the smallest number from 1 whose form is
  free (R-13); new persons go in the order requested_on, rank (higher first, R-14), id, so the
  result never depends on the order of the requests;
- an address in use on a mail system (``taken``: accounts, aliases and secondary addresses, shared
  mailboxes, groups, contacts, managed or not) is never issued either, so a new person gets the
  next free number instead of someone else's mailbox; in use by its own ledger holder is fine;
- with ``requested_through`` (the last request day whose addresses are final, the daily cut-off),
  a new person requested after it is *pending*: it gets a provisional address, after every final
  one, and no ledger entry, so a later same-day request of higher rank still wins it (R-14).

Every request is validated first and every problem is collected; ``ValidationFailed`` carries them
all and nothing is allocated when anything is wrong.
"""

from __future__ import annotations

import datetime
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.danang.mail.plugins.module_utils.ledger import LedgerEntry
from ansible_collections.danang.mail.plugins.module_utils.model import Problem, ValidationFailed, excerpt
from ansible_collections.danang.mail.plugins.module_utils.vietnamese import (
    MAX_LOCAL_PART,
    InvalidName,
    PersonName,
    parse_person_name,
)

# Never issued to anyone (added to the module's ``reserved`` option): RFC 2142 role mailboxes,
# the usual system names, and the spam-report mailbox that must exist.
BUILTIN_RESERVED: frozenset[str] = frozenset(
    {
        # RFC 2142
        "postmaster",
        "abuse",
        "hostmaster",
        "webmaster",
        "noc",
        "security",
        "info",
        "marketing",
        "sales",
        "support",
        "uucp",
        "news",
        "usenet",
        "www",
        "ftp",
        # system names
        "admin",
        "administrator",
        "root",
        "noreply",
        "no-reply",
        "mailer-daemon",
        "nobody",
        #
        "chanthurac",
    }
)


def reserved_name_message(local_part: str) -> str:
    """Why a person whose plain local part is reserved gets no address (neither it nor a numbered form)."""
    return (
        f"the name gives the address {local_part}@, a reserved role or system address (RFC 2142, R-51): no "
        f"person gets it, nor {local_part}1@ which would pass for it; check the name as written in the "
        "records software (R-72)"
    )


MAX_DOMAIN, MAX_LABEL = 253, 63  # RFC 1035 / RFC 5321
ABBREVIATION = re.compile(r"^[a-z][a-z0-9]*$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_RESERVED = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")
_NAME_FIELDS = ("full_name", "family_name", "middle_name", "given_name")
_FIELDS: dict[str, frozenset[str]] = {
    # a person's ``agency`` is informative (model.person_request sends it); it is checked, not used
    "person": frozenset({"id", "kind", "requested_on", "rank", "agency", *_NAME_FIELDS}),
    "agency": frozenset({"id", "kind", "requested_on", "abbreviation"}),
    "department": frozenset({"id", "kind", "requested_on", "abbreviation", "agency"}),
}
SOURCE = "requests"


@dataclass(frozen=True)
class AllocationResult:
    addresses: dict[str, str]  # id -> full address, for every request
    allocated: list[dict[str, str]]  # [{id, address}] issued by this run, in allocation order
    entries: tuple[LedgerEntry, ...]  # to append to the ledger, same order
    requested_on: dict[str, datetime.date] = field(default_factory=dict)  # id -> date, when given
    pending: list[dict[str, str]] = field(default_factory=list)  # [{id, address}] provisional, not issued


@dataclass
class _Request:
    index: int
    id: str
    kind: str
    requested_on: datetime.date | None = None
    rank: int = 0
    name: PersonName | None = None
    name_field: str = "full_name"
    abbreviation: str | None = None
    agency: str | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def entry(self) -> str:
        return f"requests[{self.index}] (id {self.id})" if self.id else f"requests[{self.index}]"

    def problem(self, field_name: str, message: str) -> None:
        self.problems.append(Problem(SOURCE, self.entry, field_name, message))


def _present(value: Any) -> bool:
    return value is not None


def _parse_date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return None
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str) and _DATE.match(value.strip()):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _validate(index: int, raw: Any, legacy: Counter[str]) -> _Request:
    """One request, checked field by field; its problems are kept on it."""
    if not isinstance(raw, Mapping):
        request = _Request(index=index, id="", kind="person")
        request.problem("", "must be a mapping")
        return request
    holder = raw.get("id")
    request = _Request(index=index, id=holder if isinstance(holder, str) else "", kind="person")
    if (
        not isinstance(holder, str)
        or not holder.strip()
        or holder != holder.strip()
        or not holder.isprintable()
    ):
        request.problem("id", "required: a non-empty printable string without surrounding spaces")
    kind = raw.get("kind") if _present(raw.get("kind")) else "person"
    if kind not in _FIELDS:
        request.problem("kind", f"must be one of {', '.join(_FIELDS)}, not {kind!r}")
        return request
    request.kind = kind
    for name in sorted(str(key) for key, value in raw.items() if _present(value)):
        if name not in _FIELDS[kind]:
            request.problem(name, f"not an option of a {kind} request (is kind right?)")

    requested_on = raw.get("requested_on")
    if _present(requested_on):
        request.requested_on = _parse_date(requested_on)
        if request.requested_on is None:
            request.problem("requested_on", f"must be a date YYYY-MM-DD, not {requested_on!r}")
    elif kind == "person":
        request.problem("requested_on", "required for a person: R-13 and R-14 order requests by it")

    if kind == "person":
        rank = raw.get("rank")
        if _present(rank):
            if isinstance(rank, bool) or not isinstance(rank, int):
                request.problem("rank", f"must be an integer, not {rank!r}")
            else:
                request.rank = rank
        parts = {name: raw.get(name) for name in _NAME_FIELDS if _present(raw.get(name))}
        wrong = [name for name, value in parts.items() if not isinstance(value, str)]
        for name in wrong:
            request.problem(name, "must be a string")
        if not parts:
            request.problem("full_name", "a person needs full_name or family_name/middle_name/given_name")
        elif not wrong:
            request.name_field = "full_name" if "full_name" in parts else next(iter(parts))
            try:
                request.name = parse_person_name(
                    parts.get("full_name"),
                    family_name=parts.get("family_name"),
                    middle_name=parts.get("middle_name"),
                    given_name=parts.get("given_name"),
                )
            except InvalidName as exc:
                message = exc.message
                if exc.legacy_encoding:
                    legacy[exc.legacy_encoding] += 1
                    if exc.converted:
                        message += f" (it may read {exc.converted!r})"
                request.problem(exc.field or "full_name", message)
    names = {"person": ("agency",), "agency": ("abbreviation",), "department": ("abbreviation", "agency")}
    for name in names[kind]:
        value = raw.get(name)
        if not _present(value):
            if kind != "person":
                request.problem(name, f"required for a {kind}")
        elif not isinstance(value, str) or not ABBREVIATION.match(value):
            request.problem(name, f"must match [a-z][a-z0-9]*, not {value!r}")
        elif kind != "person":
            setattr(request, name, value)
    return request


def _legacy_summary(legacy: Counter[str], names: int) -> Problem | None:
    if not legacy:
        return None
    found = ", ".join(f"{count} look like {encoding}" for encoding, count in sorted(legacy.items()))
    total = sum(legacy.values())
    return Problem(
        SOURCE,
        "",
        "",
        f"{total} of {names} names look like legacy-encoded text ({found}); legacy text can also read "
        "as valid Vietnamese, so the whole import is refused: convert the export to Unicode "
        "(TCVN 6909) and run it again (R-15)",
    )


class _Issuer:
    """The addresses taken so far (ledger, then this run) and the rules to take a new one."""

    def __init__(
        self,
        ledger: Sequence[LedgerEntry],
        domain: str,
        reserved: frozenset[str],
        today: datetime.date,
        taken: frozenset[str] = frozenset(),
    ) -> None:
        self.domain = domain
        self.reserved = reserved
        self.today = today
        self.holders: dict[str, tuple[str, str]] = {e.address: (e.kind, e.id) for e in ledger}
        self.taken = taken - set(self.holders)  # in use on a system without a ledger holder
        self.entries: list[LedgerEntry] = []

    def free(self, local: str) -> bool:
        address = self.address(local)
        return local not in self.reserved and address not in self.holders and address not in self.taken

    def address(self, local: str) -> str:
        return f"{local}@{self.domain}"

    def refusal(self, local: str) -> str | None:
        """Why ``local`` cannot be issued as a fixed (never numbered) address, or None."""
        if len(local) > MAX_LOCAL_PART:
            return f"the local part {local!r} is longer than {MAX_LOCAL_PART} characters"
        if local in self.reserved:
            return f"{self.address(local)} is reserved"
        if self.address(local) in self.holders:
            kind, holder = self.holders[self.address(local)]
            return f"{self.address(local)} is already held by {kind} {holder}"
        if self.address(local) in self.taken:
            return f"{self.address(local)} is in use on a mail system and not in the ledger"
        return None

    def issue(self, request: _Request, local: str) -> str:
        address = self.address(local)
        self.holders[address] = (request.kind, request.id)
        self.entries.append(
            LedgerEntry(
                address=address,
                kind=request.kind,
                id=request.id,
                issued_on=self.today,
                status="active",
                abbreviation=request.abbreviation if request.kind == "department" else None,
                agency=request.agency if request.kind == "department" else None,
            )
        )
        return address


def allocate(
    requests: Sequence[Mapping[str, Any]],
    ledger_entries: Iterable[LedgerEntry],
    *,
    domain: str,
    reserved: Iterable[str] = (),
    today: datetime.date,
    taken: Iterable[str] = (),
    requested_through: datetime.date | None = None,
) -> AllocationResult:
    """Every request's address, and the ledger entries this run issues. Raises ``ValidationFailed``.

    ``taken``: every address in use on the mail systems (any case), never issued to a new holder.
    ``requested_through``: new persons requested after that day are pending: their provisional
    address is in ``addresses`` and ``pending``, never in ``allocated`` nor ``entries``.
    """
    ledger = tuple(ledger_entries)
    problems: list[Problem] = []
    if not isinstance(domain, str) or not _DOMAIN.match(domain):
        problems.append(
            Problem("domain", "", "", f"must be a domain name in lower case, not {excerpt(domain)}")
        )
    elif len(domain) > MAX_DOMAIN or any(len(label) > MAX_LABEL for label in domain.split(".")):
        message = (
            f"has {len(domain)} characters: a domain name holds at most {MAX_DOMAIN}, each label at most "
            f"{MAX_LABEL} (RFC 1035; mail servers refuse longer)"
        )
        problems.append(Problem("domain", "", "", message))
    reserved_set = set(BUILTIN_RESERVED)
    for i, name in enumerate(reserved):
        if isinstance(name, str) and _RESERVED.match(name.strip().lower()):
            reserved_set.add(name.strip().lower())
        else:
            problems.append(Problem("reserved", f"reserved[{i}]", "", f"not a local part: {name!r}"))

    legacy: Counter[str] = Counter()
    checked = [_validate(i, raw, legacy) for i, raw in enumerate(requests)]
    persons = sum(1 for raw in requests if isinstance(raw, Mapping) and raw.get("kind") in (None, "person"))
    summary = _legacy_summary(legacy, persons)
    if summary:
        problems.append(summary)

    by_id: dict[str, list[_Request]] = defaultdict(list)
    for request in checked:
        if request.id:
            by_id[request.id].append(request)
    for same in by_id.values():
        for request in same[1:]:
            request.problem("id", f"{request.id} is also the id of requests[{same[0].index}]")
    in_ledger = {entry.id: entry for entry in ledger}
    for request in checked:
        held = in_ledger.get(request.id)
        kind_wrong = any(p.field == "kind" for p in request.problems)
        if held is not None and held.kind != request.kind and not kind_wrong:
            request.problem("kind", f"{request.id} holds {held.address} in the ledger as a {held.kind}")
    if any(p.source == "domain" for p in problems):
        raise ValidationFailed(problems + [p for r in checked for p in r.problems])

    # The valid new requests are allocated even when others are invalid, only to report their
    # problems too (a taken agency address, a local part too long): nothing is returned then.
    in_use = frozenset(a.strip().lower() for a in taken if isinstance(a, str))
    issuer = _Issuer(ledger, domain, frozenset(reserved_set), today, in_use)
    addresses: dict[str, str] = {r.id: in_ledger[r.id].address for r in checked if r.id in in_ledger}
    new = [r for r in checked if r.id not in in_ledger and not r.problems]

    for request in sorted((r for r in new if r.kind == "agency"), key=lambda r: r.id):
        reason = issuer.refusal(request.abbreviation)
        if reason:  # an agency's address is its abbreviation, never numbered
            request.problem("abbreviation", f"{reason}; an agency address is never numbered (R-10)")
        else:
            addresses[request.id] = issuer.issue(request, request.abbreviation)

    sharing: dict[str, set[str]] = defaultdict(set)  # abbreviation -> department ids (ledger + run)
    for entry in ledger:
        if entry.kind == "department" and entry.abbreviation:
            sharing[entry.abbreviation].add(entry.id)
    for request in checked:  # invalid departments count too, so a valid one's form is the right one
        if request.kind == "department" and request.abbreviation and request.id not in in_ledger:
            sharing[request.abbreviation].add(request.id or f"requests[{request.index}]")
    for request in sorted((r for r in new if r.kind == "department"), key=lambda r: r.id):
        shared = len(sharing[request.abbreviation]) > 1
        local = f"{request.abbreviation}-{request.agency}" if shared else request.abbreviation
        reason = issuer.refusal(local)
        if reason:  # never numbered, and a plain form held by a person or agency is no fall-back
            request.problem(
                "agency" if shared else "abbreviation",
                f"{reason}; a department address is never numbered (R-11)",
            )
        else:
            addresses[request.id] = issuer.issue(request, local)

    people = sorted(
        (r for r in new if r.kind == "person"),
        key=lambda r: (r.requested_on, -r.rank, r.id),  # R-13 first come, R-14 higher rank first
    )
    for request in people:
        plain = request.name.local_part
        if plain in issuer.reserved:
            request.problem(request.name_field, reserved_name_message(plain))
            continue
        local, number = plain, 0
        while not issuer.free(local):
            number += 1  # the smallest free number from 1
            local = f"{plain}{number}"
        if len(local) > MAX_LOCAL_PART:
            request.problem(request.name_field, f"{local!r} is longer than {MAX_LOCAL_PART} characters")
        else:
            addresses[request.id] = issuer.issue(request, local)

    problems += [p for request in checked for p in request.problems]
    if problems:
        raise ValidationFailed(problems)
    # Pending persons sort after every final one (a later request day), so leaving their entries
    # out never changes a final address: the ledger is what a run without them would write.
    late = {r.id for r in people if requested_through is not None and r.requested_on > requested_through}
    entries = tuple(e for e in issuer.entries if e.id not in late)
    return AllocationResult(
        addresses={r.id: addresses[r.id] for r in checked},
        allocated=[{"id": e.id, "address": e.address} for e in entries],
        entries=entries,
        requested_on={r.id: r.requested_on for r in checked if r.requested_on is not None},
        pending=[{"id": e.id, "address": e.address} for e in issuer.entries if e.id in late],
    )
