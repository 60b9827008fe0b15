"""The execution environment for AWX / Automation Platform: `ansible-builder create` makes its build
context from execution-environment.yml and the built tarball, with no container engine.

What the image's build would install is proved offline: the context holds the tarball its galaxy
requirements name, and ansible-builder's own introspection of the installed collection (the step
the image build runs) finds the collection's Python and system requirements.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from collection.installed import REPO, SOURCE, Installed, run


@pytest.fixture(scope="module")
def context(installed: Installed, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The build context, made beside a copy of execution-environment.yml as `make ee-context` does."""
    work = tmp_path_factory.mktemp("ee")
    shutil.copy(REPO / "execution-environment.yml", work)
    (work / "build").mkdir()
    shutil.copy(installed.tarball, work / "build")
    out = work / "context"
    run(
        "ansible-builder", "create", "-f", "execution-environment.yml", "-c", str(out),
        "--output-filename", "Containerfile", env=installed.env, cwd=work,
    )  # fmt: skip
    return out


def test_the_context_installs_the_built_tarball(context: Path, installed: Installed):
    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    assert "ansible-galaxy collection install" in containerfile
    assert "introspect" in containerfile
    galaxy = yaml.safe_load((context / "_build" / "requirements.yml").read_text(encoding="utf-8"))
    (entry,) = galaxy["collections"]
    assert entry["type"] == "file"
    assert (context / "_build" / entry["name"]).read_bytes() == installed.tarball.read_bytes()


def test_the_context_pins_the_tested_ansible_core(context: Path):
    pinned = next(
        line
        for line in (REPO / "requirements.txt").read_text().splitlines()
        if line.startswith("ansible-core==")
    )
    assert f'ANSIBLE_INSTALL_REFS="{pinned} ' in (context / "Containerfile").read_text(encoding="utf-8")


def test_introspection_finds_the_collection_requirements(installed: Installed):
    found = yaml.safe_load(
        run("ansible-builder", "introspect", str(installed.collections_path), env=installed.env, cwd=REPO)
    )
    python = [line.split("  # ")[0] for line in found["python"]]
    system = [line.split("  # ")[0] for line in found["system"]]
    own = (SOURCE / "requirements.txt").read_text(encoding="utf-8").splitlines()
    # The builder leaves out what ansible-core itself installs (PyYAML).
    assert python == [line for line in own if line.strip() and not line.startswith(("#", "PyYAML"))]
    assert "krb5-devel [platform:rpm compile]" in system
