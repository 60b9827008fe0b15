# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A holder's own password change on every system that holds them (R-40, R-42, R-43): what the
self-service page (roles/password_portal) asks of the collection.

``PasswordService.sign_in`` checks the address and the current (or initial) password and says which
systems hold the person; ``problems`` lists the codes of the rules a candidate breaks
(``passwords.PROBLEM_MESSAGES``, with the holder's names from the directory and the personal data
from the vault); ``change`` sets the new password everywhere or nowhere (see ``ChangeResult``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Protocol

# ChangeResult.outcome
CHANGED = "changed"  # every system holds the new password, the forced change cleared
REFUSED = "refused"  # refused before anything changed (a rule, or the first system refused it)
ROLLED_BACK = "rolled_back"  # a later system failed; the earlier ones were put back: old password
INCONSISTENT = "inconsistent"  # the put-back failed too: systems disagree; the help desk must act


@dataclass(frozen=True)
class Holder:
    """A signed-in person. ``systems``: the systems that hold them, in the order a change writes them."""

    address: str
    systems: tuple[str, ...]
    names: tuple[str, ...] = ()
    must_change: bool = False  # still on an initial or reset password


@dataclass(frozen=True)
class ChangeResult:
    """What ``change`` did. ``system``: the one that refused or failed; ``reason``: why, safe to log
    (never a password); ``problems``: rule codes when our own rules refused the password."""

    outcome: str
    system: Optional[str] = None
    reason: str = ""
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.outcome == CHANGED


class PasswordService(Protocol):
    def sign_in(self, address: str, password: str) -> Optional[Holder]:
        """The holder when ``password`` is right on every system that holds ``address``; None for any
        failure (unknown address, wrong password, disabled or locked account) - one answer for all."""

    def problems(self, holder: Holder, new_password: str) -> list[str]:
        """The rule codes ``new_password`` breaks for ``holder`` (R-42, R-43); empty when acceptable."""

    def change(self, holder: Holder, old_password: str, new_password: str) -> ChangeResult:
        """Set ``new_password`` on every system of ``holder`` or on none (see the outcomes above)."""
