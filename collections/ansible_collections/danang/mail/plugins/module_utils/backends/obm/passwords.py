# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Passwords on OBM: the ppolicy facts of every person in one paged search, locks and resets.

Measured on the lab (slapd 2.5 ppolicy, ``tests/integration/test_password_policy.py``):

- ``pwdChangedTime`` is stamped by the server whenever ``userPassword`` is set: by the add (the
  mailbox module adds with ``pwdReset: TRUE``), by an administrator's reset, by the holder's own
  change. While ``pwdReset`` is TRUE it is therefore the time the initial or reset password was
  issued; the holder's change removes ``pwdReset``.
- ``pwdAccountLockedTime: 000001010000Z`` refuses every bind (so every IMAP login, which saslauthd
  checks by binding) until an administrator removes it; ppolicy honours it only with
  ``pwdLockout: TRUE`` in the policy (the obm_server role sets it). Any other value is the
  server's own timed lockout after failed logins: not a policy lock (``locked`` stays False).
- The administrator's modify of ``userPassword`` + ``pwdReset: TRUE`` is the reset: ppolicy removes
  ``pwdAccountLockedTime`` itself when an administrator sets the password (a modify that also
  removes it is refused, ``noSuchAttribute``); the holder binds with the new password, may only
  change it, and ``pwdChangedTime`` is the new issue time.

LDAP has no bulk modify: a lock or a reset is one modify per entry, all on one connection.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ansible_collections.danang.mail.plugins.module_utils.backends.contract import BackendError, Result
from ansible_collections.danang.mail.plugins.module_utils.backends.ldap import (
    HAS_LDAP3,
    LDAPException,
    LdapSession,
    refusal,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.config import ObmConfig
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.connection import search_domain
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.layout import (
    PASSWORD_FACTS,
    PERMIT,
    Entry,
)
from ansible_collections.danang.mail.plugins.module_utils.model import SYSTEM_OBM
from ansible_collections.danang.mail.plugins.module_utils.password_policy import LOCK, RESET, PasswordFacts
from ansible_collections.danang.mail.plugins.module_utils.times import generalized_time

if HAS_LDAP3:
    import ldap3

PERMANENT_LOCK = "000001010000Z"  # slapo-ppolicy(5): locked until an administrator unlocks
PERSON_FILTER = "(objectClass=obmUser)"
READ = ("mail", "mailAccess", *PASSWORD_FACTS)


def facts_from_entry(entry: Entry) -> PasswordFacts:
    """The backend-neutral facts of one OBM person entry."""
    must_change = (entry.first("pwdReset") or "").upper() == "TRUE"
    changed = generalized_time(entry.first("pwdChangedTime"))
    return PasswordFacts(
        address=(entry.first("mail") or "").lower(),
        system=SYSTEM_OBM,
        enabled=(entry.first("mailAccess") or "").upper() == PERMIT,
        must_change=must_change,
        issued_at=changed if must_change else None,
        changed_at=changed,
        locked=entry.first("pwdAccountLockedTime") == PERMANENT_LOCK,
        last_login=generalized_time(entry.first("pwdLastSuccess")),
    )


class ObmPasswords:
    """``read_password_facts``, ``lock`` and ``reset`` on OBM's directory session."""

    def __init__(self, config: ObmConfig, directory: LdapSession) -> None:
        self.config = config
        self.directory = directory
        self._dns: dict[str, str] = {}  # address -> DN, from the last read

    def read_password_facts(self) -> dict[str, PasswordFacts]:
        entries = search_domain(self.directory, self.config, PERSON_FILTER, READ)
        facts: dict[str, PasswordFacts] = {}
        self._dns = {}
        for entry in entries:
            item = facts_from_entry(entry)
            if item.address:
                facts[item.address] = item
                self._dns[item.address] = entry.dn
        return facts

    def _modify(self, address: str, action: str, changes: Mapping[str, list[str]]) -> Result:
        dn = self._dns.get(address)
        if dn is None:
            return Result(address, action, False, "no such person account (read it first)")
        mods = {name: [(ldap3.MODIFY_REPLACE, values)] for name, values in changes.items()}
        try:
            conn = self.directory.conn()
            if conn.modify(dn, mods):
                return Result(address, action, True)
            return Result(address, action, False, f"LDAP modify refused: {refusal(conn)}")
        except (LDAPException, BackendError) as exc:
            self.directory.drop()  # reconnect for the next one
            return Result(address, action, False, f"LDAP modify failed: {exc}")

    def lock(self, addresses: Sequence[str]) -> list[Result]:
        return [self._modify(a, LOCK, {"pwdAccountLockedTime": [PERMANENT_LOCK]}) for a in addresses]

    def reset(self, passwords: Mapping[str, str]) -> list[Result]:
        # Cleartext over the administrator's connection; ppolicy hashes it (olcPPolicyHashCleartext)
        # and, the password being set by an administrator, removes the lock itself (see above).
        return [
            self._modify(address, RESET, {"userPassword": [password], "pwdReset": ["TRUE"]})
            for address, password in passwords.items()
        ]
