# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one interface every mail system implements (OBM now, Exchange next; R-02).

A run is: ``read()`` once in bulk → ``plan.make_plan(desired, observed, backend.render)`` →
(check mode stops here) → ``apply(plan.changes, passwords)`` in batches → per-account results.
The same contract tests run against every backend's lab.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Optional

from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
from ansible_collections.danang.mail.plugins.module_utils.plan import Attributes, Change, Observed


@dataclass(frozen=True)
class Result:
    """What happened to one change. ``error`` says why it failed; a failed change was not half-done
    in a way a re-run cannot finish (backends order their steps so that a re-run completes them)."""

    address: str
    action: str
    ok: bool
    error: Optional[str] = None


class BackendError(Exception):
    """The system cannot be used at all (unreachable, refused credentials): nothing was changed."""


class Backend(ABC):
    """A mail system holding the city's accounts."""

    system: str  # "obm" | "exchange", as in a person's ``systems``

    @abstractmethod
    def render(self, account: Account) -> Attributes:
        """The attributes this system manages for ``account``, comparable with ``Observed.attributes``.

        Pure: no I/O. Never includes a password.
        """

    @abstractmethod
    def read(self) -> dict[str, Observed]:
        """Every account in the managed part of the system, keyed by address, in bulk (no per-account
        round trip)."""

    @abstractmethod
    def addresses_in_use(self) -> set[str]:
        """Every address the system answers to, in lower case, whoever made it (accounts, aliases,
        shared mailboxes, groups, contacts): one bulk read, so allocation never issues one."""

    @abstractmethod
    def apply(self, changes: Sequence[Change], passwords: Mapping[str, str]) -> list[Result]:
        """Carry out ``changes`` in batches; one ``Result`` per change, in order.

        ``passwords`` maps holder ids to the initial password of each person being created (R-40,
        R-45); shared mailboxes get none. A failure of one account does not stop the others.
        """

    def close(self) -> None:  # noqa: B027 - optional hook; most backends hold connections
        """Release connections."""

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
