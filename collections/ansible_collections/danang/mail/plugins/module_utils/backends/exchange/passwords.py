# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Passwords on Exchange and its AD: the facts of every person in one paged search, locks, resets.

- Facts: ONE paged AD search of the managed OU (``Directory.users``). Persons are the accounts with
  a user mailbox (``msExchRecipientTypeDetails`` 1); shared mailboxes have no password of their own.
  ``must_change`` is ``pwdLastSet`` 0, which erases the time, so ``issued_at`` is the time recorded
  in ``CustomAttribute1`` (``extensionAttribute1``) by the Exchange backend when it made the account
  and by a reset here; ``changed_at`` is ``pwdLastSet``; ``last_login`` AD's ``lastLogonTimestamp``.
- Lock (R-41): AD has no administrator lock (``lockoutTime`` is the failed-logon lockout, which
  expires by itself), so the lock is a disable (``ACCOUNTDISABLE``) marked as the policy's in
  ``extensionAttribute2``, in one LDAP modify (see ``ad``). A disabled account refuses
  every logon: Kerberos, NTLM, Basic (EWS, remote PowerShell), LDAP binds. ``locked`` is that mark;
  such an account counts as ``enabled`` (the desired state still wants it), as on OBM.
- Reset (R-40): ``Set-Mailbox -Identity <address> -Password <SecureString>
  -ResetPasswordOnNextLogon $true -CustomAttribute1 <issue record>``, on-premises Exchange's
  administrator reset (the service account needs the User Options or Reset Password RBAC role). The
  password travels as a SecureString encrypted with the session key, and AD checks it against the
  fine-grained policy. Not the LDAP route: AD accepts ``unicodePwd`` only over an encrypted LDAP
  connection (LDAPS or a sealed SASL bind), which the AD connection need not be, and it would need
  the password quoted into UTF-16 by hand. Then the lock, if any, is lifted in AD: after the new
  password is set, so the old one never logs in again.
- Bulk: the resets' Set-Mailbox calls go as the statements of pipelines of ``batch_size`` (one
  round trip each); LDAP has no bulk modify, so a lock or unlock is one modify per account on one
  connection. A reset whose outcome the transport cannot tell (a connection lost mid-pipeline) is
  checked by one AD re-read: done when ``pwdLastSet`` is 0 and the issue record is this run's.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Optional, Union

from ansible_collections.danang.mail.plugins.module_utils.backends.contract import BackendError, Result
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.ad import (
    ACCOUNTDISABLE,
    ISSUE_ATTRIBUTE,
    POLICY_LOCK_AD_ATTRIBUTE,
    POLICY_LOCK_PREFIX,
    USER_MAILBOX,
    ADError,
    ADUser,
    Directory,
    issue_record,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.config import (
    ExchangeConfig,
    utc_now,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import (
    OK,
    UNKNOWN,
    Invocation,
    Secret,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.transport import ExchangeTransport
from ansible_collections.danang.mail.plugins.module_utils.backends.ldap import HAS_LDAP3
from ansible_collections.danang.mail.plugins.module_utils.model import SYSTEM_EXCHANGE
from ansible_collections.danang.mail.plugins.module_utils.password_policy import LOCK, RESET, PasswordFacts
from ansible_collections.danang.mail.plugins.module_utils.times import UTC, iso

if HAS_LDAP3:
    import ldap3


class Unset:
    """The default of an optional parameter that is left out of an invocation (None is $null)."""


UNSET = Unset()


def policy_lock_record(moment: datetime.datetime) -> str:
    """The mark of a password policy lock (R-41), with its time (UTC)."""
    return POLICY_LOCK_PREFIX + str(iso(moment, UTC))


def address_of(user: ADUser) -> str:
    """The account's address: ``mail`` (Exchange's primary SMTP address), else the UPN (R-03)."""
    return (user.mail or user.user_principal_name or "").strip().lower()


def facts_from_user(user: ADUser) -> Optional[PasswordFacts]:
    """The backend-neutral facts of a person's AD account; None for anything else (a shared
    mailbox, an account without a mailbox)."""
    address = address_of(user)
    if user.recipient_type != USER_MAILBOX or not address:
        return None
    must_change = user.must_change_password
    return PasswordFacts(
        address=address,
        system=SYSTEM_EXCHANGE,
        enabled=user.enabled or user.policy_locked,
        must_change=must_change,
        issued_at=user.password_issued if must_change else None,
        changed_at=user.password_changed,
        locked=user.policy_locked,
        last_login=user.last_logon,
    )


def password_invocation(
    address: str, password: str, *, must_change: bool, issue: Union[str, Unset, None] = UNSET
) -> Invocation:
    """Set-Mailbox -Password as an administrator sets it: ``must_change`` is
    -ResetPasswordOnNextLogon (a Boolean, not a switch; $false stamps pwdLastSet now), ``issue`` the
    issue record (CustomAttribute1; None clears it, left alone when not given)."""
    params: dict[str, Any] = {
        "Identity": address,
        "Password": Secret(password),
        "ResetPasswordOnNextLogon": must_change,
    }
    if not isinstance(issue, Unset):
        params[ISSUE_ATTRIBUTE] = issue
    return Invocation.of("Set-Mailbox", params, address)


def reset_invocation(address: str, password: str, moment: datetime.datetime) -> Invocation:
    """The administrator's reset of one person (R-40): new password, change at next logon, and the
    issue time the 3-working-day rule counts from (R-41)."""
    return password_invocation(address, password, must_change=True, issue=issue_record(moment))


class ExchangePasswords:
    """``read_password_facts``, ``lock`` and ``reset`` on the system's PowerShell and AD sessions."""

    def __init__(
        self,
        config: ExchangeConfig,
        transport: ExchangeTransport,
        directory: Directory,
        *,
        clock: Callable[[], datetime.datetime] = utc_now,
    ) -> None:
        self.config = config
        self.transport = transport
        self.directory = directory
        self._clock = clock
        self._users: dict[str, ADUser] = {}  # address -> AD account, from the last read

    def _read_users(self) -> dict[str, ADUser]:
        try:
            users = self.directory.users()
        except ADError as exc:
            raise BackendError(str(exc)) from None
        return {address_of(u): u for u in users.values() if facts_from_user(u) is not None}

    def read_password_facts(self) -> dict[str, PasswordFacts]:
        self._users = self._read_users()
        return {a: f for a, u in self._users.items() if (f := facts_from_user(u)) is not None}

    def lock(self, addresses: Sequence[str]) -> list[Result]:
        mark = policy_lock_record(self._clock())
        results = []
        for address in addresses:
            user = self._users.get(address)
            if user is None:
                results.append(Result(address, LOCK, False, "no such person account (read it first)"))
                continue
            if user.policy_locked:
                results.append(Result(address, LOCK, True))
                continue
            # One modify: never disabled without the mark (the mailbox plan would re-enable it).
            error = self.directory.write(
                "modify",
                user.dn,
                {
                    "userAccountControl": [
                        (ldap3.MODIFY_REPLACE, [str(user.user_account_control | ACCOUNTDISABLE)])
                    ],
                    POLICY_LOCK_AD_ATTRIBUTE: [(ldap3.MODIFY_REPLACE, [mark])],
                },
            )
            results.append(Result(address, LOCK, error is None, error))
        return results

    def reset(self, passwords: Mapping[str, str]) -> list[Result]:
        moment = self._clock().replace(microsecond=0)
        errors: dict[str, Optional[str]] = {}
        invocations = []
        for address, password in passwords.items():
            if address in self._users:
                invocations.append(reset_invocation(address, password, moment))
            else:
                errors[address] = "no such person account (read it first)"
        size = self.config.exchange.batch_size
        outcomes = self.transport.run(invocations, batch_size=size) if invocations else []
        for outcome in outcomes:
            errors[str(outcome.invocation.key)] = None if outcome.status == OK else outcome.error
        users = self._users
        if any(o.status == UNKNOWN for o in outcomes):
            users = self._settle(
                [str(o.invocation.key) for o in outcomes if o.status == UNKNOWN], moment, errors
            )
        for address in passwords:
            user = users.get(address)
            if errors.get(address) is None and user is not None and user.policy_locked:
                # Lifts ACCOUNTDISABLE and removes the mark in one modify.
                failed = self.directory.set_enabled(user, True)
                if failed:
                    errors[address] = f"the new password is set but the account stays locked: {failed}"
        return [Result(a, RESET, errors.get(a) is None, errors.get(a)) for a in passwords]

    def _settle(
        self, unsure: list[str], moment: datetime.datetime, errors: dict[str, Optional[str]]
    ) -> dict[str, ADUser]:
        """Re-read AD: a reset whose pipeline was lost is done when AD shows this run's issue record
        and a forced change; the accounts as read now (the last read's when AD cannot be read)."""
        try:
            users = self._read_users()
        except BackendError as exc:
            for address in unsure:
                errors[address] = f"{errors[address]}; the check afterwards failed too: {exc}"
            return self._users
        record = issue_record(moment)
        for address in unsure:
            user = users.get(address)
            if user is not None and user.must_change_password and user.issue_record == record:
                errors[address] = None
        return users
