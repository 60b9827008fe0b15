# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A cmdlet call as data (:class:`Invocation`: a cmdlet and typed parameter values, never script
text), what happened to it (:class:`Outcome`), and which invocation of a pipeline an error record
names (:func:`attribute`). Pure: ``transport`` sends them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Optional

# Parameters that name the object an invocation is about; errors are matched on their values.
IDENTIFYING = ("Identity", "Name", "Alias", "PrimarySmtpAddress", "UserPrincipalName", "SamAccountName")
# Statuses of one invocation after its pipeline ran.
OK, FAILED, UNKNOWN = "ok", "failed", "unknown"


class Switch:
    """The value of a switch parameter (``-Shared``): present, no argument."""

    def __repr__(self) -> str:
        return "SWITCH"


SWITCH = Switch()


@dataclass(frozen=True)
class Secret:
    """A value sent as a SecureString (encrypted with the pool's session key), never shown."""

    value: str = field(repr=False)

    def __repr__(self) -> str:
        return "Secret(********)"


Value = Any  # str | bool | int | Secret | Switch | list of str


@dataclass(frozen=True)
class Invocation:
    """One cmdlet with typed parameters; ``key`` says which account its outcome belongs to.
    ``select``: the properties a read keeps, piped to ``Select-Object -Property`` (the rest of
    Exchange's object is never serialised nor sent). ``source``: a command piped into this one in
    the same statement (its objects bind to this cmdlet's pipeline parameter, ``-Identity``)."""

    cmdlet: str
    parameters: tuple[tuple[str, Value], ...] = ()
    key: Optional[str] = None
    select: tuple[str, ...] = ()
    source: Optional[Invocation] = None

    @classmethod
    def of(
        cls,
        cmdlet: str,
        params: Mapping[str, Value],
        key: Optional[str] = None,
        select: tuple[str, ...] = (),
        source: Optional[Invocation] = None,
    ) -> Invocation:
        return cls(cmdlet, tuple(params.items()), key, select, source)

    @property
    def params(self) -> dict[str, Value]:
        return dict(self.parameters)

    def marks(self) -> frozenset[str]:
        """The lower-cased identifying values, for matching an error record to this invocation."""
        return frozenset(
            str(value).lower()
            for name, value in self.parameters
            if name in IDENTIFYING and isinstance(value, str)
        )

    def __str__(self) -> str:  # for messages: the cmdlet and the parameter names, no values
        text = f"{self.cmdlet} " + " ".join(f"-{name}" for name, _value in self.parameters)
        if self.source is not None:
            text = (
                f"{self.source.cmdlet} "
                + " ".join(f"-{n}" for n, _v in self.source.parameters)
                + f" | {text}"
            )
        return f"{text} | Select-Object -Property" if self.select else text


@dataclass(frozen=True)
class PsError:
    """One error record, reduced to what a report needs."""

    message: str
    category: str = ""
    error_id: str = ""
    target: str = ""
    command: str = ""
    bound: tuple[str, ...] = ()  # lower-cased string values of the bound identifying parameters

    def __str__(self) -> str:
        return self.message if not self.error_id else f"{self.message} ({self.error_id})"


@dataclass
class Outcome:
    """What happened to one invocation of a batch."""

    invocation: Invocation
    status: str = OK
    error: Optional[str] = None


def attribute(
    errors: Iterable[PsError], invocations: Sequence[Invocation]
) -> tuple[dict[int, list[PsError]], list[PsError]]:
    """Errors per invocation index, and the errors that name no single invocation."""
    found: dict[int, list[PsError]] = {}
    loose: list[PsError] = []
    for error in errors:
        index = _match(error, invocations)
        if index is None:
            loose.append(error)
        else:
            found.setdefault(index, []).append(error)
    return found, loose


def _cmdlet_of(error: PsError) -> str:
    """The cmdlet an error names, folded (``setmailbox``): its invocation or activity, else the task
    class ending Exchange's FullyQualifiedErrorId (``...,Microsoft.Exchange....SetMailbox``)."""
    name = error.command or error.error_id.rpartition(",")[2].rpartition(".")[2]
    return name.replace("-", "").lower()


def _match(error: PsError, invocations: Sequence[Invocation]) -> Optional[int]:
    def unique(candidates: list[int]) -> Optional[int]:
        cmdlet = _cmdlet_of(error)
        if cmdlet:
            same = [i for i in candidates if invocations[i].cmdlet.replace("-", "").lower() == cmdlet]
            candidates = same or candidates
        # Several statements about one account (New-Mailbox, then Set-Mailbox): it is that account's.
        return candidates[0] if len({invocations[i].key for i in candidates}) == 1 else None

    names = set(error.bound) | ({error.target.lower()} if error.target else set())
    if names:
        hit = unique([i for i, inv in enumerate(invocations) if inv.marks() & names])
        if hit is not None:
            return hit
    text = error.message.lower()
    return unique([i for i, inv in enumerate(invocations) if any(_names(m, text) for m in inv.marks())])


def _names(mark: str, text: str) -> bool:
    """``mark`` appears in ``text`` as a whole token (``an@x`` is not found inside ``dan@x``)."""
    start = text.find(mark)
    while start != -1:
        before = text[start - 1] if start else " "
        end = start + len(mark)
        after = text[end] if end < len(text) else " "
        if not (before.isalnum() or before in "._-") and not (after.isalnum() or after in "_-@"):
            return True
        start = text.find(mark, start + 1)
    return False
