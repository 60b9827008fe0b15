# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AD's constructed password attributes, kept on the users by the lab (slapd cannot construct them).

AD computes ``msDS-ResultantPSO`` and ``msDS-UserPasswordExpiryTimeComputed`` when they are read
(rules: ``password_policy``). The lab stores them on each user and keeps them current:

- on the lab's own writes of a user (``Directory.add``/``modify`` of pwdLastSet or
  userAccountControl: New-Mailbox, Set-Mailbox -Password/-ResetPasswordOnNextLogon, Set-User, the
  control endpoint);
- on changes made over LDAP behind the lab's back to what decides them: a PSO added, changed or
  deleted (every user is recomputed) and a group's ``member`` (the users that joined or left): a
  poller compares the PSOs' and groups' entryCSN every ``POLL_SECONDS``.

Not covered: pwdLastSet or userAccountControl written over LDAP behind the lab's back (the client
never does: it resets through Set-Mailbox) are seen at the lab's next write of that user or next PSO
change. A reader may see the old value for up to ``POLL_SECONDS`` after a PSO or group change.
"""

from __future__ import annotations

import threading
from typing import Any

from exchange_lab.password_policy import (
    DOMAIN_POLICY,
    Policy,
    expiry_time,
    is_global_security_group,
    policy_from_entry,
    resultant,
)

POLL_SECONDS = 1.0
PSO_CONTAINER = "CN=Password Settings Container,CN=System"
TRIGGERS = frozenset({"pwdlastset", "useraccountcontrol"})
_PSO_ATTRIBUTES = [
    "objectGUID",
    "entryCSN",
    "msDS-PasswordSettingsPrecedence",
    "msDS-MinimumPasswordLength",
    "msDS-PasswordComplexityEnabled",
    "msDS-PasswordHistoryLength",
    "msDS-MaximumPasswordAge",
    "msDS-PSOAppliesTo",
]
_USER_ATTRIBUTES = [
    "objectClass",
    "userAccountControl",
    "pwdLastSet",
    "msDS-ResultantPSO",
    "msDS-UserPasswordExpiryTimeComputed",
]


class ComputedAttributes:
    def __init__(self, directory: Any) -> None:
        self.directory = directory
        self._psos: dict[str, Policy] = {}
        self._pso_csn: dict[str, str] = {}
        self._group_csn: dict[str, str] = {}
        self._global: set[str] = set()
        self._members: dict[str, set[str]] = {}  # group DN -> member DNs (lower case)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- the policy of one user ------------------------------------------------------------------------
    def groups_of(self, dn: str) -> set[str]:
        """The global security groups ``dn`` belongs to, directly or through nested groups."""
        found: set[str] = set()
        todo = [dn.lower()]
        while todo:
            member = todo.pop()
            for group, members in self._members.items():
                if member in members and group not in found:
                    found.add(group)
                    todo.append(group)
        return found & self._global

    def policy_for(self, dn: str) -> Policy:
        """The policy that governs ``dn`` now (its resultant PSO, else the domain's)."""
        with self.directory.lock:
            self.poll()
            return resultant(dn, self.groups_of(dn), self._psos.values()) or DOMAIN_POLICY

    # -- keeping the stored values current -------------------------------------------------------------
    def refresh(self, dn: str, entry: dict[str, Any] | None = None) -> None:
        """Recompute one user's values and write those that differ."""
        entry = entry or self.directory.read(dn, _USER_ATTRIBUTES)
        if entry is None or "user" not in {c.lower() for c in entry.get("objectclass", [])}:
            return
        pso = resultant(entry["dn"], self.groups_of(entry["dn"]), self._psos.values())

        def one(name: str) -> str | None:
            values = entry.get(name)
            return values[0] if values else None

        expiry = expiry_time(
            int(one("useraccountcontrol") or 0), int(one("pwdlastset") or 0), pso or DOMAIN_POLICY
        )
        want = {
            "msDS-ResultantPSO": pso.dn if pso else None,
            "msDS-UserPasswordExpiryTimeComputed": str(expiry),
        }
        changes = {
            name: value
            for name, value in want.items()
            if (one(name.lower()) or "").lower() != (value or "").lower()
        }
        if changes:
            self.directory.modify(entry["dn"], changes)

    def refresh_all(self) -> None:
        for entry in self.directory.search(self.directory.base_dn, "(objectClass=user)", _USER_ATTRIBUTES):
            self.refresh(entry["dn"], entry)

    def poll(self, recompute: bool = True) -> None:
        """Read the PSOs and the groups' change marks; recompute the users whose policy may have moved."""
        directory = self.directory
        with directory.lock:
            psos = directory.search(
                f"{PSO_CONTAINER},{directory.base_dn}", "(objectClass=msDS-PasswordSettings)", _PSO_ATTRIBUTES
            )
            pso_csn = {e["dn"].lower(): (e.get("entrycsn") or [""])[0] for e in psos}
            full = pso_csn != self._pso_csn
            self._pso_csn = pso_csn
            self._psos = {e["dn"].lower(): policy_from_entry(e) for e in psos}
            affected: set[str] = set()
            groups = directory.search(directory.base_dn, "(objectClass=group)", ["entryCSN", "groupType"])
            seen = set()
            for group in groups:
                key = group["dn"].lower()
                seen.add(key)
                if is_global_security_group(int((group.get("grouptype") or ["0"])[0]) & 0xFFFFFFFF):
                    self._global.add(key)
                else:
                    self._global.discard(key)
                csn = (group.get("entrycsn") or [""])[0]
                if self._group_csn.get(key) != csn:
                    self._group_csn[key] = csn
                    read = directory.read(group["dn"], ["member"]) or {}
                    members = {m.lower() for m in read.get("member", [])}
                    affected |= members ^ self._members.get(key, set())
                    self._members[key] = members
            for key in set(self._members) - seen:
                affected |= self._members.pop(key)
                self._group_csn.pop(key, None)
                self._global.discard(key)
            if not recompute:
                return
            if full or affected & set(self._members):  # a PSO or a nested group moved: everyone
                self.refresh_all()
            else:
                for dn in affected:
                    self.refresh(dn)

    def start(self) -> None:
        """Compute every user's values once, then follow changes made behind the lab's back."""
        self.poll(recompute=False)
        self.refresh_all()
        self._thread = threading.Thread(target=self._run, name="computed-attributes", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            try:
                self.poll()
            except Exception:  # slapd restarting: try again at the next tick
                continue

    def stop(self) -> None:
        self._stop.set()
