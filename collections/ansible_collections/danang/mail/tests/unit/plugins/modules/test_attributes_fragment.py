"""Every module documents check mode, diff mode and idempotence through danang.mail.attributes."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
import yaml
from ansible_collections.danang.mail.plugins import modules

NAMES = sorted(m.name for m in pkgutil.iter_modules(modules.__path__))


@pytest.mark.parametrize("name", NAMES)
def test_every_module_uses_the_attributes_fragment(name):
    doc = yaml.safe_load(importlib.import_module(f"{modules.__name__}.{name}").DOCUMENTATION)
    fragments = doc.get("extends_documentation_fragment", [])
    assert "danang.mail.attributes" in fragments
    attributes = dict(doc.get("attributes") or {})
    if "danang.mail.attributes.info_module" in fragments:
        assert not attributes  # the read-only fragment says it all
        return
    assert set(attributes) == {"check_mode", "diff_mode", "idempotent"}
    for name_, attribute in attributes.items():
        assert attribute["support"] in ("full", "partial", "none", "N/A"), name_
        assert "description" not in attribute, name_  # the fragment describes it once
