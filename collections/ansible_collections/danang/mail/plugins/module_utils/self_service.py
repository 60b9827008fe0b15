# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The self-service page's ``PasswordService`` (``password_change``): a holder's own password change
on every system that holds them (R-40, R-42, R-43), see docs/password-portal.md.

- ``sign_in``: the address must be of the configured domain; every configured system is asked
  (``backends/*/self_service.py``); the person must be held by at least one and the password right
  on every one that holds them. Any failure anywhere is the same None.
- ``problems``: the rule codes of ``passwords.password_problem_codes`` with the names the
  directories hold and the birth date and phone of the personal data file, keyed by the holder id
  the directories hold (R-43).
- ``change``: the rules first (REFUSED with their codes); then each system checks the old password
  again (the state a put-back restores is read now); then the writes, in the configured order
  (Exchange, then OBM). A write whose answer was lost is settled by the system's re-read. When a
  later system refuses or fails, the earlier ones are put back with the old password and their
  previous flags (ROLLED_BACK); a put-back that fails leaves the systems disagreeing
  (INCONSISTENT, logged with the address and the systems, never a password).

A set of the systems' connections serves one call at a time (ldap3 and PSRP connections are not
shared between threads); the page's process opens up to ``CONNECTIONS`` sets, so that many sign-ins
and changes run at once among its threads.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.self_service import (
    ExchangeSelfService,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.self_service import ObmSelfService
from ansible_collections.danang.mail.plugins.module_utils.backends.self_service import (
    NO,
    UNKNOWN,
    Person,
    SelfServiceSystem,
)
from ansible_collections.danang.mail.plugins.module_utils.model import (
    SYSTEM_EXCHANGE,
    SYSTEM_OBM,
    ValidationFailed,
)
from ansible_collections.danang.mail.plugins.module_utils.password_change import (
    CHANGED,
    INCONSISTENT,
    REFUSED,
    ROLLED_BACK,
    ChangeResult,
    Holder,
)
from ansible_collections.danang.mail.plugins.module_utils.passwords import password_problem_codes
from ansible_collections.danang.mail.plugins.module_utils.personal_data import PersonalData
from ansible_collections.danang.mail.plugins.module_utils.self_service_config import (
    config_problems,
    read_config,
)

__all__ = ["SelfService", "config_problems", "open_service"]

LOG = logging.getLogger("danang.mail.self_service")
MAX_ADDRESS = 254  # RFC 5321 path limit
MAX_PASSWORD = 256  # longer input is refused before any directory sees it
CONNECTIONS = 4  # sets of connections a page process opens at most (calls served at once)

Systems = Mapping[str, SelfServiceSystem]


class SelfService:
    """``password_change.PasswordService`` over ``systems`` (in write order)."""

    def __init__(
        self,
        domain: str,
        systems: Sequence[SelfServiceSystem],
        personal_data: Optional[Mapping[str, PersonalData]] = None,
        *,
        more: Optional[Callable[[], Sequence[SelfServiceSystem]]] = None,
        connections: int = CONNECTIONS,
    ) -> None:
        """``systems``: the first set of connections; ``more`` opens another (the same systems, in
        the same order) when every set is busy, up to ``connections`` sets."""
        self.domain = domain.lower()
        self.order = tuple(system.name for system in systems)
        self.personal_data = dict(personal_data or {})
        self._holder_ids: dict[str, str] = {}  # address -> holder id, from the last sign-in
        self._ids_lock = threading.Lock()  # problems() never waits for a directory
        self._more = more
        self._opened: list[Systems] = [{system.name: system for system in systems}]
        self._free = list(self._opened)
        self._free_lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max(connections, 1) if more else 1)

    @contextlib.contextmanager
    def _systems(self) -> Iterator[Systems]:
        """A set of connections no other call uses until this one ends."""
        with self._slots:
            with self._free_lock:
                systems = self._free.pop() if self._free else None
            if systems is None:  # every set busy: only with ``more`` do the slots outnumber the sets
                if self._more is None:
                    raise RuntimeError("no free set of connections")
                systems = {system.name: system for system in self._more()}
                with self._free_lock:
                    self._opened.append(systems)
            try:
                yield systems
            finally:
                with self._free_lock:
                    self._free.append(systems)

    # -- PasswordService ----------------------------------------------------------------------
    def _address(self, address: str) -> Optional[str]:
        address = address.strip().lower() if isinstance(address, str) else ""
        local, at, domain = address.rpartition("@")
        if not at or domain != self.domain or not local or len(address) > MAX_ADDRESS:
            return None
        if any(c.isspace() or not c.isprintable() for c in address):
            return None
        return address

    def _persons(self, systems: Systems, address: str, password: str) -> Optional[list[Person]]:
        """Every system's person at ``address`` when ``password`` is right on each that holds them."""
        persons = []
        for name in self.order:
            found = systems[name].check(address, password)
            if found == NO:
                return None
            if isinstance(found, Person):
                persons.append(found)
        return persons or None

    def sign_in(self, address: str, password: str) -> Optional[Holder]:
        wanted = self._address(address)
        if wanted is None or not isinstance(password, str) or not 0 < len(password) <= MAX_PASSWORD:
            return None  # an empty password would be an anonymous LDAP bind
        with self._systems() as systems:
            persons = self._persons(systems, wanted, password)
        if persons is None:
            return None
        holder_id = next((p.holder_id for p in persons if p.holder_id), None)
        if holder_id is not None:
            with self._ids_lock:
                self._holder_ids[wanted] = holder_id
        names = tuple(dict.fromkeys(name for p in persons for name in p.names))
        return Holder(wanted, tuple(p.system for p in persons), names, any(p.must_change for p in persons))

    def problems(self, holder: Holder, new_password: str) -> list[str]:
        with self._ids_lock:
            holder_id = self._holder_ids.get(holder.address)
        data = self.personal_data.get(holder_id) if holder_id else None
        return password_problem_codes(
            new_password,
            names=holder.names,
            birth_date=data.birth_date if data else None,
            phone=data.phone if data else None,
        )

    def change(self, holder: Holder, old_password: str, new_password: str) -> ChangeResult:
        codes = self.problems(holder, new_password)
        if codes:
            return ChangeResult(REFUSED, reason="the password breaks the rules", problems=tuple(codes))
        if len(new_password) > MAX_PASSWORD:
            return ChangeResult(REFUSED, reason="the password is too long")
        if new_password == old_password:
            return ChangeResult(REFUSED, reason="the new password is the current one")
        with self._systems() as systems:
            persons = self._persons(systems, holder.address, old_password)
            if persons is None or tuple(p.system for p in persons) != holder.systems:
                return ChangeResult(REFUSED, reason="the current password no longer signs in everywhere")
            return self._write(systems, holder.address, persons, old_password, new_password)

    # -- the writes ---------------------------------------------------------------------------
    def _write(
        self, systems: Systems, address: str, persons: list[Person], old: str, new: str
    ) -> ChangeResult:
        written: list[Person] = []
        for person in persons:
            system = systems[person.system]
            step = system.set_password(person, new)
            unsure = False
            if step.status == UNKNOWN:
                settled = system.settle(person, old, new)
                if settled is True:
                    written.append(person)
                    continue
                unsure = settled is None
            elif step.done:
                written.append(person)
                continue
            if unsure and not system.can_put_back:
                return self._inconsistent(address, [*written, person], person.system, step.reason)
            # An unsure write is put back too: the old password again is right either way.
            restore = [*written, person] if unsure else written
            return self._undo(systems, address, restore, bool(written), old, person.system, step.reason)
        LOG.info("password changed for %s on %s", address, ", ".join(p.system for p in persons))
        return ChangeResult(CHANGED)

    def _undo(
        self,
        systems: Systems,
        address: str,
        restore: list[Person],
        changed: bool,
        old: str,
        failed: str,
        reason: str,
    ) -> ChangeResult:
        """Put ``restore`` back, newest first; ``changed``: some system had the new password."""
        not_back = []
        for person in reversed(restore):
            step = systems[person.system].put_back(person, old)
            if not step.done:
                not_back.append(f"{person.system}: {step.reason}")
        if not_back:
            why = f"{reason}; the put-back failed: {'; '.join(not_back)}"
            return self._inconsistent(address, restore, failed, why)
        if changed:
            LOG.warning(
                "password change of %s failed on %s and was put back on %s: %s",
                address,
                failed,
                ", ".join(p.system for p in restore),
                reason,
            )
            return ChangeResult(ROLLED_BACK, failed, reason)
        return ChangeResult(REFUSED, failed, reason)

    def _inconsistent(self, address: str, persons: list[Person], failed: str, reason: str) -> ChangeResult:
        LOG.error(
            "password change of %s left the systems disagreeing (%s; failed on %s): %s",
            address,
            ", ".join(p.system for p in persons),
            failed,
            reason,
        )
        return ChangeResult(INCONSISTENT, failed, reason)

    # -- lifetime -----------------------------------------------------------------------------
    def close(self) -> None:
        with self._free_lock:
            for systems in self._opened:
                for system in systems.values():
                    system.close()

    def __enter__(self) -> SelfService:
        return self

    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()


def open_service(
    config: Mapping[str, Any], source: str = "the password portal's configuration"
) -> SelfService:
    """The service ``config`` (the page's configuration file, parsed; ``source`` names it)
    describes; raises ``model.ValidationFailed`` with every problem. Connections open on first use."""
    parsed, problems = read_config(config, source)
    if parsed is None:
        raise ValidationFailed(problems)

    def open_systems() -> list[SelfServiceSystem]:
        systems: list[SelfServiceSystem] = []
        for name in parsed.systems:
            if name == SYSTEM_EXCHANGE and parsed.exchange is not None:
                systems.append(ExchangeSelfService(parsed.exchange))
            elif name == SYSTEM_OBM and parsed.obm is not None:
                systems.append(ObmSelfService(parsed.obm))
        return systems

    return SelfService(parsed.domain, open_systems(), parsed.personal_data, more=open_systems)
