# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The address ledger: every address ever issued, and to whom (R-03, R-13, R-23).

``inventories/<env>/desired_state/ledger.yml`` is kept in git. It holds one ``addresses:`` mapping
keyed by the full address; every entry is a single flow-style line so that a pull request's diff
shows one line per address::

    addresses:
      dungnv@danang.gov.vn: {kind: person, id: CB-0001, issued_on: 2026-11-29, status: active}
      thanhtra-stttt@danang.gov.vn: {kind: department, id: PB-0007, issued_on: 2026-11-29, ...}

An address in the ledger is never issued to another holder, whatever its status; the holder keeps
it for ever. New entries are only ever appended to the text (never reordered), so two competing
runs conflict in git instead of silently issuing one address twice; on one control node the lock
(``<ledger>.lock``, git-ignored) serialises runs from reading the ledger to writing it.

This file does I/O (read, lock, write) but holds no allocation rule: see ``allocation.py``.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import fcntl
import json
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ansible_collections.danang.mail.plugins.module_utils import strict_yaml
from ansible_collections.danang.mail.plugins.module_utils.model import Problem, ValidationFailed

KINDS = ("person", "agency", "department")
STATUSES = ("active", "disabled", "reclaimed", "removed")  # reclaimed keeps the address

HEADER = """\
---
# The address ledger (Decision 3712/QĐ-UBND, R-03, R-13, R-23): every address ever issued.
# Written by danang.mail.address_alloc. One line per address, new lines appended at the end.
# An address here is never issued to another holder, whatever its status.
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
    for field in sorted(set(value) - set(_FIELDS[kind]), key=str):
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
    )


def _require_directory(path: str) -> None:
    """The ledger's directory must exist: a typo in the path must not start a new, empty ledger."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise ValidationFailed([Problem(path, "", "", f"the directory {directory} does not exist")])


def load_ledger(path: str) -> Ledger:
    """Read the ledger at ``path``; a missing file is an empty ledger (created on first write)."""
    _require_directory(path)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return Ledger(path=path, entries=(), text=None)
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationFailed([Problem(path, "", "", f"cannot read the ledger: {exc}")]) from None
    return Ledger(path=path, entries=parse_ledger(text, path), text=text)


def appended_text(ledger: Ledger, new_entries: Iterable[LedgerEntry]) -> str:
    """The new ledger text: the old text unchanged, the new entries' lines appended at its end.

    The result is parsed back and must hold exactly the old entries followed by the new ones;
    a ledger whose layout does not allow appending (``addresses`` not the last block, a flow
    mapping...) is refused rather than rewritten.
    """
    new_entries = tuple(new_entries)
    lines = "".join(entry.to_line() for entry in new_entries)
    if ledger.text is None or not ledger.text.strip():
        text = HEADER + "addresses:\n" + lines
    else:
        text = ledger.text if ledger.text.endswith("\n") else ledger.text + "\n"
        if not ledger.entries and new_entries:
            # ``addresses: {}`` or ``addresses: null`` (an empty ledger): open the block.
            text = re.sub(r"(?m)^addresses:[ \t]*(\{\s*\}|null|~)?[ \t]*$", "addresses:", text, count=1)
        text += lines
    try:
        reread = parse_ledger(text, ledger.path)
    except ValidationFailed as exc:
        reread = exc  # reported below, with the reason
    if reread != ledger.entries + new_entries:
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


def write_text_atomically(path: str, text: str) -> None:
    """Replace ``path`` by ``text`` through a temporary file and a rename: readers see all or nothing."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".ledger-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def append_entries(ledger: Ledger, new_entries: Iterable[LedgerEntry]) -> bool:
    """Append ``new_entries`` to the ledger file; nothing is written (False) when there are none."""
    new_entries = tuple(new_entries)
    if not new_entries:
        return False
    write_text_atomically(ledger.path, appended_text(ledger, new_entries))
    return True


def lock_path(path: str) -> str:
    return f"{path}.lock"


@contextlib.contextmanager
def ledger_lock(path: str, timeout: float | None = None, poll: float = 0.1) -> Iterator[None]:
    """Hold an exclusive ``fcntl`` lock on ``<ledger>.lock`` (the ledger itself is replaced by rename).

    Hold it from reading the ledger to writing it, so that two runs on one control node never
    issue one address twice. ``timeout`` None waits for ever.
    """
    _require_directory(path)
    fd = os.open(lock_path(path), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if deadline is None else fcntl.LOCK_NB))
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or deadline is None:
                    raise
                if time.monotonic() >= deadline:
                    raise TimeoutError(f"{lock_path(path)} is held by another run") from None
                time.sleep(poll)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
