"""``tools.gitops plan``: the check-mode run's Markdown plan, and a plan that says so when the run
failed (the pull request must never show a stale or missing plan as if all were well)."""

from __future__ import annotations

from pathlib import Path

from gitops_forge import Forge

from tools.gitops import exits

HERE = Path(__file__).resolve().parent


def test_the_plan_is_written_in_check_mode(forge: Forge) -> None:
    out = forge.root / "plan.md"
    out.write_text("a stale plan\n", encoding="utf-8")
    proc = forge.tool(
        forge.clone("pipeline"),
        "plan",
        "--env",
        "lab",
        "--out",
        str(out),
        "--playbook",
        str(HERE / "plan_stand_in.yml"),
    )
    assert proc.returncode == exits.OK, proc.stdout + proc.stderr
    assert out.read_text(encoding="utf-8") == "## Plan for danang.gov.vn\n\ncheck mode: True\n"


def test_a_failed_plan_says_so_instead_of_a_stale_one(forge: Forge) -> None:
    out = forge.root / "plan.md"
    out.write_text("a stale plan\n", encoding="utf-8")
    proc = forge.tool(
        forge.clone("pipeline"),
        "plan",
        "--env",
        "lab",
        "--out",
        str(out),
        "--playbook",
        "playbooks/missing.yml",
    )
    assert proc.returncode == exits.FAILED, proc.stdout + proc.stderr
    text = out.read_text(encoding="utf-8")
    assert text.startswith("## Plan for lab: failed\n")
    assert "a stale plan" not in text
