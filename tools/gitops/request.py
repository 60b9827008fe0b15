"""``request``: a request file becomes a branch ``request/<record id>`` with one commit.

From a clean work tree, on the tip of the base branch (the remote's when there is one), it runs
``playbooks/request.yml``, which edits the agency file(s) and writes the request record(s) and the
Markdown summary; then it commits exactly those files with a message that cites the request, and
prints the pull request's description. Nothing is left behind when the import fails.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tools.gitops import exits, playbook
from tools.gitops.git import Git

# The request record format is the collection's (one parser, not a second one here).
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "collections"))
from ansible_collections.danang.mail.plugins.module_utils import strict_yaml
from ansible_collections.danang.mail.plugins.module_utils.model import ValidationFailed
from ansible_collections.danang.mail.plugins.module_utils.request_records import (
    REQUESTS_DIR,
    Item,
    RequestRecord,
    parse_record,
)

FORM_NAMES = {
    "01": "form 01 (persons)",
    "02": "form 02 (mailboxes)",
    "records": "records software export (R-72)",
}


@dataclass(frozen=True)
class RequestOptions:
    file: Path
    env: str = "lab"
    mapping: Path | None = None
    remote: str = "origin"
    base: str = "main"
    push: bool = False
    description: Path | None = None
    playbook: str = "playbooks/request.yml"
    ansible_args: Sequence[str] = ()


def read_record(root: Path, path: str) -> RequestRecord:
    data = strict_yaml.load_file(str(root / path), path, max_bytes=strict_yaml.FILE_MAX_BYTES, dates=False)
    record, problems = parse_record(data, path, PurePosixPath(path).name)
    if record is None:
        raise ValueError("; ".join(str(problem) for problem in problems))
    return record


def _item(item: Item) -> str:
    fields = f" ({', '.join(item.fields)})" if item.fields else ""
    return f"- {item.action} {item.id or item.holder}{fields}"


def message(records: Sequence[RequestRecord], summary: str) -> str:
    """The commit message: the request cited (kind, agency, dates, requester), then the plan summary."""
    first = records[0]
    subject = f"Request {first.id}: {FORM_NAMES[first.form]}, {first.agency}, received {first.received_on}"
    if len(records) > 1:
        subject += f" (+{len(records) - 1} more agencies)"
    body = []
    for record in records:
        body += [
            f"{record.id}: {FORM_NAMES[record.form]} from {record.agency}, received {record.received_on}, "
            f"due {record.due_on} (R-22); the result goes to {record.requester.get('name', '')} "
            f"<{record.requester.get('email', '')}>.",
            *(_item(item) for item in record.items),
            "",
        ]
    return "\n".join([subject, "", *body, summary.strip(), ""])


def request(git: Git, o: RequestOptions) -> int:
    if not o.file.is_file():
        print(f"request: {o.file}: no such file")
        return exits.FAILED
    tree = str(PurePosixPath("inventories") / o.env / "desired_state")
    dirty = git.changed(untracked=False) + git.changed(tree)
    if dirty:
        print(f"request: the work tree has changes ({', '.join(sorted(set(dirty)))}): commit or stash them")
        return exits.DIRTY
    start = git.run("symbolic-ref", "--quiet", "--short", "HEAD", check=False).stdout.strip() or git.out(
        "rev-parse", "HEAD"
    )
    if o.remote in git.out("remote").split():
        git.run(
            "fetch",
            "--quiet",
            "--no-tags",
            "--",
            o.remote,
            f"+refs/heads/{o.base}:refs/remotes/{o.remote}/{o.base}",
        )
        base = f"refs/remotes/{o.remote}/{o.base}"
    elif o.push:
        print(f"request: no remote {o.remote} to push to")
        return exits.FAILED
    else:
        base = f"refs/heads/{o.base}"
    git.run("checkout", "--quiet", "--detach", base)

    def give_up(reason: str) -> int:
        git.run("checkout", "--quiet", "--force", start)
        git.run("clean", "-fdq", "--", tree)  # only what the import wrote: the tree was clean
        print(f"request: {reason}; nothing committed, back on {start}")
        return exits.FAILED

    with tempfile.TemporaryDirectory(prefix="gitops-request-") as scratch:
        summary_file = Path(scratch) / "summary.md"
        # Absolute: the playbook takes relative paths from the repository it lives in, not from here.
        extra = {"request": str(o.file.resolve()), "request_summary": str(summary_file)}
        if o.mapping:
            extra["request_mapping"] = str(o.mapping.resolve())
        rc = playbook.run(git.root, o.env, o.playbook, extra, o.ansible_args)
        if rc != 0:
            return give_up(f"{o.playbook} refused the request (exit {rc}, reasons above)")
        summary = summary_file.read_text(encoding="utf-8") if summary_file.exists() else ""
    changed = git.written(tree)
    outside = [path for path in changed if not path.startswith(f"{tree}/")]
    if outside:
        return give_up(f"the import changed files outside {tree}: {', '.join(outside)}")
    new = set(git.changed(f"{tree}/{REQUESTS_DIR}"))
    record_paths = sorted(path for path in new if path.endswith(".yml"))
    if not record_paths:
        return give_up("the import wrote no request record (the same request again?)")
    try:
        records = [read_record(git.root, path) for path in record_paths]
    except (ValueError, ValidationFailed) as error:
        return give_up(f"a request record the import wrote is invalid: {error}")
    branch = f"request/{records[0].id}"
    if git.run("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", check=False).returncode == 0:
        return give_up(f"the branch {branch} exists already")
    git.run("checkout", "--quiet", "-b", branch)
    text = message(records, summary)
    sha = git.commit(text, changed, {})
    print(f"request: {branch} at {sha[:12]}: {', '.join(changed)}")
    if o.push and not git.push(o.remote, f"refs/heads/{branch}:refs/heads/{branch}"):
        print(f"request: {o.remote} refused the branch {branch} (it exists there?); it is committed here")
        return exits.PUSH_REFUSED
    description = text.split("\n", 1)[1].strip() + "\n"
    if o.description:
        o.description.write_text(f"# {text.splitlines()[0]}\n\n{description}", encoding="utf-8")
    print("\n--- pull request description ---\n")
    print(f"# {text.splitlines()[0]}\n\n{description}")
    return exits.OK
