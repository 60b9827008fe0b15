"""The daily job on main: ranks across pull requests, idempotence, and a push race (R-13, R-14).

Three agencies each send a form 01 on the same day for a new "Nguyễn Văn An" (the lab city's ledger
already holds annv@). The clerk turns each into a branch with ``tools.gitops request``; the
reviewer merges them in the wrong order (lowest rank first); the pipeline's daily run allocates
them together, so the highest rank gets the smallest number whatever the merge order.
"""

from __future__ import annotations

import datetime
import stat
import sys
from pathlib import Path

from gitops_forge import (
    ALLOCATE_PLAYBOOK,
    APPLY_PLAYBOOK,
    LEDGER,
    MOMENT,
    NO_MAIL_SYSTEM,
    REQUEST_PLAYBOOK,
    Forge,
    write_form,
)

from tools.gitops import exits

# (record id, agency, person id, department, rank)
ANS = [
    ("2026-12-07-stttt-1", "stttt", "CB-2026-000701", "cntt", 1),
    ("2026-12-07-snv-1", "snv", "CB-2026-000702", "tcbc", 3),
    ("2026-12-07-sxd-1", "sxd", "CB-2026-000703", "qlxd", 5),
]


def send(
    forge: Forge, clerk: Path, record_id: str, agency: str, person: str, department: str, rank: int
) -> None:
    """The clerk turns a form 01 into the branch request/<id> with ``tools.gitops request`` (the real
    import, playbooks/request.yml) and pushes it."""
    form = write_form(forge.root, agency, person, department, rank)
    proc = forge.tool(clerk, "request", str(form), "--push", "--playbook", str(REQUEST_PLAYBOOK))
    assert proc.returncode == exits.OK, proc.stdout + proc.stderr
    assert forge.git(clerk, "branch", "--show-current") == f"request/{record_id}"
    forge.git(clerk, "switch", "--quiet", "main")


def merge(forge: Forge, reviewer: Path, record_id: str) -> None:
    forge.git(reviewer, "fetch", "--quiet", "origin")
    forge.git(
        reviewer,
        "merge",
        "--quiet",
        "--no-ff",
        "-m",
        f"Merge request/{record_id}",
        f"origin/request/{record_id}",
    )
    forge.git(reviewer, "push", "--quiet", "origin", "main")


def test_same_day_requests_merged_in_the_wrong_order_get_addresses_by_rank_and_a_second_run_changes_nothing(
    forge: Forge,
) -> None:
    clerk, reviewer, pipeline = forge.clone("clerk"), forge.clone("reviewer"), forge.clone("pipeline")
    for record_id, agency, person, department, rank in ANS:
        send(forge, clerk, record_id, agency, person, department, rank)
    for record_id, *_ in ANS:  # rank 1 first, rank 5 last: the wrong order
        merge(forge, reviewer, record_id)

    first = forge.daily(pipeline)
    assert first.returncode == exits.OK, first.stdout + first.stderr
    holders = forge.holders()
    # R-14: the same day, the higher rank first; annv@ itself is CB-2025-000901's (R-13).
    assert holders["CB-2025-000901"] == "annv@danang.gov.vn"
    assert holders["CB-2026-000703"] == "annv1@danang.gov.vn"
    assert holders["CB-2026-000702"] == "annv2@danang.gov.vn"
    assert holders["CB-2026-000701"] == "annv3@danang.gov.vn"
    # Committed with the pipeline's identity, on top of main (never a merge), lock released.
    author = forge.git(forge.origin, "log", "-1", "--format=%an <%ae> %P", "main")
    assert author.startswith("Daily pipeline <pipeline@example.invalid> ")
    assert len(author.split()) == 4, "the ledger commit has one parent"
    assert forge.git(forge.origin, "log", "-1", "--format=%s", "main") == f"daily allocate (lab): {LEDGER}"
    assert not forge.git(forge.origin, "for-each-ref", "refs/heads/gitops/")

    main = forge.git(forge.origin, "rev-parse", "main")
    second = forge.daily(pipeline)
    assert second.returncode == exits.OK, second.stdout + second.stderr
    assert "daily: allocate: nothing changed, nothing to commit" in second.stdout
    assert forge.git(forge.origin, "rev-parse", "main") == main


def test_two_pipelines_racing_on_the_ledger_push_end_with_one_ledger_and_no_address_twice(
    forge: Forge,
) -> None:
    """Pipeline B allocates, and before its push lands main moves: a request is merged and pipeline
    A (another machine, whose lock did not stop B: the worst case) pushes its own ledger. B's push is
    refused; B resets to main and allocates again from A's ledger, never merging the two."""
    clerk, reviewer = forge.clone("clerk"), forge.clone("reviewer")
    send(forge, clerk, *ANS[0])
    send(forge, clerk, *ANS[2])
    merge(forge, reviewer, ANS[0][0])
    pipeline_a, pipeline_b = forge.clone("pipeline-a"), forge.clone("pipeline-b")

    # B's pre-push hook (git's own) for its first push to main is the moment the race happens: the
    # remote has told B where main is, and moves before B's push lands.
    hook = pipeline_b / ".git" / "hooks" / "pre-push"
    hook.write_text(
        "#!/bin/sh\n"
        "grep -q ' refs/heads/main ' || exit 0\n"
        'rm -- "$0"\n'
        "unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE\n"
        f"git -C '{reviewer}' fetch --quiet origin\n"
        f"git -C '{reviewer}' merge --quiet --no-ff -m 'Merge' origin/request/{ANS[2][0]}\n"
        f"git -C '{reviewer}' push --quiet origin main\n"
        f"cd '{pipeline_a}' && '{sys.executable}' -m tools.gitops daily --env lab --steps allocate "
        f"--lock-ref refs/heads/gitops/lock-of-a --allocate-playbook '{ALLOCATE_PLAYBOOK}' "
        f"-- -e '{{\"danang_mail_in_use_systems\": []}}' > '{forge.root / 'pipeline-a.log'}' 2>&1\n",
        encoding="utf-8",
    )
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)

    raced = forge.daily(pipeline_b)
    assert raced.returncode == exits.OK, raced.stdout + raced.stderr
    assert "daily: allocate: push refused, main moved on origin" in raced.stdout
    assert "daily: allocate: pushed" in (forge.root / "pipeline-a.log").read_text(encoding="utf-8")
    # B's first ledger gave annv1 to CB-2026-000701 (alone then); main's says rank 5 first. B
    # allocated again from main's ledger and had nothing to add.
    holders = forge.holders()
    assert holders["CB-2026-000703"] == "annv1@danang.gov.vn"
    assert holders["CB-2026-000701"] == "annv2@danang.gov.vn"
    assert "daily: allocate: nothing changed, nothing to commit" in raced.stdout
    assert forge.git(pipeline_b, "rev-parse", "HEAD") == forge.git(forge.origin, "rev-parse", "main")
    # No merge commit made by a pipeline: every commit with two parents is a reviewer's merge.
    merges = forge.git(forge.origin, "log", "--merges", "--format=%an", "main").split()
    assert set(merges) == {"reviewer"}


def test_a_push_refused_every_time_ends_with_exit_4_and_nothing_merged(forge: Forge) -> None:
    """main moves before each of the pipeline's pushes (another clone's commit, from git's pre-push
    hook): after --retries the job gives up; its ledger never reaches main."""
    clerk, other, pipeline = forge.clone("clerk"), forge.clone("other"), forge.clone("pipeline")
    send(forge, clerk, *ANS[0])
    merge(forge, other, ANS[0][0])
    hook = pipeline / ".git" / "hooks" / "pre-push"
    hook.write_text(
        "#!/bin/sh\n"
        "grep -q ' refs/heads/main ' || exit 0\n"
        "unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE\n"
        f"git -C '{other}' commit --quiet --allow-empty -m 'meanwhile'\n"
        f"git -C '{other}' push --quiet origin main\n",
        encoding="utf-8",
    )
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)

    proc = forge.daily(pipeline, "--retries", "1")
    assert proc.returncode == exits.PUSH_REFUSED, proc.stdout + proc.stderr
    assert proc.stdout.count("push refused, main moved on origin") == 2
    assert "the push was refused at each of 2 attempts; nothing merged" in proc.stdout
    assert "CB-2026-000701" not in forge.holders()
    assert not forge.git(forge.origin, "log", "--format=%an", "--author=Daily pipeline", "main")
    assert not forge.git(forge.origin, "for-each-ref", "refs/heads/gitops/"), "the lock is released"


def test_a_step_that_writes_another_file_commits_nothing(forge: Forge) -> None:
    pipeline = forge.clone("pipeline")
    main = forge.git(forge.origin, "rev-parse", "main")
    proc = forge.tool(
        pipeline,
        "daily",
        "--env",
        "lab",
        "--steps",
        "allocate",
        "--allocate-playbook",
        str(Path(__file__).with_name("writes_an_agency_file.yml")),
    )
    assert proc.returncode == exits.FAILED, proc.stdout + proc.stderr
    assert (
        "wrote files it must not, nothing committed: inventories/lab/desired_state/agencies/stttt.yml"
        in proc.stdout
    )
    assert forge.git(forge.origin, "rev-parse", "main") == main


def test_the_apply_step_commits_the_closed_records_after_the_ledger_and_prints_the_report(
    forge: Forge,
) -> None:
    clerk, reviewer, pipeline = forge.clone("clerk"), forge.clone("reviewer"), forge.clone("pipeline")
    send(forge, clerk, *ANS[1])
    merge(forge, reviewer, ANS[1][0])
    report = pipeline / "daily-report.md"  # in the clone, as the pipelines keep it: never committed
    daily = (
        "daily", "--env", "lab", "--allocate-playbook", str(ALLOCATE_PLAYBOOK),
        "--apply-playbook", str(APPLY_PLAYBOOK), "--report", str(report), *NO_MAIL_SYSTEM,
    )  # fmt: skip

    proc = forge.tool(pipeline, *daily)
    assert proc.returncode == exits.OK, proc.stdout + proc.stderr
    assert forge.holders()["CB-2026-000702"] == "annv1@danang.gov.vn"
    record = f"inventories/lab/desired_state/requests/{ANS[1][0]}.yml"
    assert forge.main_file(record).endswith("\ndone_on: 2026-12-07")
    month = "inventories/lab/desired_state/notifications/2026-12.yml"  # the notifications journal too
    assert f'key: "request-result:{ANS[1][0]}"' in forge.main_file(month)
    subjects = forge.git(forge.origin, "log", "-2", "--format=%s", "main").splitlines()
    assert subjects == [f"daily apply (lab): {month}, {record}", f"daily allocate (lab): {LEDGER}"]
    assert "## Requests due or overdue\n\nNone: 1 closed today." in proc.stdout
    assert report.exists()

    main = forge.git(forge.origin, "rev-parse", "main")
    again = forge.tool(pipeline, *daily)
    assert again.returncode == exits.OK, again.stdout + again.stderr
    assert again.stdout.count("nothing changed, nothing to commit") == 2
    assert forge.git(forge.origin, "rev-parse", "main") == main


def test_a_push_refused_while_main_did_not_move_is_not_retried(forge: Forge) -> None:
    """A refusal that is not a race (the remote's own rule: branch protection, missing rights) fails
    at once with git's reason, instead of running the step again and again."""
    clerk, reviewer, pipeline = forge.clone("clerk"), forge.clone("reviewer"), forge.clone("pipeline")
    send(forge, clerk, *ANS[0])
    merge(forge, reviewer, ANS[0][0])
    hook = forge.origin / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\ngrep -q ' refs/heads/main$' || exit 0\necho 'main is protected' >&2\nexit 1\n",
        encoding="utf-8",
    )
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    proc = forge.daily(pipeline)
    assert proc.returncode == exits.FAILED, proc.stdout + proc.stderr
    assert (
        "refused the push ([remote rejected] (pre-receive hook declined)) although main did not"
        in proc.stdout
    )
    assert proc.stdout.count("running") == 1
    assert "CB-2026-000701" not in forge.holders()
    assert not forge.git(forge.origin, "for-each-ref", "refs/heads/gitops/"), "the lock is released"


def test_a_daily_run_before_the_cut_off_leaves_the_days_requests_pending(forge: Forge) -> None:
    """Before the cut-off, today's persons are pending: a daily run between two merges cannot give
    the lower rank the smaller number (R-14)."""
    clerk, reviewer, pipeline = forge.clone("clerk"), forge.clone("reviewer"), forge.clone("pipeline")
    for request in ANS:
        send(forge, clerk, *request)
    merge(forge, reviewer, ANS[0][0])  # rank 1 first
    morning = forge.daily(pipeline, moment=MOMENT.replace(hour=9))
    assert morning.returncode == exits.OK, morning.stdout + morning.stderr
    assert "CB-2026-000701" not in forge.holders()
    for record_id, *_ in ANS[1:]:
        merge(forge, reviewer, record_id)
    evening = forge.daily(pipeline, moment=MOMENT + datetime.timedelta(minutes=30))
    assert evening.returncode == exits.OK, evening.stdout + evening.stderr
    holders = forge.holders()
    assert [holders[f"CB-2026-00070{n}"] for n in (3, 2, 1)] == [f"annv{n}@danang.gov.vn" for n in (1, 2, 3)]


def before_push_of(clone: Path, subject: str, *commands: str) -> None:
    """git's own pre-push hook in ``clone``: runs ``commands`` once, just before the first push to
    main of a commit whose subject starts with ``subject`` (the remote has answered, the push has not
    landed yet)."""
    hook = clone / ".git" / "hooks" / "pre-push"
    hook.write_text(
        "#!/bin/sh\n"
        "while read lref lsha rref rsha; do\n"
        '  [ "$rref" = refs/heads/main ] || continue\n'
        f'  git log -1 --format=%s "$lsha" | grep -q "^{subject}" || continue\n'
        '  rm -- "$0"\n'
        "  unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE\n"
        + "".join(f"  {command}\n" for command in commands)
        + "done\nexit 0\n",
        encoding="utf-8",
    )
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)


DAILY_BOTH = ("--steps", "allocate,apply", "--apply-playbook", str(APPLY_PLAYBOOK))


def test_an_applied_commit_is_replayed_on_a_main_that_moved_by_other_files(forge: Forge) -> None:
    """The mail systems already match the apply step's commit: when a request is merged just before
    its push, the commit is replayed on top (the merge leaves its files alone), never dropped, and
    the systems are not reconciled a second time."""
    clerk, reviewer, pipeline = forge.clone("clerk"), forge.clone("reviewer"), forge.clone("pipeline")
    send(forge, clerk, *ANS[1])
    send(forge, clerk, *ANS[2])
    merge(forge, reviewer, ANS[1][0])
    before_push_of(
        pipeline,
        "daily apply",
        f"git -C '{reviewer}' pull --quiet --ff-only origin main",
        f"git -C '{reviewer}' merge --quiet --no-ff -m Merge origin/request/{ANS[2][0]}",
        f"git -C '{reviewer}' push --quiet origin main",
    )
    proc = forge.daily(pipeline, *DAILY_BOTH)
    assert proc.returncode == exits.OK, proc.stdout + proc.stderr
    assert "daily: apply: main moved by commits that leave these files alone: replayed on top" in proc.stdout
    assert proc.stdout.count("daily: apply: running") == 1
    subjects = forge.git(forge.origin, "log", "-3", "--first-parent", "--format=%s", "main").splitlines()
    assert subjects[0].startswith("daily apply (lab): ")
    assert subjects[1] == "Merge"
    assert forge.main_file(f"inventories/lab/desired_state/requests/{ANS[1][0]}.yml").endswith(
        "done_on: 2026-12-07"
    )


def test_an_applied_commit_whose_files_changed_on_main_is_kept_on_a_rescue_branch(forge: Forge) -> None:
    clerk, reviewer, pipeline = forge.clone("clerk"), forge.clone("reviewer"), forge.clone("pipeline")
    send(forge, clerk, *ANS[1])
    merge(forge, reviewer, ANS[1][0])
    record = f"inventories/lab/desired_state/requests/{ANS[1][0]}.yml"
    before_push_of(
        pipeline,
        "daily apply",
        f"git -C '{reviewer}' pull --quiet --ff-only origin main",
        f"echo '# edited' >> '{reviewer / record}'",
        f"git -C '{reviewer}' commit --quiet -am edited",
        f"git -C '{reviewer}' push --quiet origin main",
    )
    proc = forge.daily(pipeline, *DAILY_BOTH)
    assert proc.returncode == exits.PUSH_REFUSED, proc.stdout + proc.stderr
    assert f"daily: apply: main moved and changed {record} too" in proc.stdout
    rescue = forge.git(forge.origin, "for-each-ref", "--format=%(refname)", "refs/heads/gitops/")
    assert rescue.startswith("refs/heads/gitops/rescue-lab-")
    assert forge.git(forge.origin, "log", "-1", "--format=%s", rescue).startswith("daily apply (lab): ")
    assert f"kept on origin {rescue.removeprefix('refs/heads/')}" in proc.stdout
    assert forge.git(forge.origin, "log", "-1", "--format=%s", "main") == "edited"
