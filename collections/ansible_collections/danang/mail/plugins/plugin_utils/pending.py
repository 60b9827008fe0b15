# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pending hand-over record: initial passwords written, encrypted, BEFORE any system is touched,
so that a run killed at any point loses none. Controller side only.

``pending.vault.yml`` sits in the credentials directory (same vault, same lock, same atomic write as
the run's credentials file). One entry per person whose initial password is planned and not yet
handed over on every system::

    CB-0042:
      address: dungnv@danang.gov.vn
      password: <the initial password>
      issued_at: '2026-03-02T09:15:02+07:00'
      planned: [exchange, obm]     # systems where a create with this password was planned
      settled: [obm]               # systems whose account is recorded in a credentials file

The mailbox action plugin plans (check mode), records the planned passwords here, and only then
runs the module with ``require_known_passwords``: every account it creates holds a recorded password.
After the run, and in every later run, a person whose account exists on the system is recorded in
that run's credentials file (when the system was ``planned`` with this password) and the system is
``settled``; the entry goes once every system of the person is settled. A re-run after a crash thus
reuses the recorded password for what is still to be created (both systems get one password, R-45)
and hands over the accounts the crashed run created.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Mapping
from typing import Any

PENDING_NAME = "pending.vault.yml"


def pending_path(credentials_file: str) -> str:
    return os.path.join(os.path.dirname(credentials_file) or ".", PENDING_NAME)


def plan_pending(
    entries: Mapping[str, Mapping[str, Any]],
    planned: Mapping[str, str],
    *,
    addresses: Mapping[str, str],
    system: str,
    now: datetime.datetime,
) -> tuple[dict[str, dict[str, Any]], bool]:
    """``entries`` with every ``planned`` password (holder id -> password) recorded for ``system``;
    and whether anything changed. A holder already pending keeps its password (the plan reused it)."""
    merged = {holder: dict(entry) for holder, entry in entries.items()}
    changed = False
    for holder in sorted(planned):
        entry = merged.get(holder)
        if entry is None or entry.get("password") != planned[holder]:
            merged[holder] = entry = {
                "address": addresses.get(holder),
                "password": planned[holder],
                "issued_at": now.isoformat(timespec="seconds"),
                "planned": [],
                "settled": [],
            }
            changed = True
        if system not in entry.get("planned", []):
            entry["planned"] = sorted({*entry.get("planned", []), system})
            changed = True
    return merged, changed


def settle_pending(
    entries: Mapping[str, Mapping[str, Any]],
    handover: Mapping[str, Mapping[str, Any]],
    *,
    system: str,
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """After a run on ``system``: the pending entries left, and the passwords to record in the run's
    credentials file (holder id -> password). ``handover`` is the module's ``_handover``: the persons
    whose account exists on ``system`` now, with the systems each should have."""
    left = {holder: dict(entry) for holder, entry in entries.items()}
    record: dict[str, str] = {}
    for holder, info in handover.items():
        entry = left.get(holder)
        if entry is None or system in entry.get("settled", []):
            continue
        if system in entry.get("planned", []):
            record[holder] = str(entry["password"])
        # Not planned here: the account was there before with a password of its own; nothing to hand over.
        entry["settled"] = sorted({*entry.get("settled", []), system})
        if set(info.get("systems") or [system]) <= set(entry["settled"]):
            del left[holder]
    return left, record
