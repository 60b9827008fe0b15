"""The collection as users install it: the built tarball, installed into a clean path, is complete.

`make collection` (part of `make test`). Nothing here reads the source tree through Ansible: every
ansible command sees only the installed copy (installed.py).
"""

from __future__ import annotations

import ast
import json
import sys
import tarfile
from pathlib import Path

import ansible.release
import yaml
from collection.installed import REPO, SOURCE, Installed, run
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

MODULES = sorted(p.stem for p in (SOURCE / "plugins" / "modules").glob("*.py") if p.stem != "__init__")
# Import names whose distribution is spelled differently.
DISTRIBUTION = {"yaml": "pyyaml", "spnego": "pyspnego", "ruamel": "ruamel.yaml"}


def collection_requirements() -> dict[str, Requirement]:
    lines = (SOURCE / "requirements.txt").read_text(encoding="utf-8").splitlines()
    reqs = [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]
    return {r.name.lower(): r for r in reqs}


def test_the_tarball_holds_no_test_output_fragments_or_builds(installed: Installed):
    with tarfile.open(installed.tarball) as tar:
        names = tar.getnames()
    assert not [n for n in names if n.startswith(("tests/output", "changelogs/fragments"))]
    assert not [n for n in names if n.endswith((".tar.gz", ".pyc"))]


def test_galaxy_metadata_is_real(installed: Installed):
    manifest = json.loads((installed.root / "MANIFEST.json").read_text(encoding="utf-8"))
    info = manifest["collection_info"]
    assert (info["namespace"], info["name"]) == ("danang", "mail")
    assert info["authors"] == ["Da Nang city IT infrastructure centre"]
    assert info["license"] == ["GPL-3.0-or-later"]
    assert "example.invalid" not in json.dumps(info)
    assert (installed.root / info["readme"]).is_file()


def test_requires_ansible_admits_the_pinned_ansible_core():
    runtime = yaml.safe_load((SOURCE / "meta" / "runtime.yml").read_text(encoding="utf-8"))
    assert ansible.release.__version__ in SpecifierSet(runtime["requires_ansible"])
    assert "2.18.99" not in SpecifierSet(runtime["requires_ansible"])


def test_the_installed_tree_is_what_playbooks_use(installed: Installed):
    root = installed.root
    for module in MODULES:
        assert (root / "plugins" / "modules" / f"{module}.py").is_file()
    assert (root / "plugins" / "module_utils" / "backends").is_dir()
    for role in ("obm_server", "exchange_org"):
        assert (root / "roles" / role / "tasks" / "main.yml").is_file()
    assert sorted(p.name for p in (root / "schemas").iterdir()) == sorted(
        p.name for p in (SOURCE / "schemas").iterdir()
    )
    assert (root / "requirements.txt").is_file() and (root / "bindep.txt").is_file()
    assert not (root / "tests" / "output").exists()


def test_ansible_doc_reads_every_module_from_the_installed_copy(installed: Installed):
    listed = json.loads(run("ansible-doc", "-t", "module", "-l", "danang.mail", "--json", **_at(installed)))
    assert sorted(listed) == [f"danang.mail.{m}" for m in MODULES]
    docs = json.loads(
        run("ansible-doc", "-t", "module", "--json", *(f"danang.mail.{m}" for m in MODULES), **_at(installed))
    )
    for name, doc in docs.items():
        assert Path(doc["doc"]["filename"]).is_relative_to(installed.collections_path), name
        assert doc["examples"] and doc["return"], name


def _at(installed: Installed) -> dict:
    return {"env": installed.env, "cwd": installed.collections_path.parent}


def third_party_imports() -> set[str]:
    names: set[str] = set()
    for path in (SOURCE / "plugins").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {
        n for n in names if n not in sys.stdlib_module_names and n not in {"ansible", "ansible_collections"}
    }


def test_the_collection_requirements_name_every_library_its_plugins_import():
    required = collection_requirements()
    missing = {n for n in third_party_imports() if DISTRIBUTION.get(n, n).lower() not in required}
    assert not missing


def test_the_versions_the_project_tests_with_are_inside_the_collection_ranges():
    pinned = {}
    for line in (REPO / "requirements.txt").read_text(encoding="utf-8").splitlines():
        name, _, version = line.partition("==")
        pinned[name.lower()] = version
    for name, req in collection_requirements().items():
        assert pinned[name] in req.specifier, f"{name}=={pinned[name]} not in {req}"
