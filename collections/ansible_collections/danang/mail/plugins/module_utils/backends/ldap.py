# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ldap3 as both directories use it (OBM's OpenLDAP and Active Directory): the import guard, a
bound connection, the one lazy session (:class:`LdapSession`), one paged search, the reason of a
refusal. Messages say where (``LDAP <uri>``,
``AD <uri>``) and what failed, never the password.

A simple bind sends the password as it is: it goes only inside TLS (``ldaps://`` or STARTTLS, with
the certificate and host name checked unless ``validate_certs`` is off), or to this machine
(``transport_security``). A STARTTLS that fails is an error, never a fallback to clear text.
"""

from __future__ import annotations

import contextlib
import ssl
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.backends.transport_security import (
    clear_text_allowed,
)

try:
    import ldap3
    from ldap3.core.exceptions import LDAPException

    HAS_LDAP3 = True
    LDAP3_IMPORT_ERROR: Optional[str] = None
except ImportError:  # the modules report it with missing_required_lib('ldap3')
    HAS_LDAP3 = False
    LDAP3_IMPORT_ERROR = traceback.format_exc()

    class LDAPException(Exception):  # type: ignore[no-redef]
        """Stand-in so that ``except LDAPException`` still parses without ldap3."""


class LdapSearchError(Exception):
    """A search failed; ``broken`` when the connection itself failed (open a new one)."""

    def __init__(self, message: str, *, broken: bool) -> None:
        super().__init__(message)
        self.broken = broken


def refusal(conn: Any) -> str:
    """Why the server refused the last operation: its description and message."""
    result = conn.result or {}
    return f"{result.get('description')} {result.get('message') or ''}".rstrip()


def open_connection(
    uri: str,
    bind_dn: str,
    password: str,
    *,
    starttls: bool = False,
    validate_certs: bool = True,
    ca_file: Optional[str] = None,
    timeout: float = 30,
    label: str = "LDAP",
) -> ldap3.Connection:
    """A bound connection; raises ``ConnectionError`` saying where (``<label> <uri>``) and what failed.

    ``bind_dn`` is a DN, or for AD also a UPN; ``starttls`` applies to ``ldap://`` URIs only."""
    implicit = uri.lower().startswith("ldaps://")
    starttls = starttls and not implicit
    if not (implicit or starttls or clear_text_allowed(uri)):
        raise ConnectionError(
            f"{label} {uri}: refusing a simple bind without TLS to a host that is not a loopback "
            "address; use an ldaps:// URI or STARTTLS"
        )
    tls = None
    if implicit or starttls:
        tls = ldap3.Tls(
            validate=ssl.CERT_REQUIRED if validate_certs else ssl.CERT_NONE, ca_certs_file=ca_file
        )
    try:
        server = ldap3.Server(uri, get_info=ldap3.NONE, connect_timeout=timeout, tls=tls)
        conn = ldap3.Connection(
            server,
            user=bind_dn,
            password=password,
            receive_timeout=timeout,
            raise_exceptions=False,
            auto_referrals=False,
            return_empty_attributes=False,
            # AD sends at most MaxValRange (1,500) values of an attribute, a large group's member as
            # member;range=0-1499: ldap3 asks for the next ranges and joins them under "member".
            auto_range=True,
        )
        conn.open()
        if starttls and not conn.start_tls():
            raise ConnectionError(f"{label} {uri}: STARTTLS failed: {conn.result.get('description')}")
    except LDAPException as exc:
        raise ConnectionError(f"{label} {uri}: cannot connect: {exc}") from None
    try:
        bound = conn.bind()
    except LDAPException as exc:
        raise ConnectionError(f"{label} {uri}: bind as {bind_dn} failed: {exc}") from None
    if not bound:
        result = conn.result or {}
        reason = result.get("description") or "refused"
        message = result.get("message") or ""
        raise BindRefused(f"{label} {uri}: bind as {bind_dn} refused: {reason} {message}".rstrip())
    return conn


class BindRefused(ConnectionError):
    """The directory answered the bind and refused it (wrong password, locked, unknown DN)."""


def bind_refusal(target: LdapTarget) -> Optional[str]:
    """Whether a simple bind as ``target`` passes: None when it does (the connection is closed
    again), else the directory's refusal (AD's "data 773": a right password that must change).
    Raises ``ConnectionError`` when the directory cannot be asked."""
    try:
        conn = target.open()
    except BindRefused as exc:
        return str(exc)
    with contextlib.suppress(LDAPException):
        conn.unbind()
    return None


def paged_search(
    conn: Any,
    base: str,
    search_filter: str,
    attributes: Iterable[str],
    page_size: int,
    *,
    where: str,
) -> list[dict[str, Any]]:
    """The entries (ldap3 response items) of one paged subtree search below ``base``; raises
    ``LdapSearchError`` naming ``where`` (``<label> <uri>``)."""
    try:
        found = [
            item
            for item in conn.extend.standard.paged_search(
                base,
                search_filter,
                search_scope=ldap3.SUBTREE,
                attributes=list(attributes),
                paged_size=page_size,
                generator=True,
            )
            if item.get("type") == "searchResEntry"
        ]
    except LDAPException as exc:
        raise LdapSearchError(f"{where}: search of {base} failed: {exc}", broken=True) from None
    if (conn.result or {}).get("result", 0) != 0:
        raise LdapSearchError(f"{where}: search of {base} failed: {refusal(conn)}", broken=False)
    return found


@dataclass(frozen=True)
class LdapTarget:
    """Where and as whom to bind; ``label`` starts every message (``LDAP <uri>``, ``AD <uri>``)."""

    uri: str
    bind_dn: str
    password: str
    starttls: bool = False
    validate_certs: bool = True
    ca_file: Optional[str] = None
    timeout: float = 30
    label: str = "LDAP"

    def __repr__(self) -> str:  # never the password
        return f"LdapTarget({self.uri!r}, {self.bind_dn!r})"

    def open(self) -> Any:
        """A connection bound as this target (``open_connection``)."""
        return open_connection(
            self.uri,
            self.bind_dn,
            self.password,
            starttls=self.starttls,
            validate_certs=self.validate_certs,
            ca_file=self.ca_file,
            timeout=self.timeout,
            label=self.label,
        )


class LdapSession:
    """A bound connection, opened on first use and again after a failure dropped it (``drop``).

    ``error`` is the exception the owner raises when the directory cannot be used (OBM:
    ``BackendError``, AD: ``ADError``); ``needed_by`` names the owner when ldap3 is missing."""

    def __init__(self, target: LdapTarget, error: type[Exception], needed_by: str) -> None:
        if not HAS_LDAP3:
            raise error(f"the Python library ldap3 is needed for {needed_by}")
        self.target = target
        self.error = error
        self._conn: Any = None

    def conn(self) -> Any:
        if self._conn is None or self._conn.closed:
            try:
                self._conn = self.target.open()
            except ConnectionError as exc:
                raise self.error(str(exc)) from None
        return self._conn

    def drop(self) -> None:
        """Forget a connection a failure broke: the next ``conn()`` opens a new one."""
        self._conn = None

    def search(
        self, base: str, search_filter: str, attributes: Iterable[str], page_size: int
    ) -> list[dict[str, Any]]:
        """``paged_search`` on this session; a broken connection is dropped, a failure raised as ``error``."""
        try:
            return paged_search(
                self.conn(),
                base,
                search_filter,
                attributes,
                page_size,
                where=f"{self.target.label} {self.target.uri}",
            )
        except LdapSearchError as exc:
            if exc.broken:
                self.drop()
            raise self.error(str(exc)) from None

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(LDAPException):
                conn.unbind()
