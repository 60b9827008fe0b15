"""python -m tools.gitops [-C <clone>] <request|plan|note|daily> ... [-- <ansible-playbook options>]

Everything after ``--`` goes to ansible-playbook unchanged (``--vault-id dept@prompt``, ``-e ...``).
Exit codes: tools/gitops/exits.py (docs/gitops.md).
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from tools.gitops import exits
from tools.gitops.daily import STEPS, DailyOptions, daily
from tools.gitops.forge import FORGES, note
from tools.gitops.git import Git, GitError
from tools.gitops.plan import plan
from tools.gitops.request import RequestOptions, request


def _steps(text: str) -> tuple[str, ...]:
    steps = tuple(step.strip() for step in text.split(",") if step.strip())
    unknown = [step for step in steps if step not in STEPS]
    if unknown or not steps:
        raise argparse.ArgumentTypeError(f"steps are some of {', '.join(STEPS)}, comma-separated")
    return steps


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m tools.gitops", description=__doc__.splitlines()[0])
    top.add_argument("-C", dest="where", type=Path, default=Path.cwd(), help="the clone (default: here)")
    commands = top.add_subparsers(dest="command", required=True)

    req = commands.add_parser("request", help="a request file -> a branch request/<id> with one commit")
    req.add_argument("file", type=Path, help="form 01/02 (YAML or XLSX) or a records-software export")
    req.add_argument("--env", default="lab")
    req.add_argument("--mapping", type=Path, help="the column mapping of a records-software export")
    req.add_argument("--remote", default="origin")
    req.add_argument("--base", default="main", help="the branch the request starts from")
    req.add_argument("--push", action="store_true", help="push the branch to the remote")
    req.add_argument("--description", type=Path, help="also write the pull request's description here")
    req.add_argument("--playbook", default="playbooks/request.yml")

    pln = commands.add_parser("plan", help="the plan in check mode, as Markdown (what the PR pipeline posts)")
    pln.add_argument("--env", default="production")
    pln.add_argument("--out", type=Path, required=True, help="the Markdown plan to write")
    pln.add_argument("--playbook", default="playbooks/site.yml")

    nte = commands.add_parser("note", help="post a Markdown file on the pipeline's pull request")
    nte.add_argument("--forge", choices=FORGES, required=True)
    nte.add_argument("file", type=Path)

    day = commands.add_parser("daily", help="the daily job on main: allocate, apply, commit and push")
    day.add_argument("--env", default="production")
    day.add_argument("--remote", default="origin")
    day.add_argument("--branch", default="main")
    day.add_argument("--steps", type=_steps, default=STEPS, help="allocate,apply (default both)")
    day.add_argument("--allocate-playbook", default=DailyOptions.allocate_playbook)
    day.add_argument("--apply-playbook", default=DailyOptions.apply_playbook)
    day.add_argument("--retries", type=int, default=DailyOptions.retries, help="pushes retried when refused")
    day.add_argument("--lock-ref", default="", help="default: refs/heads/gitops/daily-lock-<env>")
    day.add_argument("--lock-ttl-minutes", type=int, default=360, help="after this a lock is stale")
    day.add_argument("--holder", default="", help="who holds the lock, e.g. the job's URL")
    day.add_argument("--report", type=Path, help="keep the due/overdue report (Markdown) here")
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    ansible_args: tuple[str, ...] = ()
    if "--" in args_list:
        cut = args_list.index("--")
        args_list, ansible_args = args_list[:cut], tuple(args_list[cut + 1 :])
    args = parser().parse_args(args_list)
    try:
        git = Git.at(args.where)
    except GitError as error:
        print(f"gitops: {args.where} is not a git clone: {error}", file=sys.stderr)
        return exits.FAILED
    now = datetime.datetime.now(datetime.UTC)
    try:
        if args.command == "daily":
            opts = DailyOptions(
                env=args.env,
                remote=args.remote,
                branch=args.branch,
                steps=args.steps,
                allocate_playbook=args.allocate_playbook,
                apply_playbook=args.apply_playbook,
                retries=args.retries,
                lock_ref=args.lock_ref,
                lock_ttl=datetime.timedelta(minutes=args.lock_ttl_minutes),
                holder=args.holder or f"{os.uname().nodename} pid {os.getpid()}",
                report=args.report.resolve() if args.report else None,
                ansible_args=ansible_args,
            )
            return daily(git, opts, now)
        if args.command == "note":
            return note(args.forge, args.file, os.environ)
        if args.command == "plan":
            return plan(git.root, args.env, args.out.resolve(), args.playbook, ansible_args)
        opts_r = RequestOptions(
            file=args.file.resolve(),
            env=args.env,
            mapping=args.mapping.resolve() if args.mapping else None,
            remote=args.remote,
            base=args.base,
            push=args.push,
            description=args.description.resolve() if args.description else None,
            playbook=args.playbook,
            ansible_args=ansible_args,
        )
        return request(git, opts_r)
    except GitError as error:
        print(f"gitops: {error}", file=sys.stderr)
        return exits.FAILED


if __name__ == "__main__":
    sys.exit(main())
