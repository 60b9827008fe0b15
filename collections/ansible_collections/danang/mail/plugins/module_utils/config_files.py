# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Directories and files of a server's configuration, set in one pass (the config_files module).

Ansible runs one module process per file for ``ansible.builtin.template`` and ``file`` loops (about
0.3 s each); a role that writes a dozen files per daemon pays that on every run. Here one call
checks and sets them all: a directory is created when missing, a file replaced atomically (owner,
group and mode set before the rename, so a daemon never reads a half-written file or one it may not
read), and the owner, group and mode of what exists are brought back when they differ.
"""

from __future__ import annotations

import grp
import os
import pwd
import re
import stat
from dataclasses import dataclass
from typing import Optional

from ansible_collections.danang.mail.plugins.module_utils.files import replacing

MODE = re.compile(r"^0?[0-7]{3}$")


class ConfigFilesError(ValueError):
    """An entry that cannot be set: it names the path and the field."""


@dataclass(frozen=True)
class Entry:
    path: str
    owner: str
    group: str
    mode: int
    content: Optional[bytes] = None  # None: a directory


@dataclass
class Outcome:
    changed: list[str]
    diff: list[dict[str, str]]


def parse_mode(field: str, value: object) -> int:
    """An octal mode as a string (``"0640"``): YAML would read an unquoted 0640 as decimal 416."""
    if not isinstance(value, str) or not MODE.match(value):
        raise ConfigFilesError(f"{field} must be an octal string such as '0640', not {value!r}")
    return int(value, 8)


def entries(
    directories: list[str], files: dict[str, str], owner: str, group: str, mode: object
) -> tuple[list[Entry], list[Entry]]:
    """The module's arguments as entries, every path absolute, all with one owner, group and mode."""
    bits = parse_mode("mode", mode)
    for path, content in files.items():
        if not isinstance(content, str):
            raise ConfigFilesError(f"{path}: the content must be a string, not {type(content).__name__}")
    made = (
        [Entry(path, owner, group, bits) for path in directories],
        [Entry(path, owner, group, bits, content.encode("utf-8")) for path, content in files.items()],
    )
    for item in (*made[0], *made[1]):
        if not os.path.isabs(item.path):
            raise ConfigFilesError(f"{item.path}: path must be absolute")
    return made


def _ids(item: Entry) -> tuple[int, int]:
    try:
        uid = pwd.getpwnam(item.owner).pw_uid
    except KeyError:
        raise ConfigFilesError(f"{item.path}: owner {item.owner!r} is not a user on this host") from None
    try:
        gid = grp.getgrnam(item.group).gr_gid
    except KeyError:
        raise ConfigFilesError(f"{item.path}: group {item.group!r} is not a group on this host") from None
    return uid, gid


def _attributes(st: os.stat_result) -> str:
    owner = _name(pwd.getpwuid, st.st_uid)
    group = _name(grp.getgrgid, st.st_gid)
    return f"owner: {owner}\ngroup: {group}\nmode: {stat.S_IMODE(st.st_mode):04o}\n"


def _name(lookup, number: int) -> str:
    try:
        return lookup(number)[0]
    except KeyError:
        return str(number)


def _wanted(item: Entry) -> str:
    return f"owner: {item.owner}\ngroup: {item.group}\nmode: {item.mode:04o}\n"


def _read(path: str) -> Optional[bytes]:
    """The file's bytes; None when it is missing or not a regular file (a link is replaced, not
    followed: the role's files are its own)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if os.path.islink(path):
            return None
        raise ConfigFilesError(f"{path}: cannot read it ({exc.strerror})") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ConfigFilesError(f"{path}: exists and is not a regular file")
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def _set_attributes(item: Entry, uid: int, gid: int, check_mode: bool, outcome: Outcome) -> None:
    st = os.stat(item.path)
    if (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (uid, gid, item.mode):
        return
    outcome.diff.append(
        {
            "before_header": item.path,
            "after_header": item.path,
            "before": _attributes(st),
            "after": _wanted(item),
        }
    )
    if item.path not in outcome.changed:
        outcome.changed.append(item.path)
    if not check_mode:
        os.chown(item.path, uid, gid)
        os.chmod(item.path, item.mode)


def _directory(item: Entry, check_mode: bool, outcome: Outcome) -> None:
    uid, gid = _ids(item)
    if os.path.exists(item.path):
        if not os.path.isdir(item.path):
            raise ConfigFilesError(f"{item.path}: exists and is not a directory")
        _set_attributes(item, uid, gid, check_mode, outcome)
        return
    outcome.changed.append(item.path)
    outcome.diff.append(
        {"before_header": item.path, "after_header": item.path, "before": "absent\n", "after": _wanted(item)}
    )
    if not check_mode:
        os.makedirs(item.path, mode=0o755, exist_ok=True)  # the parents as ansible.builtin.file makes them
        os.chown(item.path, uid, gid)
        os.chmod(item.path, item.mode)


def _file(item: Entry, check_mode: bool, outcome: Outcome) -> None:
    uid, gid = _ids(item)
    parent = os.path.dirname(item.path)
    if not os.path.isdir(parent):
        if not check_mode:  # in check mode, an earlier task would have made it
            raise ConfigFilesError(f"{item.path}: its directory does not exist")
        before = None
    else:
        before = _read(item.path)
    if before == item.content:
        _set_attributes(item, uid, gid, check_mode, outcome)
        return
    outcome.changed.append(item.path)
    outcome.diff.append(
        {
            "before_header": item.path,
            "after_header": item.path,
            "before": "" if before is None else before.decode("utf-8", "replace"),
            "after": (item.content or b"").decode("utf-8", "replace"),
        }
    )
    if not check_mode:
        with replacing(item.path, item.mode) as handle:
            handle.write(item.content or b"")
            os.fchown(handle.fileno(), uid, gid)


def apply(directories: list[Entry], files: list[Entry], check_mode: bool) -> Outcome:
    """Set the directories (in order, so a parent comes before its children), then the files.
    Every entry is checked (users, groups) before anything changes."""
    for item in (*directories, *files):
        _ids(item)
    outcome = Outcome(changed=[], diff=[])
    for item in directories:
        _directory(item, check_mode, outcome)
    for item in files:
        _file(item, check_mode, outcome)
    return outcome
