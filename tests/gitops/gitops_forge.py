"""Real git for the GitOps tests: a bare "origin" and clones of it for an agency clerk, a reviewer
and the pipelines, on a copy of the lab inventory; ``python -m tools.gitops`` and ansible-playbook
run as the pipeline runs them, at a pinned moment of the city's clock (no mail system is touched:
``danang_mail_in_use_systems: []``).
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import clock
import pytest
import yaml
from ansible_collections.danang.mail.plugins.module_utils.request_records import (
    Item,
    RequestRecord,
    record_text,
)

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CITY = datetime.timezone(datetime.timedelta(hours=7))
# A working day in the city, after its cut-off: that day's requests are final.
MOMENT = datetime.datetime(2026, 12, 7, 17, 0, tzinfo=CITY)
DAY = MOMENT.date()
LEDGER = "inventories/lab/desired_state/ledger.yml"


def _pick(real: str, stand_in: str) -> Path:
    """The real playbook once it is in the repository, else the test's stand-in (README.md)."""
    return REPO / real if (REPO / real).exists() else HERE / stand_in


ALLOCATE_PLAYBOOK = _pick("playbooks/daily_allocate.yml", "allocate_stand_in.yml")
# Only the real one knows the cut-off (danang_mail_daily_cutoff): the stand-in allocates everyone.
HAS_CUTOFF = ALLOCATE_PLAYBOOK.parent.name == "playbooks"
# The real daily_apply.yml reconciles both mail systems (its tests run on the labs): the git side is
# tested with a stand-in that only closes the records and writes the report.
APPLY_PLAYBOOK = HERE / "apply_stand_in.yml"
REQUEST_PLAYBOOK = HERE / "request_stand_in.yml"
NO_MAIL_SYSTEM = ("--", "-e", json.dumps({"danang_mail_in_use_systems": []}))


@dataclass(frozen=True)
class Forge:
    """The origin and the environment every clone's git and tool runs with."""

    root: Path
    origin: Path
    env: dict[str, str]

    def git(self, where: Path, *args: str) -> str:
        proc = subprocess.run(
            ["git", *args], cwd=where, env=self.env, capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stderr}"
        return proc.stdout.strip()

    def clone(self, name: str) -> Path:
        path = self.root / name
        self.git(self.root, "clone", "--quiet", str(self.origin), name)
        self.git(path, "config", "user.name", name)
        self.git(path, "config", "user.email", f"{name}@example.invalid")
        return path

    def tool(
        self, where: Path, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """``python -m tools.gitops`` in ``where`` (its output in the failure message)."""
        return subprocess.run(
            [sys.executable, "-m", "tools.gitops", *args],
            cwd=where,
            env=env or self.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    def daily(
        self, where: Path, *args: str, moment: datetime.datetime = MOMENT
    ) -> subprocess.CompletedProcess[str]:
        return self.tool(
            where,
            "daily",
            "--env",
            "lab",
            "--steps",
            "allocate",
            "--allocate-playbook",
            str(ALLOCATE_PLAYBOOK),
            *args,
            *NO_MAIL_SYSTEM,
            env=clock.at(moment, self.env),
        )

    def main_file(self, path: str) -> str:
        return self.git(self.origin, "show", f"main:{path}")

    def holders(self) -> dict[str, str]:
        """holder id -> address, from the ledger on origin's main; fails if an address is there twice."""
        data = yaml.safe_load(self.main_file(LEDGER))
        addresses = data["addresses"]
        lines = [line for line in self.main_file(LEDGER).splitlines() if line.startswith("  ")]
        assert len(lines) == len(addresses), "an address is in the ledger twice"
        found = {entry["id"]: address for address, entry in addresses.items()}
        assert len(found) == len(addresses), "a holder has two addresses"
        return found


@pytest.fixture
def forge(tmp_path: Path) -> Forge:
    env = clock.at(MOMENT)
    env.update(
        HOME=str(tmp_path / "home"),
        GIT_CONFIG_NOSYSTEM="1",
        PYTHONPATH=os.pathsep.join([str(REPO), env["PYTHONPATH"]]),
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
        GITOPS_AUTHOR_NAME="Daily pipeline",
        GITOPS_AUTHOR_EMAIL="pipeline@example.invalid",
    )
    (tmp_path / "home").mkdir()
    origin = tmp_path / "origin.git"
    made = Forge(tmp_path, origin, env)
    made.git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(origin))
    seed = tmp_path / "seed"
    seed.mkdir()
    made.git(seed, "init", "--quiet", "--initial-branch=main")
    shutil.copytree(REPO / "inventories" / "lab", seed / "inventories" / "lab")
    shutil.rmtree(seed / "inventories" / "lab" / "credentials", ignore_errors=True)
    (seed / ".gitignore").write_text("*.lock\ninventories/*/credentials/\n", encoding="utf-8")
    made.git(seed, "add", "--all")
    made.git(
        seed,
        "-c",
        "user.name=seed",
        "-c",
        "user.email=seed@example.invalid",
        "commit",
        "--quiet",
        "-m",
        "seed",
    )
    made.git(seed, "push", "--quiet", str(origin), "main")
    return made


def person_request(
    record_id: str, agency: str, person: str, name: str, department: str, rank: int
) -> dict[str, object]:
    """What request_stand_in.yml writes for a form 01 with one new person received on DAY."""
    record = RequestRecord(
        id=record_id,
        form="01",
        agency=agency,
        received_on=DAY,
        due_on=DAY + datetime.timedelta(days=1),
        requester={"name": "Văn thư", "email": f"vanthu-{agency}@danang.gov.vn"},
        items=(Item("new", id=person),),
    )
    append = (
        f"  - id: {person}\n    full_name: {name}\n    department: {department}\n"
        f"    rank: {rank}\n    requested_on: {DAY.isoformat()}\n"
    )
    summary = f"## Plan\n\n| person | address |\n|---|---|\n| {person} | provisional |\n"
    return {
        "record_id": record_id,
        "agency": agency,
        "append": append,
        "record": record_text(record),
        "summary": summary,
    }


def write_request(where: Path, request: dict[str, object]) -> Path:
    path = where / f"{request['record_id']}.request.yml"
    path.write_text(json.dumps(request, ensure_ascii=False), encoding="utf-8")
    return path
