# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one way a system carries out a plan: :func:`apply_changes`.

What every system does the same way lives here: read once before writing (the addresses in use and
whatever the system numbers from), refuse a new account whose address something else already
answers to and a new person without an initial password (R-40, nothing done for either), cut the
changes into batches, one ``Result`` per change in order, and ``password_set``: the persons whose
new account now holds its initial password (the module records those, R-45).

What differs is the system's :class:`Writer`: the steps of one change, how a batch is sent, and what
is checked once every batch ran.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, Optional, Protocol, TypeVar

from ansible_collections.danang.mail.plugins.module_utils.backends.contract import MailSystem, Result
from ansible_collections.danang.mail.plugins.module_utils.plan import CREATE, ENABLE, Change

NO_PASSWORD = "no initial password for this person: nothing done"


@dataclass
class Step:
    """What one change needs of a system and how it went. Each system adds what it sends
    (OBM: LDAP attributes and IMAP commands; Exchange: cmdlets and AD switches)."""

    change: Change
    error: Optional[str] = None
    holds_password: bool = False  # a new person's account now holds its initial password

    @property
    def address(self) -> str:
        return self.change.address


S = TypeVar("S", bound=Step)


class Writer(Protocol, Generic[S]):
    """A system's part of ``apply``."""

    batch_size: int
    step_type: type[S]  # a refused change becomes ``step_type(change, error=...)``, nothing sent

    def owner(self, address: str) -> Optional[str]:
        """What already answers to ``address`` (as the error names it), or None."""

    def prepare(self, changes: Sequence[Change]) -> None:
        """Once, before the first step: what the steps of the whole run need (Exchange: its clock
        and the new accounts' sAMAccountNames)."""

    def step(self, change: Change, password: Optional[str]) -> S:
        """The steps of one change; ``password`` is the person's initial password (creates only)."""

    def run_batch(self, batch: list[S]) -> None:
        """Send the steps of ``batch`` (its failed steps included: skip them), set ``error``."""

    def finish(self, steps: list[S]) -> None:
        """Once every batch ran: checks and writes that need all of them (may clear ``error``)."""


def apply_changes(
    writer: Writer[S],
    changes: Sequence[Change],
    passwords: Mapping[str, str],
    *,
    read_done: bool,
    read: Callable[[], object],
    password_set: set[str],
) -> list[Result]:
    """Carry out ``changes`` with ``writer``; one ``Result`` per change, in order.

    ``read`` runs first unless the caller read already. Each batch's steps are made just before the
    batch runs, so they see what earlier batches did (the numbers they used, the addresses they took).
    """
    if not read_done:
        read()
    writer.prepare(changes)
    steps: list[S] = []
    size = max(1, writer.batch_size)
    for start in range(0, len(changes), size):
        batch = [_guarded(writer, change, passwords) for change in changes[start : start + size]]
        writer.run_batch(batch)
        steps += batch
    writer.finish(steps)
    for step in steps:
        if step.change.action == CREATE and not step.change.account.shared and step.holds_password:
            password_set.add(step.change.account.address)
    return [Result(s.change.address, s.change.action, s.error is None, s.error) for s in steps]


def _guarded(writer: Writer[S], change: Change, passwords: Mapping[str, str]) -> S:
    if change.action != CREATE:
        return writer.step(change, None)
    account = change.account
    password = None if account.shared else passwords.get(account.holder_id)
    owner = writer.owner(account.address.lower())
    if owner is not None:
        return writer.step_type(change, error=f"the address is already used by {owner}: nothing done")
    if not account.shared and not password:
        return writer.step_type(change, error=NO_PASSWORD)
    return writer.step(change, password)


def reset_returning(
    system: MailSystem,
    changes: Sequence[Change],
    results: Sequence[Result],
    passwords: Mapping[str, str],
    returning: set[str],
) -> set[str]:
    """Give the reclaimed accounts this run enabled again (a new request, R-20, R-23) their new
    initial password, by the administrator's reset (forced change at the next login, R-40); the
    addresses that now hold one."""
    enabled = {r.address for r in results if r.ok and r.action == ENABLE}
    due = {
        c.address: passwords[c.account.holder_id]
        for c in changes
        if c.address in returning and c.address in enabled and c.account.holder_id in passwords
    }
    if not due:
        return set()
    system.read_password_facts()  # reset() acts on the accounts its password read saw
    return {r.address for r in system.reset(due) if r.ok}
