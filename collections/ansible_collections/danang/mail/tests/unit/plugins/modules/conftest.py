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
from ansible_collections.danang.mail.plugins.modules import (
    exchange_org,
    mailbox,
    mailbox_info,
    password_policy,
    quota,
)
from fake_exchange_org import FakeOrganisation
from fake_system import ISSUED, FakeSystem


@pytest.fixture
def fake_systems(monkeypatch: pytest.MonkeyPatch) -> dict[str, FakeSystem]:
    """One fake per system; every module that opens a system gets the fake its ``backend`` names.
    This is the ONE place that knows how modules open a system."""
    fakes = {"obm": FakeSystem("obm"), "exchange": FakeSystem("exchange")}

    def open_fake(params: Mapping[str, Any], *_args: Any, **_kwargs: Any) -> FakeSystem:
        return fakes[params["backend"]]

    for module in (mailbox, mailbox_info, quota):
        monkeypatch.setattr(module, "open_backend", open_fake)
    monkeypatch.setattr(
        password_policy, "BACKENDS", {name: (lambda params, fake=fake: fake) for name, fake in fakes.items()}
    )
    return fakes


@pytest.fixture
def fake_organisation(monkeypatch: pytest.MonkeyPatch) -> FakeOrganisation:
    """The Exchange organisation exchange_org opens: its PowerShell and AD clients, in memory."""
    fake = FakeOrganisation()
    monkeypatch.setattr(exchange_org, "ExchangeTransport", lambda _config: fake)
    monkeypatch.setattr(exchange_org, "Directory", lambda _config: fake)
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
