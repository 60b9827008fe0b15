"""git, run with argument lists: the one place this package starts git."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

# A remote URL may carry a token (https://user:token@host/...): never print it.
_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s]+@", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` without the user and password part of any URL in it."""
    return _CREDENTIALS.sub(r"\g<scheme>***@", text)


class GitError(Exception):
    """A git command failed; the message names the command and git's own words."""

    def __init__(self, args: Sequence[str], returncode: int, stderr: str) -> None:
        self.returncode = returncode
        self.stderr = redact(stderr.strip())
        super().__init__(f"git {redact(' '.join(args))} failed ({returncode}): {self.stderr}")


class Git:
    """git in one work tree."""

    def __init__(self, root: Path, env: Mapping[str, str] | None = None) -> None:
        self.root = root
        self.env = dict(os.environ if env is None else env)
        # Never wait for a password prompt in a pipeline: fail instead.
        self.env.setdefault("GIT_TERMINAL_PROMPT", "0")
        self.refusal = ""  # why the remote refused the last refused push, in git's words

    def run(
        self, *args: str, stdin: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            ["git", *args],
            cwd=self.root,
            env=self.env,
            input="" if stdin is None else stdin,  # never the caller's terminal
            capture_output=True,
            text=True,
            check=False,
        )
        if check and proc.returncode != 0:
            raise GitError(args, proc.returncode, proc.stderr)
        return proc

    def out(self, *args: str) -> str:
        return self.run(*args).stdout.strip()

    @classmethod
    def at(cls, where: Path, env: Mapping[str, str] | None = None) -> Git:
        """The work tree that contains ``where``."""
        top = cls(where, env).out("rev-parse", "--show-toplevel")
        return cls(Path(top), env)

    def changed(self, *paths: str, untracked: bool = True) -> list[str]:
        """The paths (relative to the root) that differ from HEAD, under ``paths`` if given."""
        args = ["status", "--porcelain=v1", "-z", f"--untracked-files={'all' if untracked else 'no'}"]
        # Not out(): the status columns start with a space that strip() would eat.
        entries = self.run(*args, "--", *paths).stdout.split("\0")
        found = []
        skip = False
        for entry in entries:
            if skip:  # the source of a rename
                skip = False
                continue
            if not entry:
                continue
            found.append(entry[3:])
            skip = entry[0] in "RC"
        return found

    def written(self, tree: str) -> list[str]:
        """What a playbook may have written: changed tracked files anywhere, and new files under
        ``tree``. Untracked files elsewhere (a report, the request file itself) are not ours."""
        return sorted(set(self.changed(untracked=False)) | set(self.changed(tree)))

    def remote_sha(self, remote: str, ref: str) -> str:
        """The commit ``ref`` points to on ``remote``, or "" when it does not exist there."""
        # ls-remote matches patterns by their tail: keep the exact ref only.
        found = (line.split("\t") for line in self.out("ls-remote", "--", remote, ref).splitlines())
        return next((sha for sha, name in found if name == ref), "")

    def push(self, remote: str, refspec: str, *options: str) -> bool:
        """Push; False when the remote refused it (not a fast-forward, a lease that no longer holds)."""
        proc = self.run("push", "--porcelain", *options, "--", remote, refspec, check=False)
        if proc.returncode == 0:
            return True
        # --porcelain prints "!" for each refused ref; anything else (no network, no rights) is an error.
        refused = [line for line in proc.stdout.splitlines() if line.startswith("!")]
        if refused:
            self.refusal = redact(refused[0].split("\t")[-1])
            return False
        raise GitError(["push", remote, refspec], proc.returncode, proc.stderr or proc.stdout)

    def commit(self, message: str, paths: Sequence[str], identity: Mapping[str, str]) -> str:
        """Commit exactly ``paths`` with ``message`` kept verbatim (a Markdown heading is not a comment)."""
        self.run("add", "--all", "--", *paths)
        self.run(
            *_as(identity),
            "commit",
            "--quiet",
            "--cleanup=whitespace",
            "--file=-",
            "--",
            *paths,
            stdin=message,
        )
        return self.out("rev-parse", "HEAD")

    def replay(self, commit: str, identity: Mapping[str, str]) -> str:
        """``commit`` applied on top of HEAD (its author and message kept); the new commit."""
        self.run(*_as(identity), "cherry-pick", "--allow-empty", commit)
        return self.out("rev-parse", "HEAD")


def _as(identity: Mapping[str, str]) -> list[str]:
    """git options that make ``identity`` ({name, email}, may be empty) the committer."""
    return [arg for key, value in identity.items() for arg in ("-c", f"user.{key}={value}")]
