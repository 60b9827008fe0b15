# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The plan: desired accounts vs what a system holds → the changes to make. Pure, shared by backends.

A backend says how it represents an account (``render``: the managed attributes, e.g. LDAP
attributes and the Cyrus quota) and reads what exists (``Observed``); this module compares the
two. Nothing here talks to a server, so check mode is simply "plan, then stop".

Safety rules, from the regulation and the project's rules:
- an account on the system but absent from the desired state is never touched (``unmanaged``);
- disable before delete: a removed person's account is disabled first, and only an account that
  is already disabled is removed, and only with ``purge`` (R-23 keeps mail recoverable);
- a disabled account keeps its mailbox and mail (R-23);
- a reclaimed person's account (R-23, state ``reclaimed``) is never created, enabled or updated: an
  enabled one is disabled (a reclaim stopped half-way is completed, never undone); danang.mail.reclaim
  purges it;
- never a person someone else's mailbox: every account this project makes stores its holder's id
  (``Observed.holder``; OBM ``employeeNumber``, Exchange ``CustomAttribute3``). An account whose
  stored holder differs, or that has none and cannot be shown to be one this project made before
  holder ids existed (:func:`ownership`), is a ``Conflict``: reported, never changed.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
from ansible_collections.danang.mail.plugins.module_utils.model import (
    CITY_TIMEZONE,
    FORMER_HOLDER_IDS,
    STATE_RECLAIMED,
    STATE_REMOVED,
)

CREATE = "create"
UPDATE = "update"
ENABLE = "enable"
DISABLE = "disable"
REMOVE = "remove"
ACTIONS = (CREATE, UPDATE, ENABLE, DISABLE, REMOVE)

Attributes = Mapping[str, Any]


@dataclass(frozen=True)
class Observed:
    """An account as read from a system: whether it can be used, its managed attributes, the holder
    id stored on it (None: none) and when it was made (aware, None when the system cannot say)."""

    address: str
    enabled: bool
    attributes: Attributes = field(default_factory=dict)
    holder: Optional[str] = None
    created: Optional[datetime.datetime] = None


@dataclass(frozen=True)
class Change:
    """One change to one account. ``before`` / ``after`` hold only what differs (never secrets)."""

    action: str
    address: str
    account: Account
    before: Attributes = field(default_factory=dict)
    after: Attributes = field(default_factory=dict)


@dataclass(frozen=True)
class Conflict:
    """An account at a desired address that is not (provably) this holder's: left untouched."""

    address: str
    account: Account
    stored_holder: Optional[str]
    reason: str

    @property
    def message(self) -> str:
        stored = self.stored_holder if self.stored_holder is not None else "none"
        return (
            f"{self.address}: the account there is not {self.account.holder_id}'s (stored holder: "
            f"{stored}; desired holder: {self.account.holder_id}): {self.reason}; nothing was changed on "
            "it. Find out whose account it is; see docs/gitops.md, 'Holder ids and conflicts'"
        )


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...]
    unchanged: tuple[str, ...]
    unmanaged: tuple[str, ...]
    conflicts: tuple[Conflict, ...] = ()

    def count(self) -> dict[str, int]:
        counts = dict.fromkeys(ACTIONS, 0)
        for change in self.changes:
            counts[change.action] += 1
        return counts

    def diff(self) -> dict[str, Any]:
        """Ansible's diff: ``before`` and ``after``, each keyed by address; conflicts as text."""
        diff: dict[str, Any] = {
            "before": {c.address: dict(c.before) for c in self.changes if c.action != CREATE},
            "after": {c.address: dict(c.after) for c in self.changes if c.action != REMOVE},
        }
        if self.conflicts:
            diff["prepared"] = "".join(f"CONFLICT {c.message}\n" for c in self.conflicts)
        return diff


def _differences(want: Attributes, have: Attributes) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = [key for key in want if want[key] != have.get(key)]
    return {key: have.get(key) for key in keys}, {key: want[key] for key in keys}


def ownership(
    account: Account,
    have: Observed,
    issued_on: Optional[datetime.date],
    allocated: bool,
) -> Optional[str]:
    """Why ``have`` must not be treated as ``account``'s, or None when it is the holder's.

    Stored holder equal (or a former id of that holder, ``model.FORMER_HOLDER_IDS``): the holder's.
    Stored holder different: never. No stored holder: only an
    account this project made before it stored holder ids can be adopted (the plan then writes the
    id), and the project always allocates (ledger ``issued_on``, the city's date) before it creates.
    So an account made on a city day before the ledger issued its address, or whose creation time the
    system does not give, or at an address allocated in this very run, is someone else's.
    """
    if have.holder == account.holder_id or have.holder in FORMER_HOLDER_IDS.get(account.holder_id, ()):
        return None  # a former id of the same holder: adopted, the update writes the current one
    if have.holder is not None:
        return "the account stores another holder"
    if allocated:
        return "it has no stored holder and its address was allocated in this run"
    if issued_on is None or have.created is None:
        return "it has no stored holder and its creation time cannot be compared with the ledger"
    created = have.created.astimezone(CITY_TIMEZONE).date()
    if created < issued_on:
        return (
            f"it has no stored holder and was created on {created.isoformat()}, before the ledger "
            f"issued the address on {issued_on.isoformat()}"
        )
    return None


def make_plan(
    desired: Mapping[str, Account],
    observed: Mapping[str, Observed],
    render: Callable[[Account], Attributes],
    *,
    purge: bool = False,
    issued_on: Optional[Mapping[str, datetime.date]] = None,
    allocated: Collection[str] = (),
) -> Plan:
    """Compare and decide, account by account, in address order (stable output).

    ``issued_on`` maps addresses to their ledger issue date and ``allocated`` holds the addresses
    allocated in this run (see :func:`ownership`); ``render`` includes the holder id attribute, so a
    create writes it and an adopted account gets it in an update.
    """
    issued = issued_on or {}
    changes: list[Change] = []
    unchanged: list[str] = []
    conflicts: list[Conflict] = []
    for address in sorted(desired):
        account = desired[address]
        have = observed.get(address)
        if have is not None:
            reason = ownership(account, have, issued.get(address), address in allocated)
            if reason is not None:
                conflicts.append(Conflict(address, account, have.holder, reason))
                continue
        if account.state == STATE_REMOVED:
            if have is None:
                continue
            if have.enabled:
                changes.append(Change(DISABLE, address, account, {"enabled": True}, {"enabled": False}))
            elif purge:
                changes.append(Change(REMOVE, address, account, dict(have.attributes), {}))
            else:
                unchanged.append(address)
            continue
        if account.state == STATE_RECLAIMED:
            if have is not None and have.enabled:
                changes.append(Change(DISABLE, address, account, {"enabled": True}, {"enabled": False}))
            elif have is not None:
                unchanged.append(address)
            continue
        want = render(account)
        if have is None:
            changes.append(Change(CREATE, address, account, {}, {**want, "enabled": account.enabled}))
            continue
        before, after = _differences(want, have.attributes)
        if have.enabled != account.enabled:
            before["enabled"], after["enabled"] = have.enabled, account.enabled
            action = ENABLE if account.enabled else DISABLE
            changes.append(Change(action, address, account, before, after))
        elif after:
            changes.append(Change(UPDATE, address, account, before, after))
        else:
            unchanged.append(address)
    unmanaged = sorted(set(observed) - set(desired))
    return Plan(tuple(changes), tuple(unchanged), tuple(unmanaged), tuple(conflicts))
