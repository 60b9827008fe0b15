"""``daily``: main allocates, reconciles and closes the day's requests once a day (R-14, R-22).

Under the lock (lock.py): fetch, and put the clone exactly on the remote's branch (reset, never
merge); run the allocate step; commit the ledger with the pipeline's identity and push without
force. A refused push means main moved meanwhile (a merge, another run): fetch, reset and allocate
again from main's ledger, a bounded number of times; two ledgers are never merged, so no address is
issued twice. Only then the apply step reconciles the mail systems, with the ledger that is on
main, and its closed request records are committed and pushed the same way.
"""

from __future__ import annotations

import datetime
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from tools.gitops import exits, playbook
from tools.gitops.git import Git
from tools.gitops.lock import DailyLock, LockHeld

STEPS = ("allocate", "apply")
# What each step may change under the environment's desired_state/: anything else is a bug in
# the step and is never committed.
WRITES = {"allocate": ("ledger.yml",), "apply": ("ledger.yml", "requests/")}


@dataclass(frozen=True)
class DailyOptions:
    env: str
    remote: str = "origin"
    branch: str = "main"
    steps: tuple[str, ...] = STEPS
    allocate_playbook: str = "playbooks/daily_allocate.yml"
    apply_playbook: str = "playbooks/daily_apply.yml"
    retries: int = 5
    lock_ref: str = ""  # default: refs/heads/gitops/daily-lock-<env>
    lock_ttl: datetime.timedelta = datetime.timedelta(hours=6)
    holder: str = ""
    report: Path | None = None
    ansible_args: tuple[str, ...] = field(default_factory=tuple)

    @property
    def lock(self) -> str:
        return self.lock_ref or f"refs/heads/gitops/daily-lock-{self.env}"


def identity() -> dict[str, str]:
    """The pipeline's commit identity: GITOPS_AUTHOR_NAME/EMAIL, else git's own configuration."""
    found = {
        "name": os.environ.get("GITOPS_AUTHOR_NAME", ""),
        "email": os.environ.get("GITOPS_AUTHOR_EMAIL", ""),
    }
    return {key: value for key, value in found.items() if value}


def sync(git: Git, remote: str, branch: str) -> str:
    """Put the clone on ``remote``'s ``branch`` exactly (our own unpushed commit is dropped)."""
    tracking = f"refs/remotes/{remote}/{branch}"
    git.run("fetch", "--quiet", "--no-tags", "--", remote, f"+refs/heads/{branch}:{tracking}")
    git.run("checkout", "--quiet", "--force", "-B", branch, tracking)
    return git.out("rev-parse", "--short", "HEAD")


def _allowed(path: str, env: str, step: str) -> bool:
    base = PurePosixPath("inventories") / env / "desired_state"
    return any(
        path == str(base / name) or (name.endswith("/") and path.startswith(f"{base / name}/"))
        for name in WRITES[step]
    )


def _step(git: Git, opts: DailyOptions, step: str, now: datetime.datetime, report: Path) -> int:
    name = opts.allocate_playbook if step == "allocate" else opts.apply_playbook
    extra = {"danang_mail_daily_report": str(report)} if step == "apply" else {}
    for attempt in range(1, opts.retries + 2):
        print(f"daily: {step}: running {name} on {opts.env} (attempt {attempt})", flush=True)
        rc = playbook.run(git.root, opts.env, name, extra, opts.ansible_args)
        if rc != 0:
            print(f"daily: {step}: {name} failed (exit {rc}): nothing committed; see its output above")
            return exits.FAILED
        changed = git.written(str(PurePosixPath("inventories") / opts.env / "desired_state"))
        unexpected = [path for path in changed if not _allowed(path, opts.env, step)]
        if unexpected:
            print(
                f"daily: {step}: {name} wrote files it must not, nothing committed: {', '.join(unexpected)}"
            )
            return exits.FAILED
        if not changed:
            print(f"daily: {step}: nothing changed, nothing to commit")
            return exits.OK
        message = (
            f"daily {step} ({opts.env}): {', '.join(sorted(changed))}\n\n"
            f"Committed by tools.gitops daily, {opts.holder}, at {now.isoformat()}.\n"
        )
        base = git.out("rev-parse", "HEAD")
        git.commit(message, changed, identity())
        if git.push(opts.remote, f"HEAD:refs/heads/{opts.branch}"):
            pushed = git.out("rev-parse", "--short", "HEAD")
            print(f"daily: {step}: pushed {pushed} to {opts.remote} {opts.branch}")
            return exits.OK
        if git.remote_sha(opts.remote, f"refs/heads/{opts.branch}") == base:
            # Not a race: branch protection or the pipeline user's rights. Retrying will not help.
            sync(git, opts.remote, opts.branch)
            print(
                f"daily: {step}: {opts.remote} refused the push ({git.refusal}) although {opts.branch} "
                "did not move: check the pipeline user's right to push (docs/gitops.md); nothing pushed"
            )
            return exits.FAILED
        head = sync(git, opts.remote, opts.branch)
        print(f"daily: {step}: push refused, {opts.branch} moved on {opts.remote}: reset to {head}, again")
    print(f"daily: {step}: the push was refused at each of {opts.retries + 1} attempts; nothing merged")
    return exits.PUSH_REFUSED


def daily(git: Git, opts: DailyOptions, now: datetime.datetime) -> int:
    dirty = git.changed(untracked=False)
    if dirty:
        print(f"daily: the work tree has changes ({', '.join(dirty)}): run it from a clean clone")
        return exits.DIRTY
    lock = DailyLock(git, opts.remote, opts.lock)
    try:
        print(f"daily: {lock.acquire(opts.holder, now, opts.lock_ttl)}", flush=True)
    except LockHeld as held:
        print(f"daily: {held}")
        return exits.LOCKED
    try:
        print(f"daily: on {opts.remote}/{opts.branch} at {sync(git, opts.remote, opts.branch)}", flush=True)
        with tempfile.TemporaryDirectory(prefix="gitops-daily-") as scratch:
            report = opts.report or Path(scratch) / "daily-report.md"
            for step in opts.steps:
                rc = _step(git, opts, step, now, report)
                if rc != exits.OK:
                    return rc
            if "apply" in opts.steps and report.exists():
                print(report.read_text(encoding="utf-8"))
        return exits.OK
    finally:
        print(f"daily: {lock.release()}", flush=True)
