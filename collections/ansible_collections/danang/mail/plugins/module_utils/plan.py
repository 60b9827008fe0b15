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
- a disabled account keeps its mailbox and mail (R-23).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
from ansible_collections.danang.mail.plugins.module_utils.model import STATE_REMOVED

CREATE = "create"
UPDATE = "update"
ENABLE = "enable"
DISABLE = "disable"
REMOVE = "remove"
ACTIONS = (CREATE, UPDATE, ENABLE, DISABLE, REMOVE)

Attributes = Mapping[str, Any]


@dataclass(frozen=True)
class Observed:
    """An account as read from a system: whether it can be used, and its managed attributes."""

    address: str
    enabled: bool
    attributes: Attributes = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    """One change to one account. ``before`` / ``after`` hold only what differs (never secrets)."""

    action: str
    address: str
    account: Account
    before: Attributes = field(default_factory=dict)
    after: Attributes = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    changes: tuple[Change, ...]
    unchanged: tuple[str, ...]
    unmanaged: tuple[str, ...]

    def count(self) -> dict[str, int]:
        counts = dict.fromkeys(ACTIONS, 0)
        for change in self.changes:
            counts[change.action] += 1
        return counts

    def diff(self) -> dict[str, dict[str, Attributes]]:
        """Ansible's diff: ``before`` and ``after``, each keyed by address."""
        return {
            "before": {c.address: dict(c.before) for c in self.changes if c.action != CREATE},
            "after": {c.address: dict(c.after) for c in self.changes if c.action != REMOVE},
        }


def _differences(want: Attributes, have: Attributes) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = [key for key in want if want[key] != have.get(key)]
    return {key: have.get(key) for key in keys}, {key: want[key] for key in keys}


def make_plan(
    desired: Mapping[str, Account],
    observed: Mapping[str, Observed],
    render: Callable[[Account], Attributes],
    *,
    purge: bool = False,
) -> Plan:
    """Compare and decide, account by account, in address order (stable output)."""
    changes: list[Change] = []
    unchanged: list[str] = []
    for address in sorted(desired):
        account = desired[address]
        have = observed.get(address)
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
    return Plan(tuple(changes), tuple(unchanged), tuple(unmanaged))
