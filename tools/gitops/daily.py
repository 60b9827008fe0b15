"""``daily``: main allocates, reconciles and closes the day's requests once a day (R-14, R-22).

Under the lock (lock.py): fetch, and put the clone exactly on the remote's branch (reset, never
merge); run the allocate step; commit the ledger with the pipeline's identity and push without
force. A refused push means main moved meanwhile (a merge, another run): fetch, reset and allocate
again from main's ledger, a bounded number of times; two ledgers are never merged, so no address is
issued twice. Only then the apply step reconciles the mail systems, with the ledger that is on
main, and commits its closed request records. That commit is never dropped, as the systems already
match it: when main moved meanwhile by commits that leave its files alone, it is replayed on top.
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
WRITES = {"allocate": ("ledger.yml",), "apply": ("ledger.yml", "requests/", "notifications/")}


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


def _run(git: Git, opts: DailyOptions, step: str, report: Path, attempt: int) -> tuple[int, list[str]]:
    """Run the step's playbook; its exit code and the files it wrote (all of them allowed)."""
    name = opts.allocate_playbook if step == "allocate" else opts.apply_playbook
    extra = {"danang_mail_daily_report": str(report)} if step == "apply" else {}
    print(f"daily: {step}: running {name} on {opts.env} (attempt {attempt})", flush=True)
    rc = playbook.run(git.root, opts.env, name, extra, opts.ansible_args)
    if rc != 0:
        print(f"daily: {step}: {name} failed (exit {rc}): nothing committed; see its output above")
        return exits.FAILED, []
    changed = git.written(str(PurePosixPath("inventories") / opts.env / "desired_state"))
    unexpected = [path for path in changed if not _allowed(path, opts.env, step)]
    if unexpected:
        print(f"daily: {step}: {name} wrote files it must not, nothing committed: {', '.join(unexpected)}")
        return exits.FAILED, []
    if not changed:
        print(f"daily: {step}: nothing changed, nothing to commit")
    return exits.OK, changed


def _commit(git: Git, opts: DailyOptions, step: str, changed: list[str], now: datetime.datetime) -> str:
    """Commit the step's files with the pipeline's identity; return the commit it was made on."""
    base = git.out("rev-parse", "HEAD")
    message = (
        f"daily {step} ({opts.env}): {', '.join(sorted(changed))}\n\n"
        f"Committed by tools.gitops daily, {opts.holder}, at {now.isoformat()}.\n"
    )
    git.commit(message, changed, identity())
    return base


def _pushed(git: Git, opts: DailyOptions, step: str, base: str) -> bool | None:
    """Push HEAD to the branch: True when it landed, False when the branch moved meanwhile, None
    when the remote refused it for another reason (protection, rights: retrying will not help)."""
    if git.push(opts.remote, f"HEAD:refs/heads/{opts.branch}"):
        print(
            f"daily: {step}: pushed {git.out('rev-parse', '--short', 'HEAD')} to {opts.remote} {opts.branch}"
        )
        return True
    if git.remote_sha(opts.remote, f"refs/heads/{opts.branch}") == base:
        print(
            f"daily: {step}: {opts.remote} refused the push ({git.refusal}) although {opts.branch} "
            "did not move: check the pipeline user's right to push (docs/gitops.md)"
        )
        return None
    return False


def _allocate(git: Git, opts: DailyOptions, now: datetime.datetime, report: Path) -> int:
    """Allocate and push the ledger; when main moved, drop ours and allocate again from main's."""
    for attempt in range(1, opts.retries + 2):
        rc, changed = _run(git, opts, "allocate", report, attempt)
        if rc != exits.OK or not changed:
            return rc
        pushed = _pushed(git, opts, "allocate", _commit(git, opts, "allocate", changed, now))
        if pushed:
            return exits.OK
        head = sync(git, opts.remote, opts.branch)
        if pushed is None:
            print("daily: allocate: nothing pushed")
            return exits.FAILED
        print(f"daily: allocate: push refused, {opts.branch} moved on {opts.remote}: reset to {head}, again")
    print(f"daily: allocate: the push was refused at each of {opts.retries + 1} attempts; nothing merged")
    return exits.PUSH_REFUSED


def _apply(git: Git, opts: DailyOptions, now: datetime.datetime, report: Path) -> int:
    """Apply once, then push its commit. The mail systems already match that commit, so it is never
    dropped: when main moved by commits that do not touch its files (merged requests), it is
    replayed on top; otherwise it is kept on a rescue branch for a person to look at."""
    rc, changed = _run(git, opts, "apply", report, 1)
    if rc != exits.OK or not changed:
        return rc
    base = _commit(git, opts, "apply", changed, now)
    for _attempt in range(opts.retries + 1):
        pushed = _pushed(git, opts, "apply", base)
        if pushed:
            return exits.OK
        if pushed is None:
            return _rescue(git, opts, exits.FAILED)
        ours = git.out("rev-parse", "HEAD")
        tracking = f"refs/remotes/{opts.remote}/{opts.branch}"
        git.run("fetch", "--quiet", "--no-tags", "--", opts.remote, f"+refs/heads/{opts.branch}:{tracking}")
        touched = git.out("diff", "--name-only", base, tracking, "--", *changed)
        if touched:
            print(f"daily: apply: {opts.branch} moved and changed {touched.replace(chr(10), ', ')} too")
            return _rescue(git, opts, exits.PUSH_REFUSED)
        git.run("checkout", "--quiet", "--force", "-B", opts.branch, tracking)
        git.replay(ours, identity())
        base = git.out("rev-parse", tracking)
        print(f"daily: apply: {opts.branch} moved by commits that leave these files alone: replayed on top")
    print(f"daily: apply: the push was refused at each of {opts.retries + 1} attempts")
    return _rescue(git, opts, exits.PUSH_REFUSED)


def _rescue(git: Git, opts: DailyOptions, rc: int) -> int:
    """Keep the applied commit on the remote, on a branch of its own, never on main."""
    sha = git.out("rev-parse", "HEAD")
    branch = f"gitops/rescue-{opts.env}-{sha[:12]}"
    where = (
        f"{opts.remote} {branch}"
        if git.push(opts.remote, f"HEAD:refs/heads/{branch}")
        else f"this clone ({sha})"
    )
    print(
        f"daily: apply: the mail systems match commit {sha[:12]}, which is not on {opts.branch}: kept on "
        f"{where}. A person brings its files to {opts.branch} (docs/gitops.md); nothing merged"
    )
    return rc


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
                rc = (_allocate if step == "allocate" else _apply)(git, opts, now, report)
                if rc != exits.OK:
                    return rc
            if "apply" in opts.steps and report.exists():
                print(report.read_text(encoding="utf-8"))
        return exits.OK
    finally:
        print(f"daily: {lock.release()}", flush=True)
