# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Forwards on OBM (R-50): the Sieve ``redirect`` commands of every user's scripts, read and removed
over ManageSieve (Cyrus ``timsieved``, ``managesieve``) as the Cyrus administrator acting for each
user.

``read_forwards``: ONE paged LDAP search for every ``obmUser`` with a mailbox under
``dc=<domain>,<base>`` (hand-made entries included), then per user LISTSCRIPTS and GETSCRIPT of
each script, parsed (``sieve.parse``). ``workers`` sessions run side by side, each serving its users
one after the other on one TLS connection (UNAUTHENTICATE between users). A redirect is ``enabled``
when its script is the active one or is included (``include :personal``) from it. A script that
cannot be read or parsed is reported as ``SIEVE_UNPARSEABLE``, never skipped.

``remove_forwards``: per (user, script), GETSCRIPT, cut exactly the redirects to the given targets
(``sieve.remove_commands``), CHECKSCRIPT, PUTSCRIPT under the same name, SETACTIVE again when it was
active. A redirect already gone is done.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Optional

from ansible_collections.danang.mail.plugins.module_utils import sieve
from ansible_collections.danang.mail.plugins.module_utils.backends.contract import BackendError, Result
from ansible_collections.danang.mail.plugins.module_utils.backends.ldap import LdapSession
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.config import ObmConfig
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.connection import search_domain
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.managesieve import (
    ManageSieve,
    SieveProtocolError,
    SieveRefused,
)
from ansible_collections.danang.mail.plugins.module_utils.forwarding import (
    SIEVE_REDIRECT,
    SIEVE_UNPARSEABLE,
    Forward,
)
from ansible_collections.danang.mail.plugins.module_utils.model import SYSTEM_OBM

USER_FILTER = "(&(objectClass=obmUser)(mailBox=*))"
USER_ATTRIBUTES = ("mail", "mailBox")
ACTION = "remove_forward"
_REFUSED = "(scripts not readable): "


class ObmForwarding:
    def __init__(self, config: ObmConfig, directory: LdapSession, workers: int = 4) -> None:
        self.config, self.directory, self.workers = config, directory, max(1, workers)
        self._users: Optional[dict[str, str]] = None  # holder address -> Cyrus user (login@domain)

    def _session(self) -> ManageSieve:
        c = self.config
        return ManageSieve(
            c.imap_host,
            c.sieve_port,
            c.imap_admin,
            c.imap_admin_password,
            tls=c.imap_tls != "none",
            validate_certs=c.validate_certs,
            ca_file=c.ca_file,
            timeout=c.timeout,
        )

    @contextmanager
    def _open(self) -> Iterator[ManageSieve]:
        session = self._session()
        try:
            yield session
        finally:
            session.close()

    def users(self) -> dict[str, str]:
        """``{holder address: Cyrus user}`` of every person with a mailbox: one paged search."""
        if self._users is None:
            found: dict[str, str] = {}
            for entry in search_domain(self.directory, self.config, USER_FILTER, USER_ATTRIBUTES):
                box = (entry.first("mailBox") or "").lower().lstrip("+")
                found[entry.address or box] = box
            self._users = found
        return self._users

    # --- read ---------------------------------------------------------------------------------------
    def read_forwards(self) -> list[Forward]:
        users = sorted(self.users().items())
        shares = [users[i :: self.workers] for i in range(self.workers)]
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            found = sorted(f for part in pool.map(self._read_share, [s for s in shares if s]) for f in part)
        refused = [f for f in found if f.mechanism == SIEVE_UNPARSEABLE and f.where.startswith(_REFUSED)]
        if users and len(refused) == len(users):  # nobody at all: the administrator, not the users
            raise BackendError(refused[0].where[len(_REFUSED) :])
        return found

    def _read_share(self, users: list[tuple[str, str]]) -> list[Forward]:
        found: list[Forward] = []
        with self._open() as session:
            for holder, user in users:
                try:
                    found += self._read_user(session, holder, user)
                except SieveRefused as exc:  # also a user without a Cyrus mailbox (a half-made account)
                    found.append(
                        Forward(SYSTEM_OBM, holder, "", SIEVE_UNPARSEABLE, f"{_REFUSED}{exc}", False)
                    )
                except SieveProtocolError as exc:
                    raise BackendError(str(exc)) from None
        return found

    def _read_user(self, session: ManageSieve, holder: str, user: str) -> list[Forward]:
        session.login(user)
        scripts = session.list_scripts()
        parsed: dict[str, sieve.Script] = {}
        found: list[Forward] = []
        for name in sorted(scripts):
            try:
                parsed[name] = sieve.parse(session.get_script(name))
            except (sieve.SieveError, SieveRefused) as exc:
                found.append(
                    Forward(SYSTEM_OBM, holder, "", SIEVE_UNPARSEABLE, f"{name}: {exc}", scripts[name])
                )
        running = _running(scripts, parsed)
        for name, script in parsed.items():
            for redirect in script.redirects:
                found.append(
                    Forward(SYSTEM_OBM, holder, redirect.target, SIEVE_REDIRECT, name, name in running)
                )
        return found

    # --- remove -------------------------------------------------------------------------------------
    def remove_forwards(self, forwards: Sequence[Forward]) -> list[Result]:
        outcome: dict[tuple[str, str], Optional[str]] = {}  # (holder, script) -> error or None
        groups: dict[tuple[str, str], set[str]] = {}
        for forward in forwards:
            if forward.mechanism == SIEVE_REDIRECT:
                groups.setdefault((forward.holder, forward.where), set()).add(forward.target)
        if groups:
            with self._open() as session:
                for (holder, name), targets in groups.items():
                    outcome[(holder, name)] = self._remove(session, holder, name, targets)
        results = []
        for forward in forwards:
            if forward.mechanism == SIEVE_UNPARSEABLE:
                error: Optional[str] = (
                    f"the script cannot be read or parsed, change it by hand: {forward.where}"
                )
            elif forward.mechanism != SIEVE_REDIRECT:
                error = f"not an OBM forward ({forward.mechanism})"
            else:
                error = outcome[(forward.holder, forward.where)]
            results.append(Result(forward.holder, ACTION, error is None, error))
        return results

    def _remove(self, session: ManageSieve, holder: str, name: str, targets: set[str]) -> Optional[str]:
        """None when no redirect of ``name`` goes to ``targets`` any more, else what failed."""
        user = self.users().get(holder)
        if user is None:
            return f"no OBM user {holder}"
        try:
            session.login(user)
            scripts = session.list_scripts()
            if name not in scripts:
                return None  # the script, and its redirects, are gone
            text = session.get_script(name)
            spans = [r.span for r in sieve.parse(text).redirects if r.target in targets]
            if not spans:
                return None
            edited = sieve.remove_commands(text, spans)
            steps = [("CHECKSCRIPT", lambda: session.check_script(edited))]
            steps.append(("PUTSCRIPT", lambda: session.put_script(name, edited)))
            if scripts[name]:
                steps.append(("SETACTIVE", lambda: session.set_active(name)))
            for step, run in steps:
                reply = run()
                if not reply.ok:
                    return f"{step} {name} refused: {reply.text or reply.status}"
        except sieve.SieveError as exc:
            return f"{name} cannot be parsed: {exc}"
        except SieveProtocolError as exc:
            session.close()
            return str(exc)
        return None


def _running(scripts: dict[str, bool], parsed: dict[str, sieve.Script]) -> set[str]:
    """The active script and every personal script it includes, directly or not (RFC 6609)."""
    running: set[str] = set()
    pending = [name for name, active in scripts.items() if active]
    while pending:
        name = pending.pop()
        if name in running or name not in scripts:
            continue
        running.add(name)
        pending += parsed[name].includes if name in parsed else []
    return running
