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

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CITY = datetime.timezone(datetime.timedelta(hours=7))
# A working day in the city, after its cut-off: that day's requests are final.
MOMENT = datetime.datetime(2026, 12, 7, 17, 0, tzinfo=CITY)
DAY = MOMENT.date()
LEDGER = "inventories/lab/desired_state/ledger.yml"


# The daily job's steps: the real allocate step (no mail system read, see NO_MAIL_SYSTEM); the real
# apply step reconciles both mail systems and is tested on the labs (tests/integration/
# test_daily_job.py), so the git side of apply is tested with a stand-in that only closes records.
ALLOCATE_PLAYBOOK = REPO / "playbooks" / "daily_allocate.yml"
APPLY_PLAYBOOK = HERE / "apply_stand_in.yml"
REQUEST_PLAYBOOK = REPO / "playbooks" / "request.yml"
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


def person_form(agency: str, person: str, name: str, department: str, rank: int) -> str:
    """A form Mẫu 01 (forms/mau-01.yml) asking a new person, received on DAY."""
    return (
        f'form: "01"\nagency: {agency}\nreceived_on: {DAY.isoformat()}\n'
        f"requester: {{name: Văn thư, email: vanthu-{agency}@danang.gov.vn}}\n"
        f"people:\n  - {{action: new, id: {person}, full_name: {name}, "
        f"department: {department}, rank: {rank}}}\n"
    )


def write_form(
    where: Path, agency: str, person: str, department: str, rank: int, name: str = "Nguyễn Văn An"
) -> Path:
    path = where / f"{agency}-{person}.mau-01.yml"
    path.write_text(person_form(agency, person, name, department, rank), encoding="utf-8")
    return path
