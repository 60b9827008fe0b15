# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module unit tests run the modules in-process (as ansible-core's and kubernetes.core's own unit
tests do) against an in-memory mail system (fake_system.FakeSystem): only the function that OPENS a
system is replaced, in ``fake_systems`` below; everything between the module's arguments and that
edge is the real code. The runs against the real servers are tests/integration."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from ansible.module_utils.testing import patch_module_args
from ansible_collections.danang.mail.plugins.module_utils import (
    allocation,
    desired_state,
    ledger,
    ledger_file,
)
from ansible_collections.danang.mail.plugins.module_utils.backends import systems
from ansible_collections.danang.mail.plugins.modules import (
    mailbox,
    mailbox_info,
    quota,
)
from fake_exchange_org import FakeOrganisation
from fake_system import ISSUED, FakeSystem


def open_with(monkeypatch: pytest.MonkeyPatch, opener: Callable[..., Any]) -> None:
    """Make ``opener`` the way every module opens a system (``systems.open_system``): this is the
    ONE place that knows how modules open a system."""
    monkeypatch.setattr(systems, "open_system", opener)
    for module in (mailbox, mailbox_info, quota):  # they import the name itself
        monkeypatch.setattr(module, "open_system", opener)


@pytest.fixture
def fake_systems(monkeypatch: pytest.MonkeyPatch) -> dict[str, FakeSystem]:
    """One fake per system; every module that opens a system gets the fake its ``backend`` (or the
    system it asks for) names."""
    fakes = {"obm": FakeSystem("obm"), "exchange": FakeSystem("exchange")}

    def open_fake(params: Mapping[str, Any], system: Any = None, **_kwargs: Any) -> FakeSystem:
        return fakes[system or params["backend"]]

    open_with(monkeypatch, open_fake)
    return fakes


class OrganisationSystem:
    """The Exchange system as exchange_org uses it: its PowerShell and AD clients, both the fake."""

    def __init__(self, fake: FakeOrganisation) -> None:
        self.transport = self.directory = fake

    def __enter__(self) -> OrganisationSystem:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.transport.close()
        self.directory.close()


@pytest.fixture
def fake_organisation(monkeypatch: pytest.MonkeyPatch) -> FakeOrganisation:
    """The Exchange organisation exchange_org opens, in memory."""
    fake = FakeOrganisation()
    open_with(monkeypatch, lambda _params, _system=None, **_kwargs: OrganisationSystem(fake))
    return fake


@pytest.fixture
def run_module(capsys: pytest.CaptureFixture[str]) -> Callable[..., dict[str, Any]]:
    """Run ``module.main()`` with ``args``; its JSON result, with ``rc`` the exit code."""

    def run(
        module: Any, args: Mapping[str, Any], *, check: bool = False, diff: bool = False
    ) -> dict[str, Any]:
        args = {**args, "_ansible_check_mode": check, "_ansible_diff": diff}
        with patch_module_args(args), pytest.raises(SystemExit) as exc:
            module.main()
        result = json.loads(capsys.readouterr().out)
        result["rc"] = exc.value.code
        return result

    return run


@pytest.fixture
def town(tmp_path: Path) -> Callable[..., dict[str, str]]:
    """A desired state of one agency with ``people`` and its ledger, allocated through the project's
    allocator; returns the module options that point at them."""

    def make(*people: dict[str, Any]) -> dict[str, str]:
        agency = {
            "abbreviation": "stttt",
            "name": "Sở Thông tin và Truyền thông",
            "departments": [{"abbreviation": "cntt", "name": "Phòng Công nghệ thông tin", "mailbox": False}],
            "people": list(people),
        }
        (tmp_path / "agencies").mkdir(exist_ok=True)
        (tmp_path / "agencies" / "stttt.yml").write_text(
            yaml.safe_dump(agency, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
        path = str(tmp_path / "ledger.yml")
        state = desired_state.load_desired_state(tmp_path)
        book = ledger.load_ledger(path, new=not os.path.exists(path))
        done = allocation.allocate(
            state.address_requests(), book.entries, domain="danang.gov.vn", today=ISSUED
        )
        ledger_file.write_text_atomically(path, ledger.appended_text(book, done.entries))
        return {"desired_state": str(tmp_path), "ledger": path}

    return make
