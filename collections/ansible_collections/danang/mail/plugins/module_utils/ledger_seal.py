# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ledger's seal: its last line counts and hashes the entries, so a lost entry is seen (R-03).

A ledger cut short (a crash, a bad copy, a 0-byte file, a truncated checkout) can still be valid
YAML with fewer entries, and those addresses would be issued again. The module therefore ends the
file with one comment line::

    # seal: 83 entries, sha256 5d41402abc4b2a76b9719d911017c592...

``sha256`` is taken over the entries as the module writes them (``LedgerEntry.to_line()``, LF
line endings, file order), so comments, quoting and line endings do not change it while every
address, holder, date and status does. A cut at any byte either removes the seal line, leaves it
malformed, or removes only its final newline (every entry is still there): nothing is lost
silently. An entry deleted, added or edited by hand changes the count or the hash.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Protocol

PREFIX = "# seal:"
_SEAL = re.compile(r"# seal: (\d+) entries, sha256 ([0-9a-f]{64})")
_SEAL_LINES = re.compile(r"(?m)^# seal:.*(?:\r?\n|\Z)")


class _Entry(Protocol):
    def to_line(self) -> str: ...


def digest(entries: Iterable[_Entry]) -> str:
    return hashlib.sha256("".join(entry.to_line() for entry in entries).encode("utf-8")).hexdigest()


def seal_line(entries: Iterable[_Entry], newline: str = "\n") -> str:
    entries = tuple(entries)
    return f"{PREFIX} {len(entries)} entries, sha256 {digest(entries)}{newline}"


def newline_of(text: str) -> str:
    """The file's line ending, kept on write: CRLF when its first line ends so, else LF."""
    first = text.find("\n")
    return "\r\n" if first > 0 and text[first - 1] == "\r" else "\n"


def without_seal(text: str) -> str:
    """The text with every seal line removed (to append, or to seal again)."""
    return _SEAL_LINES.sub("", text)


def seal_problem(text: str) -> str | None:
    """Why ``text`` has no usable seal, or None. Only the structure: the count and hash are checked
    against the parsed entries by ``mismatch``. Cheap, so a cut ledger is refused before parsing."""
    if not text.strip():
        return "is empty"
    lines = text.splitlines()
    seals = [n for n, line in enumerate(lines) if line.startswith(PREFIX)]
    if not seals:
        return "has no seal line (cut short, or written before seals existed)"
    if len(seals) > 1:
        return f"has {len(seals)} seal lines (a merge kept both sides?)"
    if seals[0] != len(lines) - 1:
        return "has lines after its seal line (edited by hand, or cut and appended to)"
    if not _SEAL.fullmatch(lines[-1].rstrip("\r")):
        return "has a damaged seal line (cut short?)"
    return None


def mismatch(text: str, entries: tuple[_Entry, ...]) -> str | None:
    """Why the entries read from ``text`` are not the sealed ones, or None. ``text`` has passed
    ``seal_problem``."""
    found = _SEAL.fullmatch(text.splitlines()[-1].rstrip("\r"))
    if found is None:
        return "has a damaged seal line"
    count, sealed = int(found.group(1)), found.group(2)
    if count != len(entries):
        return f"holds {len(entries)} entries but its seal says {count}: entries were lost or added"
    if sealed != digest(entries):
        return "holds entries that differ from the sealed ones (edited by hand, or a bad merge)"
    return None
