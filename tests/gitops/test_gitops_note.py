"""``tools.gitops note``: the plan posted on the pull request as GitLab CI and Gitea/Forgejo Actions
do it, to a real HTTP server standing in for the forge's API; the token is sent, never printed."""

from __future__ import annotations

import http.server
import json
import subprocess
import threading
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import ClassVar

import pytest
from gitops_forge import Forge

from tools.gitops import exits
from tools.gitops.git import redact

TOKEN = "glpat-secret-token-value"
PLAN = (
    "## Plan for production\n\n| system | address | change |\n|---|---|---|\n"
    "| obm | annv1@danang.gov.vn | create (provisional) |\n"
)


class Api(http.server.BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, Message, dict[str, str]]]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        Api.received.append((self.path, self.headers, json.loads(self.rfile.read(length))))
        self.send_response(201)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def api() -> Iterator[str]:
    Api.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def post(forge: Forge, where: Path, kind: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    plan = forge.root / "plan.md"
    plan.write_text(PLAN, encoding="utf-8")
    return forge.tool(
        where, "note", "--forge", kind, str(plan), env=dict(forge.env, GITOPS_API_TOKEN=TOKEN, **env)
    )


def test_gitlab_merge_request_note(forge: Forge, api: str) -> None:
    env = {"CI_API_V4_URL": f"{api}/api/v4", "CI_PROJECT_ID": "42", "CI_MERGE_REQUEST_IID": "7"}
    proc = post(forge, forge.clone("pipeline"), "gitlab", env)
    assert proc.returncode == exits.OK, proc.stdout + proc.stderr
    ((path, headers, body),) = Api.received
    assert path == "/api/v4/projects/42/merge_requests/7/notes"
    assert headers["PRIVATE-TOKEN"] == TOKEN
    assert body == {"body": PLAN}
    assert TOKEN not in proc.stdout + proc.stderr


def test_gitea_forgejo_pull_request_comment(forge: Forge, api: str) -> None:
    event = forge.root / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 12}}), encoding="utf-8")
    env = {"GITHUB_SERVER_URL": api, "GITHUB_REPOSITORY": "cntt/danang-mail", "GITHUB_EVENT_PATH": str(event)}
    proc = post(forge, forge.clone("pipeline"), "gitea", env)
    assert proc.returncode == exits.OK, proc.stdout + proc.stderr
    ((path, headers, body),) = Api.received
    assert path == "/api/v1/repos/cntt/danang-mail/issues/12/comments"
    assert headers["Authorization"] == f"token {TOKEN}"
    assert body == {"body": PLAN}
    assert TOKEN not in proc.stdout + proc.stderr


def test_outside_a_pull_request_nothing_is_posted(forge: Forge, api: str) -> None:
    proc = post(forge, forge.clone("pipeline"), "gitlab", {"CI_API_V4_URL": f"{api}/api/v4"})
    assert proc.returncode == exits.FAILED
    assert "CI_PROJECT_ID, CI_MERGE_REQUEST_IID not set" in proc.stdout
    assert not Api.received


def test_credentials_in_a_url_are_never_shown() -> None:
    assert redact("fatal: https://gitops:glpat-x@git.danang.gov.vn/city/mail.git gone") == (
        "fatal: https://***@git.danang.gov.vn/city/mail.git gone"
    )
