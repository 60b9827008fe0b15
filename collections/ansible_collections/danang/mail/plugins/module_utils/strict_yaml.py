# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one YAML reader of the collection's input files (agency files, the ledger, the calendar
overrides), made for hostile text.

Every failure is a ``Problem`` naming the file and what to change; nothing raises past it. Limits,
checked on libyaml's event stream *before* anything is composed, so PyYAML's recursive composer
never meets a deep document (30,000 ``[`` used to crash the process in C):

- size: ``max_bytes`` per file (bytes read, never more);
- nesting: at most ``MAX_DEPTH`` collections deep (an agency file needs 3, the ledger 2);
- anchors and aliases (``&a`` / ``*a``): refused. These files are reviewed line by line in pull
  requests, so every value is written out; it also closes the "billion laughs" alias bomb;
- keys: plain text only (``? [a, b]`` refused), no duplicates, no merge key ``<<``;
- YAML 1.1 surprises are refused with the fix: a plain ``on``/``yes``/``off`` read as a boolean, a
  ``0x1F``/``017``/``1_000`` read as a number (quote the text, or write true/false);
- encoding: UTF-8; a UTF-8 byte-order mark is accepted (Windows editors add it) and dropped, UTF-16
  and UTF-32 are refused with "save as UTF-8".

Messages quote at most a short, cut excerpt of the file (``model.excerpt``): a file read by mistake
(a key, a vault password) must not be echoed into a pull request's output.
"""

from __future__ import annotations

import codecs
import errno
import os
import re
import stat
import traceback
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.model import Problem, ValidationFailed, excerpt

try:
    import yaml

    HAS_YAML = True
    YAML_IMPORT_ERROR: Optional[str] = None
except ImportError:  # the callers report it (desired_state.require_libraries, the modules)
    HAS_YAML = False
    YAML_IMPORT_ERROR = traceback.format_exc()

MAX_DEPTH = 16
FILE_MAX_BYTES = 2 * 1024 * 1024  # an agency file (~10,000 people), the calendar overrides
LEDGER_MAX_BYTES = 16 * 1024 * 1024  # ~160,000 addresses

_UTF16_32 = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)
_SAVE_AS = "save the file as UTF-8 (without a byte-order mark)"
_BOOL_WORDS = frozenset({"true", "false"})
_DECIMAL = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_FILE_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def file_kind(mode: int) -> str:
    """``"a directory"``, ``"a symbolic link"``… for an ``st_mode``; ``"a regular file"`` otherwise."""
    return next((name for test, name in _FILE_KINDS if test(mode)), "a regular file")


def read_regular_file(name: str, source: str, max_bytes: int, dir_fd: Optional[int] = None) -> bytes:
    """The bytes of a regular file, opened without following a symbolic link (``O_NOFOLLOW``).

    The type is checked on the open descriptor, so a file swapped for a link or a FIFO between a
    listing and the read is refused too; a FIFO is opened non-blocking, so it never hangs the run.
    """
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(name, flags, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            reason = (
                "it is a symbolic link: keep a regular file here (a link could expose a file from outside)"
            )
        else:
            reason = f"cannot read it ({os.strerror(exc.errno or 0)})"
        raise ValidationFailed([Problem(source, "", "", reason)]) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            message = f"it is {file_kind(info.st_mode)}, not a regular file: remove it from the tree"
            raise ValidationFailed([Problem(source, "", "", message)])
        if info.st_size > max_bytes:
            raise ValidationFailed([_too_big(source, max_bytes)])
        chunks, size = [], 0
        while size <= max_bytes:
            chunk = os.read(fd, min(1024 * 1024, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > max_bytes:  # grew while read
            raise ValidationFailed([_too_big(source, max_bytes)])
        return b"".join(chunks)
    finally:
        os.close(fd)


def _too_big(source: str, max_bytes: int) -> Problem:
    limit = f"{max_bytes // (1024 * 1024)} MiB"
    return Problem(
        source,
        "",
        "",
        f"the file is larger than {limit}, the most read for it: check that it is the right file",
    )


def decode(data: bytes, source: str) -> str:
    """UTF-8 text; a UTF-8 byte-order mark is dropped; UTF-16/32 and invalid bytes are refused."""
    for bom, encoding in _UTF16_32:
        if data.startswith(bom):
            raise ValidationFailed([Problem(source, "", "", f"the file is {encoding} text: {_SAVE_AS}")])
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    if b"\x00" in data[:4096]:
        message = f"the file has NUL bytes (UTF-16 or UTF-32 text without a byte-order mark?): {_SAVE_AS}"
        raise ValidationFailed([Problem(source, "", "", message)])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        message = f"not UTF-8 text ({err.reason} at byte {err.start}): {_SAVE_AS} (R-15)"
        raise ValidationFailed([Problem(source, f"line {line}", "", message)]) from None


def _where(mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""


def _check_events(text: str, source: str) -> None:
    """Refuse aliases, anchors and deep nesting on the event stream, before composing anything.

    libyaml keeps its parser state on the heap, so reading events is safe at any depth; the scan
    stops at the first offence, so a million ``[`` cost microseconds.
    """
    loader = _StrictLoader(text)
    depth = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            anchor = getattr(event, "anchor", None)
            if isinstance(event, yaml.AliasEvent) or anchor is not None:
                message = (
                    "anchors and aliases (&name, *name) are not allowed: write every value out, so a "
                    "review sees it"
                )
                raise ValidationFailed([Problem(source, _where(event.start_mark), "", message)])
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    message = f"nested more than {MAX_DEPTH} levels deep (these files need 4 at most)"
                    raise ValidationFailed([Problem(source, _where(event.start_mark), "", message)])
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
    finally:
        loader.dispose()


if HAS_YAML:

    class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml: 2.5x faster
        """Safe loading that records, instead of raising, what the module docstring refuses."""

        problems: list[Problem]
        source: str
        dates: bool = True

        def _refuse(self, node: Any, message: str, field: str = "") -> None:
            self.problems.append(Problem(self.source, _where(node.start_mark), field, message))

        def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
            seen: dict[Any, Any] = {}
            for key_node, _value in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    self._refuse(key_node, "the merge key << is not allowed: write the keys out")
                    return {}
                if not isinstance(key_node, yaml.ScalarNode):
                    self._refuse(key_node, "a key must be plain text, not a list or a mapping")
                    return {}
                key = self.construct_object(key_node, deep=deep)
                if key in seen:
                    message = f"duplicate key {excerpt(key)} (first on line {seen[key].line + 1})"
                    self._refuse(key_node, message, str(key))
                seen[key] = key_node.start_mark
            return super().construct_mapping(node, deep=deep)

        def construct_yaml_bool(self, node: Any) -> Any:
            if not node.style and node.value.lower() not in _BOOL_WORDS:
                message = (
                    f"{excerpt(node.value)} is read by YAML as the boolean "
                    f"{str(super().construct_yaml_bool(node)).lower()}: write true or false for a yes/no "
                    f'setting, or quote it ("{excerpt(node.value, quote=False)}") for text'
                )
                self._refuse(node, message)
            return super().construct_yaml_bool(node)

        def construct_yaml_timestamp(self, node: Any) -> Any:
            if not self.dates:  # dates stay strings: the agency schema checks them and names the field
                return self.construct_scalar(node)
            return super().construct_yaml_timestamp(node)

        def construct_yaml_int(self, node: Any) -> Any:
            value = super().construct_yaml_int(node)
            if not node.style and not _DECIMAL.match(node.value):
                message = (
                    f"{excerpt(node.value)} is read by YAML as the number {value}: quote it "
                    f'("{excerpt(node.value, quote=False)}") if it is text such as an id'
                )
                self._refuse(node, message)
            return value

    _StrictLoader.add_constructor("tag:yaml.org,2002:bool", _StrictLoader.construct_yaml_bool)
    _StrictLoader.add_constructor("tag:yaml.org,2002:int", _StrictLoader.construct_yaml_int)

    _StrictLoader.add_constructor(_TIMESTAMP, _StrictLoader.construct_yaml_timestamp)


def parse(text: str, source: str, *, dates: bool, max_chars: int) -> Any:
    """The data of one YAML document; raises ``ValidationFailed`` with every problem found."""
    if len(text) > max_chars:
        raise ValidationFailed([_too_big(source, max_chars)])
    text = text[1:] if text.startswith("\ufeff") else text
    try:
        _check_events(text, source)
        loader = _StrictLoader(text)
        loader.problems, loader.source, loader.dates = [], source, dates
        try:
            data = loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as err:
        where = _where(err.problem_mark or err.context_mark)
        # context/problem only, never the snippet PyYAML quotes from the file
        reason = " ".join(
            excerpt(part, quote=False, limit=120) for part in (err.context, err.problem) if part
        )
        raise ValidationFailed([Problem(source, where, "", f"invalid YAML: {reason}")]) from None
    except yaml.YAMLError as err:
        raise ValidationFailed(
            [Problem(source, "", "", f"invalid YAML: {excerpt(str(err), quote=False)}")]
        ) from None
    if loader.problems:
        raise ValidationFailed(loader.problems)
    return data


def load_file(name: str, source: str, *, max_bytes: int, dates: bool, dir_fd: Optional[int] = None) -> Any:
    """:func:`read_regular_file` + :func:`decode` + :func:`parse`; raises ``ValidationFailed``."""
    text = decode(read_regular_file(name, source, max_bytes, dir_fd=dir_fd), source)
    return parse(text, source, dates=dates, max_chars=max_bytes)
