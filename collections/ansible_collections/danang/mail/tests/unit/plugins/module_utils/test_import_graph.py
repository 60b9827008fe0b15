# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The import graph of module_utils, read from the source with ``ast`` (nothing is imported):

- no system's subpackage under ``backends/`` imports another's (OBM never imports Exchange, nor the
  other way round): what both need lives beside them in ``backends/`` (contract, apply, ldap, ...);
- module_utils never imports controller code (action plugins, plugin_utils, filters, modules,
  ``ansible.plugins``, ``ansible.cli`` ...): it runs on the managed host inside AnsiballZ.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

COLLECTION = "ansible_collections.danang.mail"
MODULE_UTILS = Path(__file__).resolve().parents[4] / "plugins" / "module_utils"
BACKENDS = MODULE_UTILS / "backends"
SYSTEMS = sorted(p.name for p in BACKENDS.iterdir() if (p / "__init__.py").is_file())
CONTROLLER = (
    f"{COLLECTION}.plugins.action",
    f"{COLLECTION}.plugins.plugin_utils",
    f"{COLLECTION}.plugins.filter",
    f"{COLLECTION}.plugins.modules",
    f"{COLLECTION}.plugins.doc_fragments",
    "ansible.plugins",
    "ansible.cli",
    "ansible.executor",
    "ansible.playbook",
    "ansible.inventory",
    "ansible.vars",
    "ansible.template",
    "ansible.parsing",
    "ansible.config",
    "ansible.galaxy",
    "ansible.utils.display",
)


def imported(source: str) -> set[str]:
    """Every module name ``source`` imports, at any depth (functions, try blocks), ``from a import b``
    counted as both ``a`` and ``a.b`` (b may be a module)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def under(name: str, package: str) -> bool:
    return name == package or name.startswith(f"{package}.")


def crossing(system: str, names: set[str]) -> list[str]:
    """The imports of a file of ``system``'s subpackage that reach another system's."""
    others = [f"{COLLECTION}.plugins.module_utils.backends.{s}" for s in SYSTEMS if s != system]
    return sorted(n for n in names if any(under(n, o) for o in others))


def controller(names: set[str]) -> list[str]:
    return sorted(n for n in names if any(under(n, c) for c in CONTROLLER))


def test_the_systems_are_found() -> None:
    assert {"obm", "exchange"} <= set(SYSTEMS)


@pytest.mark.parametrize("system", SYSTEMS)
def test_no_system_imports_another(system: str) -> None:
    found = {
        str(path.relative_to(MODULE_UTILS)): crossing(system, imported(path.read_text(encoding="utf-8")))
        for path in sorted((BACKENDS / system).rglob("*.py"))
    }
    assert {path: names for path, names in found.items() if names} == {}


def test_module_utils_never_imports_controller_code() -> None:
    found = {
        str(path.relative_to(MODULE_UTILS)): controller(imported(path.read_text(encoding="utf-8")))
        for path in sorted(MODULE_UTILS.rglob("*.py"))
    }
    assert {path: names for path, names in found.items() if names} == {}


def test_the_checks_see_what_they_must_refuse() -> None:
    """The detectors themselves: a crossing import and controller imports, however written."""
    source = (
        "from ansible_collections.danang.mail.plugins.module_utils.backends import exchange\n"
        "def f():\n"
        "    import ansible.plugins.loader\n"
        "    from ansible_collections.danang.mail.plugins.plugin_utils.pending import x\n"
    )
    names = imported(source)
    assert crossing("obm", names) == [f"{COLLECTION}.plugins.module_utils.backends.exchange"]
    assert crossing("exchange", names) == []
    assert controller(names) == [
        "ansible.plugins.loader",
        f"{COLLECTION}.plugins.plugin_utils.pending",
        f"{COLLECTION}.plugins.plugin_utils.pending.x",
    ]
