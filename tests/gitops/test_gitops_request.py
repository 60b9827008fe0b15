"""``tools.gitops request``: a request becomes one commit on a branch request/<record id>, from the
tip of origin's main, with a message that cites the request and carries the plan summary."""

from __future__ import annotations

import subprocess
from pathlib import Path

from gitops_forge import HERE, REQUEST_PLAYBOOK, Forge, write_form

from tools.gitops import exits

AGENCY = "inventories/lab/desired_state/agencies/stttt.yml"
RECORD = "inventories/lab/desired_state/requests/2026-12-07-stttt-1.yml"


def request_file(forge: Forge, where: Path | None = None, department: str = "cntt") -> Path:
    return write_form(where or forge.root, "stttt", "CB-2026-000701", department, 2)


def run(
    forge: Forge, clerk: Path, *args: str, playbook: Path = REQUEST_PLAYBOOK
) -> subprocess.CompletedProcess[str]:
    return forge.tool(clerk, "request", *args, "--playbook", str(playbook))


def test_a_request_becomes_one_commit_on_its_own_branch_from_origin_main(forge: Forge) -> None:
    clerk, other = forge.clone("clerk"), forge.clone("other")
    # main moved on origin since the clerk cloned: the branch starts from origin's tip.
    forge.git(other, "commit", "--quiet", "--allow-empty", "-m", "meanwhile on main")
    forge.git(other, "push", "--quiet", "origin", "main")
    description = forge.root / "pr.md"

    # The request file lies in the clone, untracked, as a clerk may leave it: not part of the commit.
    proc = run(forge, clerk, str(request_file(forge, clerk)), "--push", "--description", str(description))
    assert proc.returncode == exits.OK, proc.stdout + proc.stderr

    branch = "request/2026-12-07-stttt-1"
    assert forge.git(clerk, "branch", "--show-current") == branch
    assert forge.git(forge.origin, "rev-parse", branch) == forge.git(clerk, "rev-parse", "HEAD")
    assert forge.git(clerk, "rev-parse", "HEAD~1") == forge.git(forge.origin, "rev-parse", "main")
    files = forge.git(clerk, "show", "--name-only", "--format=", "HEAD").splitlines()
    assert sorted(files) == [AGENCY, RECORD]
    assert forge.git(clerk, "log", "-1", "--format=%an", "HEAD") == "clerk"
    message = forge.git(clerk, "log", "-1", "--format=%B", "HEAD")
    subject, _, body = message.partition("\n")
    assert subject == "Request 2026-12-07-stttt-1: form 01 (persons), stttt, received 2026-12-07"
    assert "due 2026-12-08 (R-22); the result goes to Văn thư <vanthu-stttt@danang.gov.vn>." in body
    assert "- new CB-2026-000701" in body
    # The Markdown summary is kept whole: its heading is not a comment to git.
    assert "## Request import\n\n### Request 2026\\-12\\-07\\-stttt\\-1" in body
    assert "| create on exchange, obm | annv1@danang.gov.vn \\(provisional\\) |" in body
    assert description.read_text(encoding="utf-8").startswith(f"# {subject}\n\n")
    assert f"# {subject}" in proc.stdout


def test_a_work_tree_with_changes_is_refused(forge: Forge) -> None:
    clerk = forge.clone("clerk")
    (clerk / AGENCY).write_text((clerk / AGENCY).read_text(encoding="utf-8") + "# mine\n", encoding="utf-8")
    proc = run(forge, clerk, str(request_file(forge)))
    assert proc.returncode == exits.DIRTY, proc.stdout + proc.stderr
    assert AGENCY in proc.stdout
    assert forge.git(clerk, "branch", "--list", "request/*") == ""
    assert "PLAY" not in proc.stdout


def test_a_refused_request_leaves_nothing_behind(forge: Forge) -> None:
    clerk = forge.clone("clerk")
    proc = run(forge, clerk, str(request_file(forge, department="khong-co")))
    assert proc.returncode == exits.FAILED, proc.stdout + proc.stderr
    assert "khong-co" in proc.stdout
    assert "nothing committed, back on main" in proc.stdout
    assert forge.git(clerk, "branch", "--show-current") == "main"
    assert forge.git(clerk, "status", "--porcelain", "--untracked-files=all") == ""
    assert forge.git(clerk, "branch", "--list", "request/*") == ""


def test_an_invalid_record_from_the_import_is_not_committed(forge: Forge) -> None:
    clerk = forge.clone("clerk")
    proc = run(forge, clerk, str(request_file(forge)), playbook=HERE / "writes_an_invalid_record.yml")
    assert proc.returncode == exits.FAILED, proc.stdout + proc.stderr
    assert "a request record the import wrote is invalid" in proc.stdout
    assert "must be <YYYY-MM-DD>-<agency>-<n>" in proc.stdout
    assert forge.git(clerk, "status", "--porcelain", "--untracked-files=all") == ""
    assert forge.git(clerk, "branch", "--show-current") == "main"
