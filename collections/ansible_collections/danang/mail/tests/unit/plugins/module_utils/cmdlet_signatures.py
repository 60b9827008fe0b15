# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of cmdlet invocations against the published signatures (``shared/reference``) and the
Exchange lab's binder, shared by the tests of every module that emits cmdlets."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import (
    SWITCH,
    Invocation,
    Secret,
    Switch,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.render import size_mb

_TYPES: dict[str, tuple[type, ...]] = {
    "Boolean": (bool,),
    "SwitchParameter": (Switch, bool),
    "SecureString": (Secret,),
    "Unlimited": (str,),
    "Int32": (int,),
    "MultiValuedProperty": (list, type(None)),  # $null clears it
    "RecipientIdParameter[]": (list,),
}


def shared_reference() -> Path | None:
    here = Path(__file__).resolve()
    candidates = [Path(os.environ["DANANG_SHARED"])] if os.environ.get("DANANG_SHARED") else []
    candidates += [p.parent / "shared" for p in here.parents if (p / "collections").is_dir()]
    return next(
        (c / "reference" for c in candidates if (c / "reference" / "check_cmdlet.py").is_file()), None
    )


def _check_cmdlet() -> Any:
    reference = shared_reference()
    if reference is None:
        pytest.skip("shared/reference/check_cmdlet.py is not here (DANANG_SHARED)")
    spec = importlib.util.spec_from_file_location("check_cmdlet", reference / "check_cmdlet.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def assert_matches_signature(invocation: Invocation) -> None:
    """The invocation fits one parameter set of the real cmdlet, with values of the right types."""
    checker = _check_cmdlet()
    params = {name: (True if value is SWITCH else value) for name, value in invocation.parameters}
    assert checker.validate(invocation.cmdlet, params) == []
    signature = checker.load()[invocation.cmdlet]
    types = {name: p["type"] for s in signature["sets"].values() for name, p in s["params"].items()}
    for name, value in invocation.parameters:
        if value is None:  # $null: clears the property
            continue
        expected = _TYPES.get(types[name], (str,))
        assert isinstance(value, expected), f"{invocation.cmdlet} -{name}: {types[name]} given {value!r}"
        if types[name] == "Unlimited":
            assert value == "Unlimited" or size_mb(value) is not None


def _lab_binder() -> Any:
    """The Exchange lab's own cmdlet binder (lab/exchange_lab), when this checkout has the lab."""
    roots = [
        p / "lab"
        for p in Path(__file__).resolve().parents
        if (p / "lab" / "exchange_lab" / "cmdlets").is_dir()
    ]
    if not roots:
        pytest.skip("the Exchange lab (lab/exchange_lab) is not in this checkout")
    pytest.importorskip("psrpcore")
    if str(roots[0]) not in sys.path:
        sys.path.insert(0, str(roots[0]))
    from exchange_lab.cmdlets.binder import bind
    from exchange_lab.cmdlets.definitions import DEFINITIONS

    return bind, DEFINITIONS


def assert_binds_in_lab(invocation: Invocation) -> None:
    """The lab binds the invocation (raises the lab's binding error when it refuses it)."""
    bind, definitions = _lab_binder()
    if invocation.cmdlet not in definitions:
        pytest.skip(f"the Exchange lab has no {invocation.cmdlet} yet")
    from psrpcore.types import PSSecureString

    values = [
        (name, None if isinstance(v, Switch) else PSSecureString(v.value) if isinstance(v, Secret) else v)
        for name, v in invocation.parameters
    ]
    bind(definitions[invocation.cmdlet], values)
