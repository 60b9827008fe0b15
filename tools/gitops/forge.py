"""``note``: post a Markdown file (the plan) on the pull request whose pipeline runs, through the
forge's API, from the variables the forge's pipeline sets. The token comes from GITOPS_API_TOKEN
(a masked, protected CI variable) and is never printed.

- GitLab CI: POST $CI_API_V4_URL/projects/$CI_PROJECT_ID/merge_requests/$CI_MERGE_REQUEST_IID/notes
- Gitea and Forgejo Actions: POST $GITHUB_SERVER_URL/api/v1/repos/$GITHUB_REPOSITORY/issues/<n>/comments,
  <n> the pull request's number from the event file ($GITHUB_EVENT_PATH)
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

from tools.gitops import exits
from tools.gitops.git import redact

MAX_CHARS = 60_000  # below every forge's comment limit; the whole plan stays a job artifact
FORGES = ("gitlab", "gitea")


class ForgeError(Exception):
    pass


def _need(env: Mapping[str, str], *names: str) -> list[str]:
    missing = [name for name in names if not env.get(name)]
    if missing:
        raise ForgeError(f"not in a pull request's pipeline: {', '.join(missing)} not set")
    return [env[name] for name in names]


def endpoint(forge: str, env: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """The URL to post to and the authentication header, from the pipeline's variables."""
    (token,) = _need(env, "GITOPS_API_TOKEN")
    if forge == "gitlab":
        api, project, mr = _need(env, "CI_API_V4_URL", "CI_PROJECT_ID", "CI_MERGE_REQUEST_IID")
        return f"{api.rstrip('/')}/projects/{project}/merge_requests/{mr}/notes", {"PRIVATE-TOKEN": token}
    server, repository, event_path = _need(env, "GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_EVENT_PATH")
    try:
        number = int(json.loads(Path(event_path).read_text(encoding="utf-8"))["pull_request"]["number"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ForgeError(f"no pull request number in {event_path}: {error}") from None
    return (
        f"{server.rstrip('/')}/api/v1/repos/{repository}/issues/{number}/comments",
        {"Authorization": f"token {token}"},
    )


def body(text: str) -> str:
    if len(text) <= MAX_CHARS:
        return text
    return text[:MAX_CHARS] + "\n\n*(cut here: the whole plan is the pipeline's artifact plan.md)*\n"


def note(forge: str, file: Path, env: Mapping[str, str]) -> int:
    try:
        url, auth = endpoint(forge, env)
    except ForgeError as error:
        print(f"note: {error}")
        return exits.FAILED
    data = json.dumps({"body": body(file.read_text(encoding="utf-8"))}).encode("utf-8")
    post = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": "application/json", **auth}
    )
    try:
        with urllib.request.urlopen(post, timeout=60) as answer:
            print(f"note: posted to {redact(url)} ({answer.status})")
            return exits.OK
    except (urllib.error.URLError, OSError) as error:
        print(f"note: posting to {redact(url)} failed: {redact(str(error))}")
        return exits.FAILED
