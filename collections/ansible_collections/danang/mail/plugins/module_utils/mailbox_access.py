# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who may open the shared mailboxes (R-71, R-46, R-51): the checks of ``owner``, ``delegate`` and
the technical team, and the city file that names the team.

Access is by delegation: the owner (the agency's head) and one delegate open the mailbox as
themselves; nobody is ever handed the mailbox's password (R-46). The checks run on the loaded model,
once every agency is read, because an owner is looked up among all the city's people.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils import strict_yaml
from ansible_collections.danang.mail.plugins.module_utils.model import (
    STATE_ACTIVE,
    Agency,
    Person,
    Problem,
    ValidationFailed,
    excerpt,
)


def read_city_file(root: str, name: str, problems: list[Problem]) -> tuple[Optional[str], Any]:
    """``(source, data)`` of ``<root>/<name>``, or ``(None, None)`` when the tree has none.

    Read like the agency files: a regular file only, never through a link, strict YAML.
    """
    source = os.path.join(root, name)
    if not os.path.lexists(source):
        return None, None
    try:
        data = strict_yaml.load_file(source, source, max_bytes=strict_yaml.FILE_MAX_BYTES, dates=False)
    except ValidationFailed as exc:
        problems.extend(exc.problems)
        return source, None
    if data is None:
        problems.append(Problem(source, "", "", "the file is empty: it needs technical_team (R-51)"))
    return source, data


def _person_problem(
    role: str, person_id: str, people: Mapping[str, Person], agency: Optional[str]
) -> Optional[str]:
    person = people.get(person_id)
    if person is None:
        return f"unknown person {excerpt(person_id)}: no agency file lists this id"
    if agency is not None and person.agency != agency:
        return (
            f"{excerpt(person_id)} is a person of agency {person.agency}: the {role} must be a person of "
            f"this agency ({agency}, R-71)"
        )
    if person.state != STATE_ACTIVE:
        return f"{excerpt(person_id)} is {person.state}: only an active person may be the {role}"
    return None


def _pair_problems(
    source: str,
    entry: str,
    mailbox: bool,
    owner: Optional[str],
    delegate: Optional[str],
    agency: str,
    people: Mapping[str, Person],
) -> list[Problem]:
    problems: list[Problem] = []
    for role, person_id in (("owner", owner), ("delegate", delegate)):
        if person_id is None:
            continue
        if not mailbox:
            article = "an" if role == "owner" else "a"
            message = f"only a mailbox has {article} {role}: set mailbox: true, or remove it"
            problems.append(Problem(source, entry, role, message))
            continue
        message = _person_problem(role, person_id, people, agency)
        if message:
            problems.append(Problem(source, entry, role, message))
    if mailbox and delegate is not None:
        if owner is None:
            message = "a delegate needs an owner: the head who delegates the mailbox (R-71)"
            problems.append(Problem(source, entry, "delegate", message))
        elif delegate == owner:
            message = "the delegate is the owner: the owner may delegate to one other person (R-71)"
            problems.append(Problem(source, entry, "delegate", message))
    return problems


def access_problems(
    agencies: Iterable[Agency], technical_team: Optional[tuple[str, ...]], city_source: Optional[str]
) -> list[Problem]:
    """Every problem with the owners, delegates and technical team of a loaded desired state."""
    agencies = tuple(agencies)
    people = {p.id: p for a in agencies for p in a.people}
    problems: list[Problem] = []
    for agency in agencies:
        problems += _pair_problems(
            agency.source, "", agency.mailbox, agency.owner, agency.delegate, agency.abbreviation, people
        )
        for index, dept in enumerate(agency.departments):
            entry = f"departments[{index}] (abbreviation {dept.abbreviation})"
            problems += _pair_problems(
                agency.source, entry, dept.mailbox, dept.owner, dept.delegate, agency.abbreviation, people
            )
    for index, person_id in enumerate(technical_team or ()):
        message = _person_problem("member of the technical team", person_id, people, None)
        if message:
            problems.append(Problem(city_source or "", "", f"technical_team[{index}]", message))
    return problems
