"""Build the collection's tarball and install it into a clean path, as a user of the collection does.

Shared by the fast packaging tests (tests/collection) and the integration test that runs site.yml
against the installed copy. Every ansible command here runs with a configuration of its own and
ANSIBLE_COLLECTIONS_PATH naming only the install path: the repository's ansible.cfg (whose
collections_path is the source tree) never leaks in.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SOURCE = REPO / "collections" / "ansible_collections" / "danang" / "mail"
BIN = Path(sys.executable).parent


def isolated_env(config: Path, collections_path: Path) -> dict[str, str]:
    return dict(
        os.environ,
        ANSIBLE_CONFIG=str(config),
        ANSIBLE_COLLECTIONS_PATH=str(collections_path),
        ANSIBLE_NOCOLOR="1",
    )


def run(tool: str, *args: str, env: dict[str, str], cwd: Path, timeout: int = 300) -> str:
    """Run a tool of the project's venv; fail with its output when it fails."""
    proc = subprocess.run(
        [str(BIN / tool), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, f"{tool} {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@dataclass(frozen=True)
class Installed:
    tarball: Path
    collections_path: Path
    env: dict[str, str]

    @property
    def root(self) -> Path:
        return self.collections_path / "ansible_collections" / "danang" / "mail"


def build_and_install(workdir: Path, config_text: str = "[defaults]\n") -> Installed:
    """The tarball from the source tree, installed into workdir/collections with nothing else."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "ansible.cfg"
    config.write_text(config_text, encoding="utf-8")
    collections_path = workdir / "collections"
    env = isolated_env(config, collections_path)
    dist = workdir / "dist"
    run(
        "ansible-galaxy", "collection", "build", str(SOURCE), "--output-path", str(dist), env=env, cwd=workdir
    )
    (tarball,) = dist.glob("danang-mail-*.tar.gz")
    run(
        "ansible-galaxy",
        "collection",
        "install",
        str(tarball),
        "-p",
        str(collections_path),
        env=env,
        cwd=workdir,
    )
    return Installed(tarball=tarball, collections_path=collections_path, env=env)
