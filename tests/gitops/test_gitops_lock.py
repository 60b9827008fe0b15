"""The daily job's lock on the remote: one job at a time across machines; a stale lock is broken
only after its time to live, and a job never releases a lock it no longer holds."""

from __future__ import annotations

import datetime

import clock
import pytest
from gitops_forge import MOMENT, Forge

from tools.gitops import exits
from tools.gitops.git import Git
from tools.gitops.lock import DailyLock, LockHeld

REF = "refs/heads/gitops/daily-lock-lab"
TTL = datetime.timedelta(hours=2)


def lock_of(forge: Forge, name: str) -> DailyLock:
    return DailyLock(Git(forge.clone(name), forge.env), "origin", REF)


def test_a_second_job_is_refused_while_the_lease_runs_and_breaks_it_after(forge: Forge) -> None:
    first, second, third = (
        lock_of(forge, "pipeline-1"),
        lock_of(forge, "pipeline-2"),
        lock_of(forge, "pipeline-3"),
    )
    assert first.acquire("job 1", MOMENT, TTL) == f"lock {REF} taken by job 1"
    held = forge.git(forge.origin, "rev-parse", REF)

    with pytest.raises(LockHeld, match=r"already running: .* held by job 1 since 2026-12-07T17:00:00\+07:00"):
        second.acquire("job 2", MOMENT + TTL - datetime.timedelta(seconds=1), TTL)
    assert forge.git(forge.origin, "rev-parse", REF) == held

    taken = second.acquire("job 2", MOMENT + TTL, TTL)
    assert taken.startswith(f"lock {REF} taken by job 2: broke a stale lock held by job 1")
    # Job 1 wakes up: the lock is job 2's now, job 1 leaves it alone.
    assert first.release().startswith("warning: ")
    assert forge.git(forge.origin, "rev-parse", REF) != held
    with pytest.raises(LockHeld, match="held by job 2"):
        third.acquire("job 3", MOMENT + TTL, TTL)

    assert second.release() == f"lock {REF} released"
    assert not forge.git(forge.origin, "for-each-ref", REF)
    assert third.acquire("job 3", MOMENT + TTL, TTL) == f"lock {REF} taken by job 3"


def test_two_jobs_breaking_the_same_stale_lock_cannot_both_win(forge: Forge) -> None:
    """Both read the stale lease; the one whose --force-with-lease lands second is refused."""
    stale, late = lock_of(forge, "pipeline-1"), lock_of(forge, "pipeline-2")
    stale.acquire("job 1", MOMENT, TTL)
    observed = late.current()
    assert observed is not None
    lock_of(forge, "pipeline-3").acquire("job 3", MOMENT + TTL, TTL)  # job 3 breaks it first
    pushed = late.git.push("origin", f"{observed.sha}:{REF}", f"--force-with-lease={REF}:{observed.sha}")
    assert not pushed, "a lease on the stale lock read before job 3 took it over must be refused"


def test_a_lock_this_tool_did_not_write_is_never_broken(forge: Forge) -> None:
    clerk = forge.clone("clerk")
    forge.git(clerk, "push", "--quiet", "origin", f"HEAD:{REF}")  # someone pushed a branch there
    with pytest.raises(LockHeld, match="not a lease this tool wrote"):
        lock_of(forge, "pipeline").acquire("job", MOMENT + datetime.timedelta(days=30), TTL)


def test_daily_exits_3_and_does_nothing_while_another_job_holds_the_lock(forge: Forge) -> None:
    lock_of(forge, "pipeline-1").acquire("https://forge.example/job/41", MOMENT, datetime.timedelta(hours=6))
    main = forge.git(forge.origin, "rev-parse", "main")
    later = clock.at(MOMENT + datetime.timedelta(minutes=5), forge.env)
    proc = forge.tool(forge.clone("pipeline-2"), "daily", "--env", "lab", env=later)
    assert proc.returncode == exits.LOCKED, proc.stdout + proc.stderr
    assert (
        "daily: the daily job is already running: lock refs/heads/gitops/daily-lock-lab held by "
        in proc.stdout
    )
    assert "https://forge.example/job/41 since 2026-12-07T17:00:00+07:00" in proc.stdout
    assert "PLAY" not in proc.stdout
    assert forge.git(forge.origin, "rev-parse", "main") == main


def test_daily_refuses_a_clone_with_changes(forge: Forge) -> None:
    pipeline = forge.clone("pipeline")
    ledger = pipeline / "inventories" / "lab" / "desired_state" / "ledger.yml"
    ledger.write_text(ledger.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    proc = forge.tool(pipeline, "daily", "--env", "lab")
    assert proc.returncode == exits.DIRTY, proc.stdout + proc.stderr
    assert "inventories/lab/desired_state/ledger.yml" in proc.stdout
    assert not forge.git(forge.origin, "for-each-ref", "refs/heads/gitops/")


def test_a_holder_name_cannot_make_its_own_lease_look_stale(forge: Forge) -> None:
    lock_of(forge, "pipeline-1").acquire("job 1\nstarted: 1999-01-01T00:00:00+00:00", MOMENT, TTL)
    with pytest.raises(LockHeld, match=r"held by job 1 started: 1999-01-01T00:00:00\+00:00 since 2026-12-07"):
        lock_of(forge, "pipeline-2").acquire("job 2", MOMENT + datetime.timedelta(minutes=1), TTL)


def test_an_unreachable_remote_fails_without_printing_its_token(forge: Forge) -> None:
    pipeline = forge.clone("pipeline")
    forge.git(
        pipeline, "remote", "set-url", "origin", "https://gitops:glpat-secret-token@127.0.0.1:9/city/mail.git"
    )
    proc = forge.tool(pipeline, "daily", "--env", "lab")
    assert proc.returncode == exits.FAILED, proc.stdout + proc.stderr
    assert "gitops: git push" in proc.stderr
    assert "unable to access 'https://127.0.0.1:9/city/mail.git/'" in proc.stderr
    assert "glpat-secret-token" not in proc.stdout + proc.stderr
