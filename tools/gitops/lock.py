"""The daily job's lock: a lease ref on the remote, so it holds across machines.

Taking the lock pushes a commit of its own to ``refs/heads/gitops/daily-lock-<env>`` with
``--force-with-lease=<ref>:`` (created only if absent: the remote refuses the push when another job
made it first, atomically). The commit's message says who holds it, since when and for how long.
A lock older than its time to live is taken over with ``--force-with-lease`` on the commit that was
read, so two jobs breaking the same stale lock cannot both win. It is released the same way: deleted
only if it is still ours.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from tools.gitops.git import Git

TITLE = "gitops daily lock"
DEFAULT_TTL = datetime.timedelta(hours=6)
# The lock commit's author: the holder is in its message, the clone may have no identity configured.
_IDENTITY = ("-c", "user.name=gitops daily lock", "-c", "user.email=gitops@localhost")


class LockHeld(Exception):
    """Another job holds the lock and its lease has not run out."""


@dataclass(frozen=True)
class Lease:
    sha: str
    holder: str
    started: datetime.datetime
    ttl: datetime.timedelta

    @property
    def expires(self) -> datetime.datetime:
        return self.started + self.ttl

    def describe(self) -> str:
        return (
            f"held by {self.holder} since {self.started.isoformat()} "
            f"(its lease runs out at {self.expires.isoformat()})"
        )


def _message(holder: str, started: datetime.datetime, ttl: datetime.timedelta) -> str:
    holder = " ".join(holder.split())  # one line: a holder cannot write the lease's other fields
    return (
        f"{TITLE}\n\nholder: {holder}\nstarted: {started.isoformat()}\n"
        f"ttl_seconds: {int(ttl.total_seconds())}\ntoken: {uuid.uuid4().hex}\n"
    )


def _parse(sha: str, message: str) -> Lease | None:
    fields = dict(line.split(": ", 1) for line in message.splitlines() if ": " in line)
    try:
        started = datetime.datetime.fromisoformat(fields["started"])
        ttl = datetime.timedelta(seconds=int(fields["ttl_seconds"]))
    except (KeyError, ValueError):
        return None
    if started.tzinfo is None:
        return None
    return Lease(sha, fields.get("holder", "?"), started, ttl)


class DailyLock:
    """The lease ref ``ref`` on ``remote``, seen from the clone ``git``."""

    def __init__(self, git: Git, remote: str, ref: str) -> None:
        self.git = git
        self.remote = remote
        self.ref = ref
        self.held: Lease | None = None

    def current(self) -> Lease | None:
        """The lease on the remote now, or None when the lock is free."""
        sha = self.git.remote_sha(self.remote, self.ref)
        if not sha:
            return None
        fetch = ("fetch", "--quiet", "--no-tags", "--", self.remote, self.ref)
        if self.git.run(*fetch, check=False).returncode != 0:
            if not self.git.remote_sha(self.remote, self.ref):
                return None  # released between the two reads
            self.git.run(*fetch)  # fails again: raises with git's own words
        message = self.git.out("log", "-1", "--format=%B", sha)
        lease = _parse(sha, message)
        if lease is None:  # not a lease (made by hand?): never broken automatically, a person looks
            raise LockHeld(
                f"the lock {self.ref} on {self.remote} is not a lease this tool wrote ({sha}): "
                "look at it, and delete the ref by hand if no job is running"
            )
        return lease

    def acquire(self, holder: str, now: datetime.datetime, ttl: datetime.timedelta = DEFAULT_TTL) -> str:
        """Take the lock; return a line for the log. Raises LockHeld when another job holds it."""
        message = _message(holder, now, ttl)
        empty_tree = self.git.out("mktree", "--missing")  # stdin is empty: the empty tree
        sha = self.git.out(*_IDENTITY, "commit-tree", empty_tree, "-m", message)
        lease = Lease(sha, holder, now, ttl)
        if self.git.push(self.remote, f"{sha}:{self.ref}", f"--force-with-lease={self.ref}:"):
            self.held = lease
            return f"lock {self.ref} taken by {holder}"
        other = self.current()
        if other is None:  # released between our push and our read: try once more
            if self.git.push(self.remote, f"{sha}:{self.ref}", f"--force-with-lease={self.ref}:"):
                self.held = lease
                return f"lock {self.ref} taken by {holder}"
            raise LockHeld(f"the daily job's lock {self.ref} was taken at the same moment by another job")
        if now < other.expires:
            raise LockHeld(f"the daily job is already running: lock {self.ref} {other.describe()}")
        if not self.git.push(self.remote, f"{sha}:{self.ref}", f"--force-with-lease={self.ref}:{other.sha}"):
            raise LockHeld(f"the stale lock {self.ref} was taken over by another job first")
        self.held = lease
        return f"lock {self.ref} taken by {holder}: broke a stale lock {other.describe()}"

    def release(self) -> str:
        """Give the lock back if it is still ours; return a line for the log."""
        if self.held is None:
            return f"lock {self.ref} not held"
        sha, self.held = self.held.sha, None
        if self.git.push(self.remote, f":{self.ref}", f"--force-with-lease={self.ref}:{sha}"):
            return f"lock {self.ref} released"
        return (
            f"warning: lock {self.ref} was no longer ours when released (its lease ran out and another "
            "job took it over): left alone"
        )
