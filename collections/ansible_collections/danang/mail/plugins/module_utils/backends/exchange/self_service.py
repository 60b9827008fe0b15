# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exchange and its AD for the self-service page.

- Check: the service account finds the person's user in the managed OU by ``mail`` or UPN (value
  escaped), then a simple bind to AD as the user's DN with the typed password, on a connection of
  its own. AD answers a right password that must be changed (``pwdLastSet`` 0) with
  invalidCredentials and "data 773" in its message: that counts as right (R-40: the initial
  password signs in). Disabled (R-41 lock, R-23 reclaim), locked out, expired: refused.
- Change: ``Set-Mailbox -Password <SecureString> -ResetPasswordOnNextLogon $false``, the path the
  collection already uses for resets: AD stamps ``pwdLastSet`` now (the password policy's
  ``changed_at``). The issue record (CustomAttribute1) is left as it is.
- Put-back: the same cmdlet with the old password, ``-ResetPasswordOnNextLogon`` and
  ``-CustomAttribute1`` as they were when the person signed in: the 3-working-day clock (R-41) is
  where it was. An administrator's reset is not held to AD's password history (a DC checks it on a
  reset only when the request carries the policy-hints control).
- An unknown outcome (a lost pipeline) is settled by re-reading ``pwdLastSet``: changed = done.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional, Union

from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.ad import (
    HOLDER_ATTRIBUTE,
    ADError,
    ADUser,
    attribute_text,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.config import (
    ExchangeConfig,
    open_clients,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import OK, UNKNOWN
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.passwords import (
    password_invocation,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.ldap import bind_refusal
from ansible_collections.danang.mail.plugins.module_utils.backends.self_service import (
    ABSENT,
    DONE,
    NO,
    REFUSED,
    Person,
    Step,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.self_service import (
    UNKNOWN as STEP_UNKNOWN,
)
from ansible_collections.danang.mail.plugins.module_utils.model import SYSTEM_EXCHANGE

HOLDER_AD_ATTRIBUTE = "extensionAttribute" + HOLDER_ATTRIBUTE.removeprefix("CustomAttribute")
# AD's invalidCredentials sub-code for a right password that must be changed before use.
MUST_CHANGE_DATA = "data 773"


@dataclass(frozen=True)
class Before:
    """What a put-back restores, and what settles an unknown outcome."""

    dn: str
    must_change: bool
    issue_record: Optional[str]
    pwd_last_set: Optional[int]


class ExchangeSelfService:
    """``SelfServiceSystem`` for Exchange/AD."""

    name = SYSTEM_EXCHANGE
    can_put_back = True

    def __init__(self, config: ExchangeConfig) -> None:
        self.config = config
        self.transport, self.directory = open_clients(config)

    def _user(self, address: str) -> Optional[tuple[ADUser, Optional[str], Optional[str]]]:
        """The user at ``address`` with its display name and holder id; None when there is none
        (``ADError`` when two have it: neither signs in)."""
        found = self.directory.user_by_address(address, ("displayName", HOLDER_AD_ATTRIBUTE))
        if found is None:
            return None
        user, attributes = found
        return (
            user,
            attribute_text(attributes, "displayName"),
            attribute_text(attributes, HOLDER_AD_ATTRIBUTE),
        )

    def _binds(self, dn: str, password: str) -> bool:
        # The service account's AD connection settings, bound as the user.
        target = dataclasses.replace(self.directory.session.target, bind_dn=dn, password=password)
        try:
            refused = bind_refusal(target)
        except ConnectionError:
            return False
        return refused is None or MUST_CHANGE_DATA in refused

    def check(self, address: str, password: str) -> Union[Person, str]:
        try:
            found = self._user(address)
        except ADError:
            return NO
        if found is None:
            return ABSENT
        user, display_name, holder_id = found
        # An empty password would be an unauthenticated bind.
        if not password or not user.enabled or not self._binds(user.dn, password):
            return NO
        names = tuple(n for n in (display_name, user.given_name, user.surname) if n)
        before = Before(user.dn, user.must_change_password, user.issue_record, user.pwd_last_set)
        return Person(SYSTEM_EXCHANGE, address, names, holder_id, user.must_change_password, before)

    def _run(self, person: Person, password: str, **flags: object) -> Step:
        invocation = password_invocation(person.address, password, **flags)  # type: ignore[arg-type]
        outcome = self.transport.run([invocation])[0]  # refused before it started: FAILED
        if outcome.status == OK:
            return Step(DONE)
        status = STEP_UNKNOWN if outcome.status == UNKNOWN else REFUSED
        return Step(status, f"Set-Mailbox -Password: {outcome.error}")

    def set_password(self, person: Person, new_password: str) -> Step:
        return self._run(person, new_password, must_change=False)

    def settle(self, person: Person, old_password: str, new_password: str) -> Optional[bool]:
        before: Before = person.before
        try:
            found = self._user(person.address)
        except ADError:
            return None
        if found is None:
            return None
        return found[0].pwd_last_set != before.pwd_last_set

    def put_back(self, person: Person, old_password: str) -> Step:
        before: Before = person.before
        return self._run(person, old_password, must_change=before.must_change, issue=before.issue_record)

    def close(self) -> None:
        self.transport.close()
        self.directory.close()
