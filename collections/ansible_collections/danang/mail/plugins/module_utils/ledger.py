# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The address ledger: every address ever issued, and to whom (R-03, R-13, R-23).

``inventories/<env>/desired_state/ledger.yml`` is kept in git. It holds one ``addresses:`` mapping
keyed by the full address; every entry is a single flow-style line so that a pull request's diff
shows one line per address, and its last line is the seal (``ledger_seal.py``)::

    addresses:
      dungnv@danang.gov.vn: {kind: person, id: CB-0001, issued_on: 2026-11-29, status: active}
      thanhtra-stttt@danang.gov.vn: {kind: department, id: PB-0007, issued_on: 2026-11-29, ...}
    # seal: 2 entries, sha256 0f3c...

An address in the ledger is never issued to another holder, whatever its status; the holder keeps
it for ever. New entries are only ever appended to the text (never reordered) and the seal line is
rewritten after them, so two competing runs conflict in git (on the seal line at least) instead of
silently issuing one address twice: the ledger is written only by the run on main, and the second
run rebases and runs again. On one control node the lock (``<ledger>.lock``, git-ignored)
serialises runs from reading the ledger to writing it.

A lost ledger must never start again from nothing, or every address would be issued again:

- a missing, empty, unsealed, cut or edited ledger is refused, naming the file and the repair
  (restore it from git); only ``load_ledger(path, new=True)`` (address_alloc ``ledger_new``) starts
  a new one, and only where no file exists;
- ``reseal=True`` (address_alloc ``ledger_reseal``) accepts the entries as they are and writes a new
  seal: once for a ledger written before seals existed (its truncation cannot be detected), or
  after a repair, and only after a person has checked it against git and the mail systems;
- the ledger must be a regular file with one link: a symlink or hard link would get a second lock
  file and be replaced by a plain file on write, so it is refused (as symlinked agency files are);
  symlinked directories are fine, the lock file is then the same file;
- a write goes to a temporary file, fsync, rename, fsync of the directory, and keeps the file's
  line endings (CRLF stays CRLF).

This file does I/O (read, lock, write) but holds no allocation rule: see ``allocation.py``.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ansible_collections.danang.mail.plugins.module_utils import ledger_seal, strict_yaml
from ansible_collections.danang.mail.plugins.module_utils.ledger_file import (
    require_directory,
    require_regular,
)
from ansible_collections.danang.mail.plugins.module_utils.model import Problem, ValidationFailed

KINDS = ("person", "agency", "department")
STATUSES = ("active", "disabled", "reclaimed", "removed")  # reclaimed keeps the address

HEADER = """\
---
# The address ledger (Decision 3712/QĐ-UBND, R-03, R-13, R-23): every address ever issued.
# Written by danang.mail.address_alloc. One line per address, new lines appended at the end.
# An address here is never issued to another holder, whatever its status.
# The last line, the seal, counts and hashes the entries: a cut or edited ledger is refused.
# yamllint disable rule:line-length
"""

_ADDRESS = re.compile(r"^[a-z0-9][a-z0-9._-]*@[a-z0-9][a-z0-9.-]*$")
_PLAIN_SCALAR = re.compile(r"^[A-Za-z][A-Za-z0-9._@/+-]*$")
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})
_FIELDS = {
    "person": ("kind", "id", "issued_on", "status"),
    "agency": ("kind", "id", "issued_on", "status"),
    "department": ("kind", "id", "issued_on", "status", "abbreviation", "agency"),
}
RECLAIMED = "reclaimed"
# the day a reclaim run reclaimed the mailbox; only on a reclaimed entry, never required.
_OPTIONAL = ("reclaimed_on",)


@dataclass(frozen=True)
class LedgerEntry:
    """One issued address and its holder."""

    address: str
    kind: str
    id: str
    issued_on: datetime.date
    status: str = "active"
    abbreviation: str | None = None  # departments only
    agency: str | None = None  # departments only: the agency's abbreviation
    reclaimed_on: datetime.date | None = None  # status reclaimed only

    @property
    def local_part(self) -> str:
        return self.address.partition("@")[0]

    def to_line(self) -> str:
        """The entry as it is written: one indented flow-style line, newline included."""
        fields = [
            ("kind", _scalar(self.kind)),
            ("id", _scalar(self.id)),
            ("issued_on", self.issued_on.isoformat()),  # a YAML date, unquoted
            ("status", _scalar(self.status)),
        ]
        if self.reclaimed_on is not None:
            fields.append(("reclaimed_on", self.reclaimed_on.isoformat()))
        if self.kind == "department":
            fields += [
                ("abbreviation", _scalar(self.abbreviation or "")),
                ("agency", _scalar(self.agency or "")),
            ]
        body = ", ".join(f"{key}: {value}" for key, value in fields)
        return f"  {_scalar(self.address)}: {{{body}}}\n"


@dataclass(frozen=True)
class Ledger:
    """A ledger as read: its entries in file order, and the exact text they came from."""

    path: str
    entries: tuple[LedgerEntry, ...]
    text: str | None  # None: the file does not exist yet

    @property
    def exists(self) -> bool:
        return self.text is not None

    def holders(self) -> dict[str, str]:
        """Holder id -> address: what the account backends key the desired state by (R-03)."""
        return {entry.id: entry.address for entry in self.entries}

    def reclaimed(self) -> dict[str, datetime.date]:
        """Holder id -> the day its mailbox was reclaimed, for the holders the ledger says are (R-23)."""
        return {e.id: e.reclaimed_on for e in self.entries if e.status == RECLAIMED and e.reclaimed_on}


def _scalar(value: str) -> str:
    """A string as a YAML scalar: plain when it cannot read back as anything else, else JSON-quoted.

    Plain only when it starts with a letter (never a number, date, or YAML indicator), holds no
    flow or comment characters, and is not one of YAML 1.1's boolean or null words.
    """
    if _PLAIN_SCALAR.match(value) and value.lower() not in _YAML_WORDS:
        return value
    return json.dumps(value, ensure_ascii=False)


def parse_ledger(text: str, source: str) -> tuple[LedgerEntry, ...]:
    """The entries of a ledger text; every problem found raises ``ValidationFailed`` at once."""
    data = strict_yaml.parse(text, source, dates=True, max_chars=strict_yaml.LEDGER_MAX_BYTES)
    problems: list[Problem] = []
    if data is None:
        return ()
    if not isinstance(data, dict) or set(data) - {"addresses"}:
        message = "the ledger must be a mapping with one key, addresses"
        raise ValidationFailed([Problem(source, "", "", message)])
    addresses = data.get("addresses")
    if addresses is None:
        return ()
    if not isinstance(addresses, dict):
        raise ValidationFailed([Problem(source, "addresses", "", "must be a mapping keyed by address")])
    entries: list[LedgerEntry] = []
    holders: dict[str, str] = {}
    for address, value in addresses.items():
        entry = _entry(address, value, source, problems)
        if entry is None:
            continue
        if entry.id in holders:
            problems.append(
                Problem(source, f"addresses.{address}", "id", f"{entry.id} already holds {holders[entry.id]}")
            )
        holders.setdefault(entry.id, address)
        entries.append(entry)
    if problems:
        raise ValidationFailed(problems)
    return tuple(entries)


def _entry(address: object, value: object, source: str, problems: list[Problem]) -> LedgerEntry | None:
    where = f"addresses.{address}"
    before = len(problems)

    def bad(field: str, message: str) -> None:
        problems.append(Problem(source, where, field, message))

    if not isinstance(address, str) or not _ADDRESS.match(address):
        bad("", "the key must be a full address in lower case, local@domain")
    if not isinstance(value, dict):
        bad("", "the entry must be a mapping {kind, id, issued_on, status}")
        return None
    kind = value.get("kind")
    if kind not in KINDS:
        bad("kind", f"must be one of {', '.join(KINDS)}")
        return None
    for field in sorted(set(value) - set(_FIELDS[kind]) - set(_OPTIONAL), key=str):
        bad(str(field), f"unknown field for a {kind}")
    for field in _FIELDS[kind]:
        if field not in value:
            bad(field, "missing")
    holder = value.get("id")
    if "id" in value and (not isinstance(holder, str) or not holder.strip()):
        bad("id", "must be a non-empty string (quote ids that look like numbers)")
    issued_on = value.get("issued_on")
    if "issued_on" in value and (
        not isinstance(issued_on, datetime.date) or isinstance(issued_on, datetime.datetime)
    ):
        bad("issued_on", "must be a date, YYYY-MM-DD")
    if "status" in value and value.get("status") not in STATUSES:
        bad("status", f"must be one of {', '.join(STATUSES)}")
    for field in ("abbreviation", "agency"):
        if field in value and kind == "department" and not isinstance(value[field], str):
            bad(field, "must be a string")
    reclaimed_on = value.get("reclaimed_on")
    if "reclaimed_on" in value and (
        not isinstance(reclaimed_on, datetime.date) or isinstance(reclaimed_on, datetime.datetime)
    ):
        bad("reclaimed_on", "must be a date, YYYY-MM-DD")
    elif "reclaimed_on" in value and value.get("status") != RECLAIMED:
        bad("reclaimed_on", f"only on an entry whose status is {RECLAIMED}")
    if len(problems) > before:
        return None
    return LedgerEntry(
        address=str(address),
        kind=kind,
        id=holder,
        issued_on=issued_on,
        status=value["status"],
        abbreviation=value.get("abbreviation"),
        agency=value.get("agency"),
        reclaimed_on=reclaimed_on,
    )


def _refused(path: str, what: str) -> ValidationFailed:
    """A ledger that may have lost entries: name the file and the repair, never start again."""
    return ValidationFailed(
        [
            Problem(
                path,
                "",
                "",
                f"the ledger {path} {what}. Allocating from it could issue an address again (R-03): "
                f"restore it from git (git log -p -- {path}). Only after a person has checked it "
                "against git and the mail systems, seal it as it is with address_alloc ledger_reseal: true",
            )
        ]
    )


def sealed_entries(text: str, path: str, reseal: bool = False) -> tuple[LedgerEntry, ...]:
    """The entries of a ledger text whose seal proves that none was lost (see ``ledger_seal``).

    ``reseal`` trusts the entries as they are (a person checked them); a ledger with no entry is
    never resealed: remove it and start a new one instead.
    """
    problem = None if reseal else ledger_seal.seal_problem(text)
    if problem:
        raise _refused(path, problem)  # before parsing: a cut ledger is refused at once
    entries = parse_ledger(text, path)
    if reseal:
        problem = None if entries else "has no entry to seal: remove it and start a new one with ledger_new"
    else:
        problem = ledger_seal.mismatch(text, entries)
    if problem:
        raise _refused(path, problem)
    return entries


def load_ledger(path: str, *, new: bool = False, reseal: bool = False) -> Ledger:
    """Read and check the ledger at ``path``.

    A missing file is refused unless ``new`` (then it is an empty ledger, created on first write);
    ``new`` with an existing file is refused too, so the option cannot stay on by mistake.
    """
    require_directory(path)
    try:
        require_regular(path, os.lstat(path))
    except FileNotFoundError:
        if new:
            return Ledger(path=path, entries=(), text=None)
        raise _refused(
            path, "does not exist (a new environment starts it once with ledger_new: true)"
        ) from None
    if new:
        message = f"the ledger {path} already exists: ledger_new only starts a ledger where there is none"
        raise ValidationFailed([Problem(path, "", "", message)])
    # No link followed, the size capped before reading, CRLF kept as written (bytes, then decoded).
    text = strict_yaml.decode(strict_yaml.read_regular_file(path, path, strict_yaml.LEDGER_MAX_BYTES), path)
    return Ledger(path=path, entries=sealed_entries(text, path, reseal), text=text)


def appended_text(ledger: Ledger, new_entries: Iterable[LedgerEntry]) -> str:
    """The new ledger text: the old text unchanged but for its seal line, the new entries' lines
    appended, then the new seal (in the file's line endings).

    The result is checked as ``load_ledger`` will read it and must hold exactly the old entries
    followed by the new ones; a ledger whose layout does not allow appending (``addresses`` not the
    last block, a flow mapping...) is refused rather than rewritten.
    """
    new_entries = tuple(new_entries)
    every = ledger.entries + new_entries
    lines = "".join(entry.to_line() for entry in new_entries)
    if ledger.text is None:
        text = HEADER + "addresses:\n" + lines + ledger_seal.seal_line(every)
    else:
        newline = ledger_seal.newline_of(ledger.text)
        text = ledger_seal.without_seal(ledger.text)
        if not text.endswith("\n"):
            text += newline
        if not ledger.entries and new_entries:
            # ``addresses: {}`` or ``addresses: null`` (an empty ledger): open the block.
            text = re.sub(
                r"(?m)^addresses:[ \t]*(\{\s*\}|null|~)?[ \t]*(?=\r?$)", "addresses:", text, count=1
            )
        text += (lines + ledger_seal.seal_line(every)).replace("\n", newline)
    try:
        reread = sealed_entries(text, ledger.path)
    except ValidationFailed as exc:
        reread = exc  # reported below, with the reason
    if reread != every:
        raise ValidationFailed(
            [
                Problem(
                    ledger.path,
                    "",
                    "",
                    "cannot append to the ledger: keep 'addresses:' as its last block, one entry per line",
                )
            ]
        )
    return text


def reactivations(
    entries: Iterable[LedgerEntry], requested_on: Mapping[str, datetime.date]
) -> dict[str, str]:
    """Address -> ``active`` for each reclaimed holder with a new request (R-20, R-23): its
    ``requested_on`` (holder id -> date) is after the day it was reclaimed."""
    return {
        e.address: "active"
        for e in entries
        if e.status == RECLAIMED
        and e.reclaimed_on
        and requested_on.get(e.id, e.reclaimed_on) > e.reclaimed_on
    }


def rewritten_text(ledger: Ledger, statuses: Mapping[str, str], today: datetime.date) -> str:
    """The ledger text with the status of some addresses changed in place (address -> new status)
    and a new seal; a line becoming ``reclaimed`` gets ``reclaimed_on: today``, one leaving it
    loses it. Nothing else of the line changes, and no line moves, so the diff shows just those.
    """
    if ledger.text is None:
        raise ValidationFailed([Problem(ledger.path, "", "", "the ledger does not exist")])
    known = {e.address: e for e in ledger.entries}
    problems = [
        Problem(ledger.path, f"addresses.{a}", "status", f"cannot become {s}: not in the ledger")
        for a, s in sorted(statuses.items())
        if a not in known or s not in STATUSES
    ]
    if problems:
        raise ValidationFailed(problems)
    changed = {
        a: dataclasses.replace(known[a], status=s, reclaimed_on=today if s == RECLAIMED else None)
        for a, s in statuses.items()
        if known[a].status != s
    }
    every = tuple(changed.get(e.address, e) for e in ledger.entries)
    newline = ledger_seal.newline_of(ledger.text)
    text = ledger_seal.without_seal(ledger.text)
    for address, entry in changed.items():
        line = re.compile(rf"(?m)^  {re.escape(_scalar(address))}: \{{.*\}}(?=\r?$)")
        text, count = line.subn(entry.to_line().rstrip("\n").replace("\\", "\\\\"), text)
        if count != 1:
            message = "cannot rewrite its line: keep one entry per line, as the module writes them"
            raise ValidationFailed([Problem(ledger.path, f"addresses.{address}", "", message)])
    if not text.endswith("\n"):
        text += newline
    text += ledger_seal.seal_line(every).replace("\n", newline)
    if sealed_entries(text, ledger.path) != every:  # never write what would not read back the same
        message = "cannot rewrite the ledger: keep 'addresses:' one entry per line"
        raise ValidationFailed([Problem(ledger.path, "", "", message)])
    return text
