# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The files of a desired-state tree on disk: which entries of ``agencies/`` and ``requests/`` are
read, and how.

Only regular files inside the tree are read (a link's target is never opened nor named); every
other entry is a problem, never skipped silently. Reading and YAML are ``strict_yaml``'s.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils import strict_yaml
from ansible_collections.danang.mail.plugins.module_utils.model import Problem, ValidationFailed
from ansible_collections.danang.mail.plugins.module_utils.strict_yaml import file_kind

AGENCIES_DIR = "agencies"
AGENCY_SUFFIX = ".yml"
_PLACEHOLDERS = frozenset({".gitkeep", ".keep"})  # keep an empty directory in git


@dataclass(frozen=True)
class FileKind:
    """One kind of file a directory of the tree holds, as the problems name it."""

    directory: str  # agencies
    noun: str  # agency file
    name: str  # <abbreviation>.yml
    needs: str  # what an empty file lacks


AGENCY_FILES = FileKind(
    AGENCIES_DIR, "agency file", f"<abbreviation>{AGENCY_SUFFIX}", "abbreviation and name"
)
REQUEST_FILES = FileKind("requests", "request record", f"<id>{AGENCY_SUFFIX}", "id, form, agency and items")


def _file_problem(entry: os.DirEntry[str], source: str, kind: FileKind) -> Optional[Problem]:
    """Why a directory entry is not read as a ``kind`` file, or None. Nothing is skipped silently."""
    name = entry.name
    if entry.is_symlink():  # its target is never read nor named: it may be a secret outside the tree
        message = (
            f"a symbolic link: {kind.noun}s must be regular files inside the tree; replace it by the file"
        )
    elif name.startswith("."):
        if name in _PLACEHOLDERS and entry.is_file(follow_symlinks=False):
            return None
        message = f"a hidden file, not read: {kind.noun}s are named {kind.name}; remove it"
    elif not entry.is_file(follow_symlinks=False):
        found = file_kind(entry.stat(follow_symlinks=False).st_mode)
        message = f"{found}, not {_article(kind.noun)}: {kind.directory}/ holds only {kind.name} files"
    elif not name.endswith(AGENCY_SUFFIX):
        message = f"not {_article(kind.noun)}: {kind.noun}s are named {kind.name}"
    else:
        return None
    return Problem(source, "", "", message)


def _article(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"


def read_tree_files(
    directory: str, problems: list[Problem], kind: FileKind
) -> tuple[list[tuple[str, Any]], bool]:
    """``(source, data)`` of every ``kind`` file in ``directory``, and whether all could be read.

    The directory is opened without following a link and every file is opened relative to it, also
    without following one (``strict_yaml.read_regular_file``), so nothing outside the tree is read.
    """
    try:
        dir_fd = os.open(
            directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        )
    except OSError as exc:
        reason = "a symbolic link" if os.path.islink(directory) else os.strerror(exc.errno or 0)
        message = f"cannot read {kind.directory}/ ({reason}): it must be a directory inside the tree"
        problems.append(Problem(directory, "", "", message))
        return [], False
    files: list[tuple[str, Any]] = []
    complete = True
    try:
        with os.scandir(dir_fd) as listing:
            entries = sorted(listing, key=lambda e: e.name)
        for entry in entries:
            source = os.path.join(directory, entry.name)
            problem = _file_problem(entry, source, kind)
            if problem is not None:
                problems.append(problem)
                continue
            if entry.name in _PLACEHOLDERS:
                continue
            try:
                data = strict_yaml.load_file(
                    entry.name, source, max_bytes=strict_yaml.FILE_MAX_BYTES, dates=False, dir_fd=dir_fd
                )
            except ValidationFailed as exc:
                problems.extend(exc.problems)
                complete = False
                continue
            if data is None:
                message = f"the file is empty: {_article(kind.noun)} needs {kind.needs}"
                problems.append(Problem(source, "", "", message))
                complete = False
                continue
            files.append((source, data))
    finally:
        os.close(dir_fd)
    return files, complete
