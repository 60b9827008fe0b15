"""``plan``: the main job in check mode with diff, its plan as Markdown (what a pull request's
pipeline posts). The Markdown itself is written by the playbook (``danang_mail_plan_report``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tools.gitops import exits, playbook


def plan(root: Path, env: str, out: Path, name: str, ansible_args: Sequence[str]) -> int:
    out.unlink(missing_ok=True)  # never post a stale plan
    rc = playbook.run(root, env, name, {"danang_mail_plan_report": str(out)}, ansible_args, check=True)
    if rc != 0:
        if not out.exists():
            # Something for the pull request all the same: the reviewer must see that it failed.
            out.write_text(
                f"## Plan for {env}: failed\n\nThe check-mode run of `{name}` failed (exit {rc}) before it "
                "wrote a plan; the pipeline's log lists the problems (`file: entry: field: message`).\n",
                encoding="utf-8",
            )
        print(f"plan: {name} failed (exit {rc}); {out} says so")
        return exits.FAILED
    if not out.exists():
        print(f"plan: {name} wrote no plan to {out}")
        return exits.FAILED
    print(f"plan: written to {out}")
    return exits.OK
