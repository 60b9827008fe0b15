# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AD's password rules as a domain controller applies them: no I/O (``computed.py`` does the LDAP).

- The policy that governs a user (``msDS-ResultantPSO``): among the PSOs whose msDS-PSOAppliesTo
  names the user itself, the lowest msDS-PasswordSettingsPrecedence; only when none does, among the
  PSOs applied to global security groups the user belongs to (directly or nested); a tie goes to
  the lowest objectGUID; no PSO: the domain's policy. Source:
  https://learn.microsoft.com/en-us/windows-server/identity/ad-ds/get-started/adac/fine-grained-password-policies
  ("How a resultant PSO is determined") and MS-ADTS 3.1.1.4.5.36 (msDS-ResultantPSO).
- ``msDS-UserPasswordExpiryTimeComputed`` (MS-ADTS 3.1.1.4.5.18,
  https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-adts/f9e9b7e2-c7ac-4db6-ba38-71d9696981e9):
  never (0x7FFFFFFFFFFFFFFF) for DONT_EXPIRE_PASSWD, SMARTCARD_REQUIRED and trust accounts; 0 when
  pwdLastSet is 0 (must change now); never when the effective maximum age is "never"; else
  pwdLastSet + |maximum age|.
- Complexity (https://learn.microsoft.com/en-us/windows/security/threat-protection/security-policy-settings/password-must-meet-complexity-requirements):
  3 of 4 character classes, not the sAMAccountName (longer than 2), not a displayName token of 3+
  characters (tokens split at , . - _ # space tab).
- History: AD keeps the last N hashes of the password (ntPwdHistory, newest first, the current one
  included) and refuses a new password whose hash is among them. AD's hashes are MD4 NT hashes;
  OpenSSL 3 has no MD4 here, so the lab keeps SHA-256 of the same UTF-16LE bytes: still hashes,
  never the password.
- The domain's own policy when no PSO applies: Windows Server's Default Domain Policy (7
  characters, complexity, history 24, maximum age 42 days), https://learn.microsoft.com/en-us/windows/security/threat-protection/security-policy-settings/password-policy.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

NEVER = 0x7FFFFFFFFFFFFFFF
TICKS_PER_DAY = 864_000_000_000
HASH_SIZE = 32
# userAccountControl bits after which a password never expires (MS-ADTS 2.2.16).
_NO_EXPIRY_BITS = 0x10000 | 0x40000 | 0x800 | 0x1000 | 0x2000  # DONT_EXPIRE, SMARTCARD, trusts
_GLOBAL_GROUP = 0x2
_SECURITY_ENABLED = 0x80000000
_TOKEN_DELIMITERS = re.compile(r"[,.\-_#\s]+")


@dataclass(frozen=True)
class Policy:
    dn: str | None  # the PSO's DN; None for the domain's policy
    precedence: int
    guid: bytes
    min_length: int
    complexity: bool
    history: int
    max_age: int  # AD's negative interval in 100 ns ticks; -2**63 or 0 means never
    applies_to: frozenset[str]


DOMAIN_POLICY = Policy(None, 0, b"", 7, True, 24, -42 * TICKS_PER_DAY, frozenset())


def _one(entry: Mapping[str, list[object]], name: str, default: object = None) -> object:
    values = entry.get(name.lower()) or []
    return values[0] if values else default


def policy_from_entry(entry: Mapping[str, list[object]]) -> Policy:
    """A PSO from its LDAP entry (lower-case attribute names, lists of values, 'dn')."""
    guid = _one(entry, "objectGUID", b"")
    return Policy(
        dn=str(entry["dn"]),
        precedence=int(str(_one(entry, "msDS-PasswordSettingsPrecedence", 0))),
        guid=guid if isinstance(guid, bytes) else str(guid).encode(),
        min_length=int(str(_one(entry, "msDS-MinimumPasswordLength", 0))),
        complexity=str(_one(entry, "msDS-PasswordComplexityEnabled", "FALSE")).upper() == "TRUE",
        history=int(str(_one(entry, "msDS-PasswordHistoryLength", 0))),
        max_age=int(str(_one(entry, "msDS-MaximumPasswordAge", 0))),
        applies_to=frozenset(str(v).lower() for v in entry.get("msds-psoappliesto", [])),
    )


def is_global_security_group(group_type: int) -> bool:
    return bool(group_type & _GLOBAL_GROUP and group_type & _SECURITY_ENABLED)


def resultant(user_dn: str, groups: Iterable[str], psos: Iterable[Policy]) -> Policy | None:
    """The PSO that governs ``user_dn`` given the DNs of its global security groups; None: domain's."""
    psos = list(psos)
    direct = [p for p in psos if user_dn.lower() in p.applies_to]
    if not direct:
        group_dns = {g.lower() for g in groups}
        direct = [p for p in psos if p.applies_to & group_dns]
    return min(direct, key=lambda p: (p.precedence, p.guid)) if direct else None


def expiry_time(user_account_control: int, pwd_last_set: int, policy: Policy) -> int:
    """msDS-UserPasswordExpiryTimeComputed (FILETIME) for a user under ``policy``."""
    if user_account_control & _NO_EXPIRY_BITS:
        return NEVER
    if pwd_last_set == 0:
        return 0
    if policy.max_age in (0, -(2**63)):
        return NEVER
    return min(pwd_last_set + abs(policy.max_age), NEVER)


def password_hash(password: str) -> bytes:
    return hashlib.sha256(password.encode("utf-16-le")).digest()


def split_history(blob: bytes | None) -> list[bytes]:
    blob = blob or b""
    return [blob[i : i + HASH_SIZE] for i in range(0, len(blob) - HASH_SIZE + 1, HASH_SIZE)]


def remember(blob: bytes | None, password: str, policy: Policy) -> bytes:
    """The history after ``password`` became current: its hash first, ``policy.history`` kept."""
    return b"".join([password_hash(password), *split_history(blob)][: max(policy.history, 1)])


def refusal(password: str, sam: str, display_name: str, policy: Policy, history: bytes | None) -> str | None:
    """Why AD refuses ``password`` for this user (length, complexity or history); None: accepted."""
    if len(password) < policy.min_length:
        return "length"
    if policy.complexity:
        classes = sum(
            (
                any(c.islower() for c in password),
                any(c.isupper() for c in password),
                any(c.isdigit() for c in password),
                any(not c.isalnum() for c in password),
            )
        )
        lowered = password.lower()
        tokens = [t for t in _TOKEN_DELIMITERS.split(display_name.lower()) if len(t) >= 3]
        if classes < 3 or (len(sam) > 2 and sam.lower() in lowered) or any(t in lowered for t in tokens):
            return "complexity"
    if password_hash(password) in split_history(history)[: policy.history]:
        return "history"
    return None
