# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Initial passwords of a reconcile plan (R-40, R-42, R-43, R-45) and what the hand-over needs.

A person's initial password is the one already issued (``known``: the run's credentials file and the
pending record, so both systems get one password, R-45) or a new one free of the person's names,
birth date and phone (R-43). With ``require_known`` (the action plugin recorded every planned
password before apply), a person without a recorded password is not created: a password that
exists only in the memory of a process dies with it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.backends.contract import Result
from ansible_collections.danang.mail.plugins.module_utils.model import KIND_PERSON, DesiredState
from ansible_collections.danang.mail.plugins.module_utils.passwords import generate_password_for
from ansible_collections.danang.mail.plugins.module_utils.personal_data import PersonalData, password_context
from ansible_collections.danang.mail.plugins.module_utils.plan import CREATE, ENABLE, Change

NOT_RECORDED = (
    "not created: its initial password was not recorded before apply (the plan changed since the "
    "action plugin recorded them); a re-run creates it"
)


def person_creates(changes: Iterable[Change], returning: Collection[str] = ()) -> list[Change]:
    """The person creates, and the ENABLEs of ``returning`` accounts (reclaimed, back on a new
    request, R-20, R-23): those get a new initial password too."""
    return [
        c
        for c in changes
        if c.account.kind == KIND_PERSON
        and (c.action == CREATE or (c.action == ENABLE and c.address in returning))
    ]


def initial_passwords(
    changes: Iterable[Change],
    known: Mapping[str, str],
    personal: Optional[Mapping[str, PersonalData]] = None,
    returning: Collection[str] = (),
) -> dict[str, str]:
    """Holder id -> password for every person ``changes`` create or bring back (``returning``)."""
    passwords: dict[str, str] = {}
    for change in person_creates(changes, returning):
        account = change.account
        given = known.get(account.holder_id)
        if given:
            passwords[account.holder_id] = given
            continue
        passwords[account.holder_id] = generate_password_for(
            names=account.password_names, **password_context(personal or {}, account.holder_id)
        )
    return passwords


def withhold_unrecorded(
    changes: Sequence[Change], known: Mapping[str, str], returning: Collection[str] = ()
) -> tuple[list[Change], list[Result]]:
    """The changes to apply, and a failed ``Result`` for each person create (or return) without a
    known password."""
    keep: list[Change] = []
    refused: list[Result] = []
    needing = {id(c) for c in person_creates(changes, returning)}
    for change in changes:
        if id(change) in needing and not known.get(change.account.holder_id):
            refused.append(Result(change.address, change.action, False, NOT_RECORDED))
        else:
            keep.append(change)
    return keep, refused


def person_systems(state: DesiredState) -> dict[str, list[str]]:
    """Person id -> the systems the person has accounts on (R-02)."""
    return {person.id: sorted(person.systems) for agency in state.agencies for person in agency.people}


def handover(
    holders: Mapping[str, str],
    present: Iterable[str],
    known: Mapping[str, str],
    issued: Iterable[str],
    systems: Mapping[str, list[str]],
) -> dict[str, dict[str, Any]]:
    """Holder id -> address and systems, for every person whose account on this system now holds a
    password the action plugin knows: created now (``issued``), or known and already ``present``
    (addresses on the system before the run, e.g. created by a run killed before its hand-over)."""
    by_address = {address: holder for holder, address in holders.items()}
    found = {by_address[a] for a in present if by_address.get(a) in known} | set(issued)
    return {
        holder: {"address": holders.get(holder), "systems": list(systems.get(holder, []))}
        for holder in sorted(found)
    }
