"""The pipelines call only what the repository has: every ``python -m tools.gitops`` line of
.gitlab-ci.yml and .gitea/workflows/ parses with the tool's own arguments, every ``make`` target
exists, and the daily jobs never run twice at once (GitLab resource_group, Actions concurrency)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from tools.gitops.__main__ import parser

REPO = Path(__file__).resolve().parents[2]
PIPELINES = [REPO / ".gitlab-ci.yml", *sorted((REPO / ".gitea" / "workflows").glob("*.yml"))]


def commands(path: Path) -> list[str]:
    """Every shell line a job or step runs."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    lines: list[str] = []
    if "jobs" in data:  # Actions
        for job in data["jobs"].values():
            lines += [
                line
                for step in job["steps"]
                for line in step.get("run", "").replace("\\\n", " ").splitlines()
            ]
    else:
        for job in data.values():
            if isinstance(job, dict):
                lines += job.get("script", []) + job.get("after_script", [])
    return [line.strip() for line in lines if line.strip()]


@pytest.mark.parametrize("path", PIPELINES, ids=lambda p: p.name)
def test_every_command_a_pipeline_runs_is_in_the_repository(path: Path) -> None:
    found = commands(path)
    tool_calls = [line for line in found if "-m tools.gitops" in line]
    assert tool_calls
    for line in tool_calls:
        words = shlex.split(line.split("-m tools.gitops", 1)[1].split("||")[0].split("&&")[0])
        parser().parse_args(words)  # SystemExit on an unknown command or option
    targets = set(
        re.findall(r"^([a-z][a-z-]*):", (REPO / "Makefile").read_text(encoding="utf-8"), re.MULTILINE)
    )
    for line in found:
        for target in re.findall(r"\bmake ([a-z][a-z-]*)", line):
            assert target in targets, f"{path.name}: make {target} is not a Makefile target"


def test_the_daily_jobs_run_one_at_a_time_and_post_the_plan_on_pull_requests() -> None:
    gitlab = yaml.safe_load((REPO / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    assert gitlab["daily"]["resource_group"]
    assert any("tools.gitops daily" in line for line in gitlab["daily"]["script"])
    assert any("note --forge gitlab" in line for line in gitlab["plan"]["after_script"])
    daily = yaml.safe_load((REPO / ".gitea" / "workflows" / "daily.yml").read_text(encoding="utf-8"))
    assert daily["concurrency"]["cancel-in-progress"] is False
    plan = yaml.safe_load((REPO / ".gitea" / "workflows" / "plan.yml").read_text(encoding="utf-8"))
    assert "pull_request" in plan[True]  # YAML 1.1 reads the key "on" as true
