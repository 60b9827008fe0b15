"""No module's documentation depends on the order its fragments are listed: Ansible keeps the first
definition of an option, so no option may be documented by two fragments of one module."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
import yaml
from ansible_collections.danang.mail.plugins import modules

NAMES = sorted(m.name for m in pkgutil.iter_modules(modules.__path__))
PREFIX = "danang.mail."


def fragment_options(reference: str) -> set[str]:
    """The options a fragment such as ``danang.mail.obm`` or ``danang.mail.obm.desired_state`` documents."""
    name, _dot, variable = reference[len(PREFIX) :].partition(".")
    source = importlib.import_module(f"ansible_collections.danang.mail.plugins.doc_fragments.{name}")
    text = getattr(source.ModuleDocFragment, (variable or "documentation").upper())
    return set((yaml.safe_load(text) or {}).get("options") or {})


@pytest.mark.parametrize("name", NAMES)
def test_no_option_is_documented_by_two_fragments(name: str) -> None:
    doc = yaml.safe_load(importlib.import_module(f"{modules.__name__}.{name}").DOCUMENTATION)
    seen: dict[str, str] = {}
    for reference in doc.get("extends_documentation_fragment", []):
        for option in fragment_options(reference):
            assert option not in seen, f"{name}: {option} in both {seen[option]} and {reference}"
            seen[option] = reference
