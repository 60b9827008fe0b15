# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the self-service page's orchestration (``module_utils/self_service``) asks of each system
that may hold a person: find and check them, set a password, settle an unknown outcome, put the
old password back. Backend-neutral, as ``contract`` is for the modules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Protocol, Union

# Step.status
DONE = "done"
REFUSED = "refused"  # the system answered no: nothing changed there
UNKNOWN = "unknown"  # the answer was lost: the change may or may not have been made
# SelfServiceSystem.check, when it finds no person
ABSENT = "absent"  # the system holds no person at this address (answered by the system itself)
NO = "no"  # wrong password, disabled or locked, the system cannot be asked: one answer for all


@dataclass(frozen=True)
class Person:
    """A person as one system holds them, read when their password was checked.

    ``before``: what a put-back restores (Exchange: the forced-change flag and the issue record),
    opaque to the orchestration."""

    system: str
    address: str
    names: tuple[str, ...] = ()
    holder_id: Optional[str] = None  # the ledger id: the key of the personal data
    must_change: bool = False
    before: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class Step:
    """The outcome of one write; ``reason`` is safe to log (never a password)."""

    status: str
    reason: str = ""

    @property
    def done(self) -> bool:
        return self.status == DONE


class SelfServiceSystem(Protocol):
    name: str
    can_put_back: bool  # False for the system written last (OBM): nothing after it can fail

    def check(self, address: str, password: str) -> Union[Person, str]:
        """The person when ``password`` is theirs and they may log in; ``ABSENT`` when the system
        holds nobody at ``address``; ``NO`` for anything else."""

    def set_password(self, person: Person, new_password: str) -> Step:
        """The holder's change: ``new_password``, no forced change any more."""

    def settle(self, person: Person, old_password: str, new_password: str) -> Optional[bool]:
        """After an UNKNOWN step: True when the new password is in place, False when not, None when
        this cannot be told either."""

    def put_back(self, person: Person, old_password: str) -> Step:
        """The old password and the flags of ``person.before`` again (an administrator's reset)."""

    def close(self) -> None: ...
