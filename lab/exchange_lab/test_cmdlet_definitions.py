# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's cmdlet definitions against Microsoft's reference (../shared/reference/exchange-cmdlets.json).

Every set the lab defines must be a set of the reference with the same parameters' types, mandatory
and selector flags, positions and aliases, and must hold all of that set's mandatory parameters: a
typo in a parameter name or a wrong type can never pass. Pipeline input: the lab takes it only
where the reference does, and the reference's other pipeline parameters are the few listed in
PIPELINE_NOT_MODELLED. The sets the lab omits are exactly the ones README.md lists with why. The
reference has no value ranges (types only): those are in cmdlets/values.py, tested by
test_values.py. Skipped when the reference is absent. Also the binder and the size type, which
need no server.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from exchange_lab.cmdlets.binder import bind
from exchange_lab.cmdlets.definitions import DEFINITIONS
from exchange_lab.cmdlets.errors import CmdletError
from exchange_lab.cmdlets.types import format_size, parse_size, to_unlimited_size

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("DANANG_SHARED", REPO.parent / "shared"))
REFERENCE = SHARED / "reference" / "exchange-cmdlets.json"
README = Path(__file__).with_name("README.md")
# Pipeline parameters of the reference the lab does not bind from the pipeline: the engine binds a
# piped object to -Identity only (no by-value binding of database, server or name objects).
PIPELINE_NOT_MODELLED = {
    ("Connect-Mailbox", "Database"),
    ("Get-Mailbox", "Database"),
    ("Get-MailboxDatabase", "Server"),
    ("Get-MailboxStatistics", "Database"),
    ("Get-MailboxStatistics", "Server"),
    ("Get-MailboxStatistics", "StoreMailboxIdentity"),
    ("New-Mailbox", "Name"),
}


@pytest.fixture(scope="module")
def reference() -> dict:
    if not REFERENCE.is_file():
        pytest.skip(f"{REFERENCE} is not present")
    return json.loads(REFERENCE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(DEFINITIONS))
def test_definition_matches_reference(reference, name):
    assert name in reference, f"{name} is not an Exchange 2016/2019 cmdlet"
    problems = []
    for set_name, params in DEFINITIONS[name].sets.items():
        ref_set = reference[name]["sets"].get(set_name)
        if ref_set is None:
            problems.append(f"set {set_name} not in {sorted(reference[name]['sets'])}")
            continue
        ref_params = ref_set["params"]
        for param in params.values():
            ref = ref_params.get(param.name)
            if ref is None:
                problems.append(f"{set_name}: no parameter {param.name}")
                continue
            mine = (param.type, param.mandatory, param.selector, param.position, param.aliases)
            theirs = (
                ref["type"],
                ref["required"],
                bool(ref.get("selector")),
                ref.get("position"),
                tuple(ref.get("aliases", ())),
            )
            if mine != theirs:
                problems.append(
                    f"{set_name}: {param.name} (type, mandatory, selector, position, aliases) "
                    f"{mine} != {theirs}"
                )
            piped = bool(ref.get("pipeline")) and (name, param.name) not in PIPELINE_NOT_MODELLED
            if param.pipeline != piped:
                problems.append(f"{set_name}: {param.name} pipeline input {param.pipeline} != {piped}")
        for ref_name, ref in ref_params.items():
            if (ref["required"] or ref.get("selector")) and ref_name not in params:
                problems.append(f"{set_name}: mandatory {ref_name} missing")
    assert problems == []


def test_pipeline_not_modelled_is_only_what_the_reference_pipes(reference):
    for name, param in PIPELINE_NOT_MODELLED:
        assert any(s["params"].get(param, {}).get("pipeline") for s in reference[name]["sets"].values()), (
            name,
            param,
        )


def test_the_omitted_sets_are_the_ones_the_readme_lists(reference):
    listed = {
        m.group(1): set(m.group(2).split(", "))
        for m in re.finditer(r"^- `([\w-]+)`: ([\w, ]+) — ", README.read_text(encoding="utf-8"), re.M)
    }
    omitted = {
        name: {s for s in reference[name]["sets"] if s not in definition.sets}
        for name, definition in DEFINITIONS.items()
    }
    assert listed == {name: sets for name, sets in omitted.items() if sets}


@pytest.mark.parametrize(
    ("params", "expected_set"),
    [
        ([("Name", "a"), ("Password", None), ("UserPrincipalName", "a@b.vn")], "User"),
        ([("Shared", None), ("Name", "a")], "Shared"),
        ([("name", "a"), ("pass", None), ("UserPrincipal", "a@b.vn")], "User"),  # case and unique prefixes
    ],
)
def test_binder_picks_the_set(params, expected_set):
    from psrpcore.types import PSSecureString

    params = [(n, PSSecureString("Abc123!xyz") if n.lower().startswith("pass") else v) for n, v in params]
    assert bind(DEFINITIONS["New-Mailbox"], params).set_name == expected_set


def test_binder_refuses_ambiguous_prefix_and_duplicates():
    with pytest.raises(CmdletError, match="ambiguous"):
        bind(DEFINITIONS["Set-Mailbox"], [("Identity", "x"), ("Prohibit", "1GB")])
    with pytest.raises(CmdletError, match="specified more than once"):
        bind(DEFINITIONS["Get-Mailbox"], [("Identity", "x"), ("identity", "y")])


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("2GB", 2 << 30),
        ("2 GB", 2 << 30),
        ("2147483648", 2 << 30),
        ("1.5 MB", 1_572_864),
        ("152.1 MB (159,449,088 bytes)", 159_449_088),
    ],
)
def test_sizes_parse_as_exchange_accepts_them(text, size):
    assert parse_size(text) == size
    assert to_unlimited_size(text) == size


def test_sizes_format_as_remote_powershell_shows_them():
    assert to_unlimited_size("Unlimited") == "Unlimited"
    assert format_size(2 << 30) == "2 GB (2,147,483,648 bytes)"
    assert format_size(159_449_088) == "152.1 MB (159,449,088 bytes)"
    assert format_size(0) == "0 B (0 bytes)"
