# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The password_policy action plugin: reset passwords reach only the encrypted credentials file.

Built from real ansible objects like test_mailbox_action.py; only ``_execute_module`` is replaced.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.parsing.vault import VaultLib, VaultSecret
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.plugins.loader import connection_loader
from ansible.template import Templar
from ansible_collections.danang.mail.plugins.action.password_policy import ActionModule
from ansible_collections.danang.mail.plugins.plugin_utils.credentials import write_credentials

SECRET = ("city", VaultSecret(b"vault password of the test"))
NEW, OLD = "Tk7=mhEa/N4dPHay", "Ya4-NkpE/t9mhRdA"
RESET = {
    "changed": True,
    "resets": ["CB-1"],
    "accounts": [{"address": "dungnv@danang.gov.vn", "action": "reset", "ok": True, "error": None}],
    "msg": f"echo of {NEW} by a careless module",
    "_reset_credentials": {"CB-1": {"address": "dungnv@danang.gov.vn", "password": NEW, "systems": ["obm"]}},
}


def action(
    args: dict, response: dict, *, check_mode: bool = False, secrets=(SECRET,)
) -> tuple[ActionModule, list]:
    loader = DataLoader()
    loader.set_vault_secrets(list(secrets))
    task = Task()
    task.action = "danang.mail.password_policy"
    task.args = dict(args)
    task.check_mode = check_mode
    play_context = PlayContext()
    connection = connection_loader.get("local", play_context, os.devnull)
    plugin = ActionModule(task, connection, play_context, loader, Templar(loader=loader), None)
    calls: list = []

    def fake(module_name=None, module_args=None, task_vars=None, **_unused):
        calls.append(dict(module_args))
        return json.loads(json.dumps(response))

    plugin._execute_module = fake
    return plugin, calls


def test_reset_passwords_go_to_the_vault_file_only(tmp_path: Path):
    path = tmp_path / "credentials" / "reset.vault.yml"
    write_credentials(
        str(path), {"CB-1": {"password": OLD, "systems": ["obm"]}, "CB-2": {"password": OLD}}, SECRET
    )
    plugin, calls = action({"mode": "enforce", "resets": ["CB-1"], "credentials_file": str(path)}, RESET)
    result = plugin.run(task_vars={})
    assert "credentials_file" not in calls[0] and "_reset_credentials" not in result
    assert NEW not in json.dumps(result) and result["credentials_issued"] == ["CB-1"]
    entries = yaml.safe_load(VaultLib([SECRET]).decrypt(path.read_bytes()))
    assert entries["CB-1"]["password"] == NEW and entries["CB-1"]["reset"] is True
    assert entries["CB-1"]["systems"] == ["obm"] and entries["CB-1"]["address"] == "dungnv@danang.gov.vn"
    assert entries["CB-2"] == {"password": OLD}  # others untouched


@pytest.mark.parametrize("args", [{}, {"credentials_file": ""}])
def test_resets_without_a_file_refuse_before_the_module_runs(args):
    plugin, calls = action({"mode": "enforce", "resets": ["CB-1"], **args}, RESET)
    result = plugin.run(task_vars={})
    assert result["failed"] and "credentials_file" in result["msg"] and calls == []


def test_resets_without_a_vault_secret_refuse(tmp_path: Path):
    path = tmp_path / "reset.vault.yml"
    plugin, calls = action(
        {"mode": "enforce", "resets": ["CB-1"], "credentials_file": str(path)}, RESET, secrets=()
    )
    result = plugin.run(task_vars={})
    assert result["failed"] and "vault secret" in result["msg"] and calls == [] and not path.exists()


@pytest.mark.parametrize(("mode", "check_mode"), [("audit", False), ("enforce", True)])
def test_audit_and_check_mode_need_no_file(mode, check_mode):
    plan = {"changed": False, "accounts": [], "summary": {}}
    plugin, calls = action({"mode": mode, "resets": ["CB-1"]}, plan, check_mode=check_mode)
    assert "failed" not in plugin.run(task_vars={}) and len(calls) == 1


def test_a_failed_write_names_the_holders_to_reset_again(tmp_path: Path):
    path = tmp_path / "not-a-vault.yml"
    path.write_text("plain: text\n")
    plugin, _calls = action({"mode": "enforce", "resets": ["CB-1"], "credentials_file": str(path)}, RESET)
    result = plugin.run(task_vars={})
    assert result["failed"] and "reset these holders again: CB-1" in result["msg"]
    assert NEW not in json.dumps(result) and path.read_text() == "plain: text\n"
