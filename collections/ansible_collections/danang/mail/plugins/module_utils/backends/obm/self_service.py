# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""OBM for the self-service page: the page's own LDAP identity (``uid=password-portal,ou=sysusers``),
never the administrator.

- Check: the portal identity finds the person by ``mail`` (value escaped by ldap3), then a simple
  bind as the person's DN with the typed password on a connection of its own. ppolicy lets an
  account with ``pwdReset`` bind (R-40: the initial password signs in), and counts a failed bind
  toward its lockout (pwdMaxFailure): the page's lockout is the directory's.
- Change: the portal identity replaces ``userPassword`` (clear text: ppolicy hashes it) and
  removes ``pwdReset`` in one modify. Measured on the lab (slapd 2.5.13, ``pwdMustChange: TRUE``,
  ``tests/integration/test_self_service_backends.py``): ppolicy treats an identity without
  ``manage`` access to ``userPassword`` (the portal's ``=wx``) as no password administrator, so
  its write is checked like the holder's own (quality, ``pwdInHistory``: ``constraintViolation``
  "Password is in history of old passwords"), records the old password in ``pwdHistory``, stamps
  ``pwdChangedTime`` and removes ``pwdReset`` itself. Only a password administrator's write
  (manage: the rootdn, root over ldapi) gets ``pwdReset: TRUE`` added; the modify names
  ``pwdReset`` anyway (a replace with no value, no error when absent), which tells ppolicy to leave
  it alone: the result is the same if the identity is ever given ``manage``.
- An answer lost on the way (``LDAPException``) is settled by binding with the new password.

OBM is the second system written, never put back (see ``module_utils/self_service``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional, Union

from ansible_collections.danang.mail.plugins.module_utils.backends.contract import BackendError
from ansible_collections.danang.mail.plugins.module_utils.backends.ldap import (
    HAS_LDAP3,
    LDAPException,
    LdapSession,
    LdapTarget,
    bind_refusal,
    refusal,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.layout import (
    HOLDER_ATTRIBUTE,
    PERMIT,
    entry_from_response,
    users_dn,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.self_service import (
    ABSENT,
    DONE,
    NO,
    REFUSED,
    UNKNOWN,
    Person,
    Step,
)
from ansible_collections.danang.mail.plugins.module_utils.model import SYSTEM_OBM

if HAS_LDAP3:
    import ldap3
    from ldap3.utils.conv import escape_filter_chars

NAME_ATTRIBUTES = ("cn", "displayName", "givenName", "sn")
READ = ("mail", "mailAccess", "pwdReset", HOLDER_ATTRIBUTE, *NAME_ATTRIBUTES)


@dataclass(frozen=True)
class ObmPortalSettings:
    """The ``obm`` part of the page's configuration (``self_service_config``)."""

    ldap_uri: str
    bind_dn: str
    bind_password: str = field(repr=False)
    domain: str
    base_dn: str = "dc=local"
    ldap_starttls: bool = True
    validate_certs: bool = True
    ca_file: Optional[str] = None
    timeout: float = 15

    def target(self, bind_dn: str, password: str) -> LdapTarget:
        return LdapTarget(
            self.ldap_uri,
            bind_dn,
            password,
            starttls=self.ldap_starttls,
            validate_certs=self.validate_certs,
            ca_file=self.ca_file,
            timeout=self.timeout,
        )


class ObmSelfService:
    """``SelfServiceSystem`` for OBM."""

    name = SYSTEM_OBM
    can_put_back = False

    def __init__(self, settings: ObmPortalSettings) -> None:
        self.settings = settings
        self.session = LdapSession(
            settings.target(settings.bind_dn, settings.bind_password), BackendError, "the OBM backend"
        )

    def _find(self, address: str) -> Union[Person, str]:
        s = self.settings
        search_filter = f"(&(objectClass=obmUser)(mail={escape_filter_chars(address)}))"
        # The page's identity may read the persons' entries only (obm_server's ACL), not the domain's.
        found = self.session.search(users_dn(s.domain, s.base_dn), search_filter, READ, 10)
        if not found:
            return ABSENT
        entry = entry_from_response(found[0])
        if len(found) > 1 or (entry.first("mailAccess") or "").upper() != PERMIT:  # disabled, reclaimed
            return NO
        names = tuple(v for name in NAME_ATTRIBUTES for v in entry.all(name))
        return Person(
            SYSTEM_OBM,
            address,
            names,
            entry.first(HOLDER_ATTRIBUTE),
            (entry.first("pwdReset") or "").upper() == "TRUE",
            before=entry.dn,
        )

    def _binds(self, dn: str, password: str) -> Optional[bool]:
        """Whether ``password`` binds as ``dn``: True, False when refused, None when slapd cannot
        be asked."""
        try:
            return bind_refusal(self.settings.target(dn, password)) is None
        except ConnectionError:
            return None

    def check(self, address: str, password: str) -> Union[Person, str]:
        try:
            found = self._find(address)
        except BackendError:
            return NO
        if not isinstance(found, Person):
            return found
        # An empty password would be an anonymous bind.
        return found if password and self._binds(str(found.before), password) else NO

    def set_password(self, person: Person, new_password: str) -> Step:
        dn = str(person.before)
        changes = {
            "userPassword": [(ldap3.MODIFY_REPLACE, [new_password])],
            "pwdReset": [(ldap3.MODIFY_REPLACE, [])],
        }
        try:
            conn = self.session.conn()
        except BackendError as exc:  # nothing was sent
            return Step(REFUSED, str(exc))
        try:
            if conn.modify(dn, changes):
                return Step(DONE)
            return Step(REFUSED, f"LDAP modify of {dn} refused: {refusal(conn)}")
        except LDAPException as exc:
            self.session.drop()
            return Step(UNKNOWN, f"LDAP modify of {dn}: the answer was lost: {exc}")

    def settle(self, person: Person, old_password: str, new_password: str) -> Optional[bool]:
        dn = str(person.before)
        if self._binds(dn, new_password):
            return True
        if self._binds(dn, old_password):
            return False
        return None

    def put_back(self, person: Person, old_password: str) -> Step:
        # Never called (can_put_back): ppolicy's history would refuse the old password anyway.
        return Step(REFUSED, "OBM is written last and never put back")

    def close(self) -> None:
        self.session.close()
