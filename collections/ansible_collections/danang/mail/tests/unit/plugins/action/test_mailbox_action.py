# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mailbox action plugin: the encrypted credentials file and what the output never shows.

The plugin is built from real ansible objects (Task, PlayContext, local connection, a DataLoader
holding real vault secrets); only ``_execute_module`` is replaced, by a fake module that records
the arguments it got. The last test runs a real ansible-playbook at -vvv against a stub module.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.parsing.vault import VaultLib, VaultSecret
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.plugins.loader import connection_loader
from ansible.template import Templar
from ansible_collections.danang.mail.plugins.action import mailbox as plugin
from ansible_collections.danang.mail.plugins.action.mailbox import ActionModule
from ansible_collections.danang.mail.plugins.module_utils.model import CITY_TIMEZONE
from ansible_collections.danang.mail.plugins.plugin_utils import credentials as creds

MODULE = "danang.mail.mailbox"
SECRET = ("city", VaultSecret(b"vault password of the test"))
OTHER = ("other", VaultSecret(b"another vault password"))
NOW = datetime.datetime(2026, 3, 2, 9, 15, 2, tzinfo=CITY_TIMEZONE)
DUNG, LAN = "Tk7=mhEa/N4dPHay", "Ya4-NkpE/t9mhRdA"
MASKED = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"


def created(holder: str, address: str, kind: str = "person") -> dict:
    return {"address": address, "holder_id": holder, "action": "create", "kind": kind, "ok": True}


class FakeModule:
    """Stands in for the colleague's module: returns ``responses`` in turn, records each call."""

    def __init__(self, *responses: dict) -> None:
        self.responses = list(responses)
        self.calls: list[dict] = []
        self.previews: list[dict] = []

    def __call__(self, module_name=None, module_args=None, task_vars=None, **_unused):
        assert module_name == MODULE
        if self.task.check_mode and not self.check_mode and "credentials_file" in self.task.args:
            # The plugin's plan before a real run: the module plans what the next response carries out.
            self.previews.append(dict(module_args))
            coming = self.responses[0] if self.responses else {}
            return json.loads(
                json.dumps(
                    {
                        "changed": bool(coming.get("results")),
                        "plan": coming.get("plan") or coming.get("results") or [],
                        "_initial_credentials": coming.get("_initial_credentials") or {},
                    }
                )
            )
        self.calls.append({"args": dict(module_args), "check_mode": bool(self.task.check_mode)})
        response = self.responses.pop(0)
        return json.loads(json.dumps(response))  # a fresh copy, as from JSON


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr(plugin, "_now", lambda: NOW)


@pytest.fixture
def credentials(tmp_path: Path) -> Path:
    return tmp_path / "credentials" / "run-1.vault.yml"


def make_action(args: dict, fake: FakeModule, *, secrets=(SECRET,), check_mode: bool = False) -> ActionModule:
    loader = DataLoader()
    loader.set_vault_secrets(list(secrets))
    task = Task()
    task.action = MODULE
    task.args = dict(args)
    task.check_mode = check_mode
    play_context = PlayContext()
    connection = connection_loader.get("local", play_context, os.devnull)
    action = ActionModule(task, connection, play_context, loader, Templar(loader=loader), None)
    fake.task = task
    fake.check_mode = check_mode
    action._execute_module = fake
    return action


def run(args: dict, fake: FakeModule, **kwargs) -> dict:
    return make_action(args, fake, **kwargs).run(task_vars={})


def read(path: Path, secrets=(SECRET,)) -> dict:
    return yaml.safe_load(VaultLib(list(secrets)).decrypt(path.read_bytes()))


def no_secret_in(value: object, *passwords: str) -> None:
    text = json.dumps(value)
    for password in passwords:
        assert password not in text


# --- The file -------------------------------------------------------------------------------


def test_round_trip_encrypted_mode_0600(credentials):
    entries = {
        "CB-1": {"address": "dungnv@danang.gov.vn", "password": DUNG, "issued_at": "x", "systems": ["obm"]}
    }
    creds.write_credentials(str(credentials), entries, SECRET)
    data = credentials.read_bytes()
    assert data.startswith(b"$ANSIBLE_VAULT;1.2;AES256;city\n")
    assert DUNG.encode() not in data
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert stat.S_IMODE(credentials.parent.stat().st_mode) == 0o700
    assert creds.load_credentials(str(credentials), VaultLib([SECRET])) == entries
    assert creds.load_credentials(str(credentials), VaultLib([OTHER, SECRET])) == entries
    assert VaultLib([SECRET]).decrypt(data).decode().startswith("# Initial passwords")


def test_default_vault_id_writes_format_1_1(credentials):
    creds.write_credentials(str(credentials), {}, ("default", SECRET[1]))
    assert credentials.read_bytes().startswith(b"$ANSIBLE_VAULT;1.1;AES256\n")


def test_replacing_a_wider_file_leaves_0600(credentials):
    credentials.parent.mkdir()
    creds.write_credentials(str(credentials), {}, SECRET)
    credentials.chmod(0o644)
    creds.write_credentials(str(credentials), {"CB-1": {"password": DUNG}}, SECRET)
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600


def test_atomic_write_keeps_the_old_file_when_interrupted(credentials, monkeypatch):
    creds.write_credentials(str(credentials), {"CB-1": {"password": DUNG}}, SECRET)
    before = credentials.read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(creds.os, "replace", broken_replace)
    with pytest.raises(OSError):
        creds.write_credentials(str(credentials), {"CB-2": {"password": LAN}}, SECRET)
    assert credentials.read_bytes() == before
    assert sorted(p.name for p in credentials.parent.iterdir()) == [credentials.name]


def test_temporary_file_holds_only_ciphertext(credentials, monkeypatch):
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append((Path(src).read_bytes(), stat.S_IMODE(os.stat(src).st_mode)))
        real_replace(src, dst)

    monkeypatch.setattr(creds.os, "replace", spy)
    creds.write_credentials(str(credentials), {"CB-1": {"password": DUNG}}, SECRET)
    ((content, mode),) = seen
    assert content.startswith(b"$ANSIBLE_VAULT") and DUNG.encode() not in content and mode == 0o600


def test_missing_and_empty_files_are_empty(credentials):
    assert creds.load_credentials(str(credentials), VaultLib([SECRET])) == {}
    credentials.parent.mkdir()
    credentials.write_bytes(VaultLib([SECRET]).encrypt("", SECRET[1], "city"))
    assert creds.load_credentials(str(credentials), VaultLib([SECRET])) == {}


def test_plain_file_is_refused_without_quoting_it(credentials):
    credentials.parent.mkdir()
    credentials.write_text(f"CB-1: {{password: {DUNG}}}\n")
    with pytest.raises(creds.CredentialsError, match="not ansible-vault encrypted") as exc:
        creds.load_credentials(str(credentials), VaultLib([SECRET]))
    assert DUNG not in str(exc.value)


def test_wrong_vault_secret_is_refused(credentials):
    creds.write_credentials(str(credentials), {"CB-1": {"password": DUNG}}, SECRET)
    with pytest.raises(creds.CredentialsError, match=r"cannot decrypt .* \(vault ids: other\)"):
        creds.load_credentials(str(credentials), VaultLib([OTHER]))


@pytest.mark.parametrize("content", ["- a\n- b\n", "CB-1: text\n", "a: [\n"])
def test_wrong_shapes_are_refused(credentials, content):
    credentials.parent.mkdir()
    credentials.write_bytes(VaultLib([SECRET]).encrypt(content, SECRET[1], "city"))
    with pytest.raises(creds.CredentialsError):
        creds.load_credentials(str(credentials), VaultLib([SECRET]))


def test_merge_adds_systems_or_replaces_with_a_warning():
    entries = {
        "CB-1": {"address": "dungnv@danang.gov.vn", "password": DUNG, "issued_at": "t0", "systems": ["obm"]}
    }
    merged, warnings = creds.merge_credentials(
        entries,
        {"CB-1": DUNG, "CB-2": LAN},
        addresses={"CB-2": "lanpt@danang.gov.vn"},
        system="exchange",
        now=NOW,
    )
    assert merged["CB-1"] == {**entries["CB-1"], "systems": ["exchange", "obm"]}
    assert merged["CB-2"] == {
        "address": "lanpt@danang.gov.vn",
        "password": LAN,
        "issued_at": "2026-03-02T09:15:02+07:00",
        "systems": ["exchange"],
    }
    assert warnings == []
    assert entries["CB-1"]["systems"] == ["obm"]  # the input is not changed

    merged, warnings = creds.merge_credentials(merged, {"CB-1": LAN}, addresses={}, system="obm", now=NOW)
    assert merged["CB-1"]["password"] == LAN and merged["CB-1"]["systems"] == ["obm"]
    assert merged["CB-1"]["address"] == "dungnv@danang.gov.vn"
    (warning,) = warnings
    assert "CB-1" in warning and "exchange, obm" in warning and "reset" in warning
    no_secret_in(warnings, DUNG, LAN)


def test_select_secret():
    assert creds.select_secret([SECRET, OTHER], None) == SECRET
    assert creds.select_secret([SECRET, OTHER], "other") == OTHER
    with pytest.raises(creds.CredentialsError, match=r"'nope' is not among .* \(city, other\)"):
        creds.select_secret([SECRET, OTHER], "nope")
    with pytest.raises(creds.CredentialsError, match="ANSIBLE_VAULT_PASSWORD_FILE"):
        creds.select_secret([], None)


def test_scrub_masks_secrets_anywhere():
    result = {
        "msg": f"set {DUNG} on dungnv",
        "results": [{"note": DUNG}, (LAN,)],
        DUNG: 1,
        "short": "abc",
        "count": 3,
    }
    scrubbed = creds.scrub(result, {DUNG, LAN, "abc"})
    assert scrubbed == {
        "msg": "set ******** on dungnv",
        "results": [{"note": "********"}, ["********"]],
        "********": 1,
        "short": "********",
        "count": 3,
    }
    assert creds.scrub(result, set()) is result


def test_lock_excludes_a_second_holder(credentials):
    order = []
    first_in, second_in = threading.Event(), threading.Event()
    release = threading.Event()

    def first():
        with creds.locked(str(credentials)):
            order.append("first")
            first_in.set()
            release.wait(5)
            order.append("first out")  # still holding the lock: "second" must come after

    def second():
        first_in.wait(5)
        with creds.locked(str(credentials)):
            order.append("second")
            second_in.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    assert first_in.wait(5)
    assert not second_in.wait(0.3)  # blocked while the first holds the lock
    release.set()
    for thread in threads:
        thread.join(5)
    assert order == ["first", "first out", "second"]


# --- The action -----------------------------------------------------------------------------


def test_creates_the_file_and_shows_no_password(credentials):
    fake = FakeModule(
        {
            "changed": True,
            "results": [
                created("CB-1", "dungnv@danang.gov.vn"),
                created("agency/stttt", "stttt@danang.gov.vn", "agency"),
            ],
            "_initial_credentials": {"CB-1": DUNG},
            "_handover": {"CB-1": {"address": "dungnv@danang.gov.vn", "systems": ["obm"]}},
        }
    )
    result = run({"backend": "obm", "credentials_file": str(credentials), "purge": False}, fake)
    assert result["credentials_file"] == str(credentials)
    assert result["credentials_issued"] == ["CB-1"]
    assert result["changed"] is True and not result.get("failed")
    assert "_initial_credentials" not in result
    no_secret_in(result, DUNG)
    (preview,) = fake.previews
    assert preview == {"backend": "obm", "purge": False}  # own options removed, nothing known yet
    (call,) = fake.calls  # the planned password, recorded in pending.vault.yml first, is required
    assert call["args"] == {
        "backend": "obm",
        "purge": False,
        "known_passwords": {"CB-1": DUNG},
        "require_known_passwords": True,
    }
    assert read(credentials.parent / "pending.vault.yml") == {}  # handed over: nothing pending
    assert read(credentials) == {
        "CB-1": {
            "address": "dungnv@danang.gov.vn",
            "password": DUNG,
            "issued_at": "2026-03-02T09:15:02+07:00",
            "systems": ["obm"],
        }
    }
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600


def test_second_system_gets_the_same_password(credentials):
    """OBM then Exchange in one run: the file's passwords go in as known_passwords; the module's
    output masks a known password (no_log), and the plugin resolves it (R-45, R-46)."""
    run(
        {"backend": "obm", "credentials_file": str(credentials)},
        FakeModule(
            {
                "changed": True,
                "results": [created("CB-1", "dungnv@danang.gov.vn")],
                "_initial_credentials": {"CB-1": DUNG},
            }
        ),
    )
    fake = FakeModule(
        {
            "changed": True,
            "results": [created("CB-1", "dungnv@danang.gov.vn"), created("CB-2", "lanpt@danang.gov.vn")],
            "_initial_credentials": {"CB-1": MASKED, "CB-2": LAN},
        }
    )
    result = run({"backend": "exchange", "credentials_file": str(credentials)}, fake)
    assert fake.previews[0] == {"backend": "exchange", "known_passwords": {"CB-1": DUNG}}
    assert fake.calls[0]["args"] == {
        "backend": "exchange",
        "known_passwords": {"CB-1": DUNG, "CB-2": LAN},
        "require_known_passwords": True,
    }
    assert result["credentials_issued"] == ["CB-1", "CB-2"]
    entries = read(credentials)
    assert entries["CB-1"]["password"] == DUNG and entries["CB-1"]["systems"] == ["exchange", "obm"]
    assert entries["CB-2"]["password"] == LAN and entries["CB-2"]["systems"] == ["exchange"]
    no_secret_in(result, DUNG, LAN)


def test_nothing_issued_leaves_the_file_alone(credentials):
    creds.write_credentials(str(credentials), {"CB-1": {"password": DUNG}}, SECRET)
    before = credentials.read_bytes()
    result = run({"credentials_file": str(credentials)}, FakeModule({"changed": False, "results": []}))
    assert result["credentials_issued"] == [] and result["changed"] is False
    assert credentials.read_bytes() == before


def test_popped_and_written_when_the_module_fails(credentials):
    fake = FakeModule(
        {
            "failed": True,
            "msg": "1 of 2 accounts failed: lanpt@danang.gov.vn: server refused",
            "results": [created("CB-1", "dungnv@danang.gov.vn")],
            "_initial_credentials": {"CB-1": DUNG},
        }
    )
    result = run({"credentials_file": str(credentials)}, fake)
    assert result["failed"] is True and result["msg"].startswith("1 of 2 accounts failed")
    assert "_initial_credentials" not in result
    assert result["credentials_issued"] == ["CB-1"]
    assert read(credentials)["CB-1"]["password"] == DUNG


def test_popped_when_the_module_crashes(credentials):
    fake = FakeModule({"failed": True, "msg": "MODULE FAILURE", "module_stderr": "Traceback ..."})
    result = run({"credentials_file": str(credentials)}, fake)
    assert result["failed"] is True and not credentials.exists()


def test_check_mode_writes_nothing(credentials):
    fake = FakeModule(
        {
            "changed": True,
            "results": [created("CB-1", "dungnv@danang.gov.vn")],
            "_initial_credentials": {"CB-1": DUNG},
        }
    )
    result = run({"credentials_file": str(credentials)}, fake, check_mode=True)
    assert fake.calls[0]["check_mode"] is True
    assert "_initial_credentials" not in result and result["credentials_issued"] == []
    no_secret_in(result, DUNG)
    assert not credentials.parent.exists()  # not even the lock file or the directory


def test_check_mode_reads_known_passwords(credentials):
    creds.write_credentials(str(credentials), {"CB-1": {"password": DUNG}}, SECRET)
    fake = FakeModule({"changed": False, "results": []})
    run({"credentials_file": str(credentials)}, fake, check_mode=True)
    assert fake.calls[0]["args"]["known_passwords"] == {"CB-1": DUNG}


def test_no_vault_secret_fails_before_the_module_runs(credentials):
    fake = FakeModule()
    result = run({"credentials_file": str(credentials)}, fake, secrets=())
    assert result["failed"] is True
    assert "--vault-password-file" in result["msg"] and "ANSIBLE_VAULT_PASSWORD_FILE" in result["msg"]
    assert fake.calls == [] and not credentials.exists()


def test_no_vault_secret_in_check_mode_warns(credentials, monkeypatch):
    warnings = []
    fake = FakeModule({"changed": True, "results": [created("CB-1", "dungnv@danang.gov.vn")]})
    action = make_action({"credentials_file": str(credentials)}, fake, secrets=(), check_mode=True)
    monkeypatch.setattr(action._display, "warning", warnings.append)
    result = action.run(task_vars={})
    assert not result.get("failed") and len(fake.calls) == 1
    assert any("no vault secret" in w for w in warnings)


def test_chosen_vault_id_encrypts(credentials):
    fake = FakeModule({"changed": True, "results": [], "_initial_credentials": {"CB-1": DUNG}})
    run(
        {"credentials_file": str(credentials), "credentials_vault_id": "other"}, fake, secrets=(SECRET, OTHER)
    )
    assert credentials.read_bytes().startswith(b"$ANSIBLE_VAULT;1.2;AES256;other\n")
    assert read(credentials, secrets=(OTHER,))["CB-1"]["password"] == DUNG


def test_unknown_vault_id_fails_before_the_module_runs(credentials):
    fake = FakeModule()
    result = run({"credentials_file": str(credentials), "credentials_vault_id": "nope"}, fake)
    assert result["failed"] is True and "nope" in result["msg"] and fake.calls == []


def test_undecryptable_file_fails_before_the_module_runs(credentials):
    creds.write_credentials(str(credentials), {"CB-1": {"password": DUNG}}, OTHER)
    fake = FakeModule()
    result = run({"credentials_file": str(credentials)}, fake)
    assert result["failed"] is True and "cannot decrypt" in result["msg"] and fake.calls == []


def test_without_credentials_file_persons_are_refused_before_changes():
    fake = FakeModule(
        {"changed": True, "results": [created("CB-1", "dungnv@danang.gov.vn")], "_initial_credentials": {}}
    )
    result = run({"backend": "obm"}, fake)
    assert result["failed"] is True and "credentials_file is not set" in result["msg"]
    assert "dungnv@danang.gov.vn" in result["msg"]
    assert [call["check_mode"] for call in fake.calls] == [True]  # only the preview ran


def test_without_credentials_file_shared_mailboxes_go_ahead():
    plan = {"changed": True, "results": [created("agency/stttt", "stttt@danang.gov.vn", "agency")]}
    fake = FakeModule(plan, plan)
    result = run({"backend": "obm"}, fake)
    assert not result.get("failed") and "credentials_file" not in result
    assert [call["check_mode"] for call in fake.calls] == [True, False]
    assert fake.calls[1]["args"] == {"backend": "obm"}


def test_without_credentials_file_an_unexpected_issue_names_holders_to_reset():
    fake = FakeModule(
        {"changed": False, "results": []}, {"changed": True, "_initial_credentials": {"CB-9": DUNG}}
    )
    result = run({}, fake)
    assert result["failed"] is True and "CB-9" in result["msg"] and "reset" in result["msg"]
    no_secret_in(result, DUNG)


def plan_row(address: str, action: str = "create", **extra) -> dict:
    return {"address": address, "action": action, "before": {}, "after": {}, **extra}


def test_module_check_mode_plan_rows_without_kind_count_as_persons():
    """The module's check-mode output has ``plan`` rows and no ``results``; a create row without
    ``kind`` is taken for a person (refusing beats losing a password)."""
    fake = FakeModule({"changed": True, "plan": [plan_row("stttt@danang.gov.vn")], "summary": {"create": 1}})
    result = run({"backend": "obm"}, fake)
    assert result["failed"] is True and "stttt@danang.gov.vn" in result["msg"]
    assert len(fake.calls) == 1


def test_addresses_come_from_plan_rows_with_holder_ids(credentials):
    fake = FakeModule(
        {
            "changed": True,
            "plan": [plan_row("dungnv@danang.gov.vn", holder_id="CB-1", kind="person")],
            "results": [{"address": "dungnv@danang.gov.vn", "action": "create", "ok": True, "error": None}],
            "_initial_credentials": {"CB-1": DUNG},
        }
    )
    run({"credentials_file": str(credentials)}, fake)
    assert read(credentials)["CB-1"]["address"] == "dungnv@danang.gov.vn"


def test_password_recorded_even_without_an_address(credentials):
    fake = FakeModule(
        {"changed": True, "plan": [plan_row("dungnv@danang.gov.vn")], "_initial_credentials": {"CB-1": DUNG}}
    )
    result = run({"credentials_file": str(credentials)}, fake)
    assert result["credentials_issued"] == ["CB-1"]
    assert read(credentials)["CB-1"] == {
        "address": None,
        "password": DUNG,
        "issued_at": "2026-03-02T09:15:02+07:00",
        "systems": ["obm"],
    }


def test_write_failure_names_holders_to_reset(credentials, monkeypatch):
    def full_disk(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(creds, "write_credentials", full_disk)
    fake = FakeModule({"changed": True, "_initial_credentials": {"CB-1": DUNG, "CB-2": LAN}})
    result = run({"credentials_file": str(credentials)}, fake)
    assert result["failed"] is True and "CB-1, CB-2" in result["msg"] and "next run" in result["msg"]
    no_secret_in(result, DUNG, LAN)
    pending = read(credentials.parent / "pending.vault.yml")  # recorded before apply, kept
    assert {h: e["password"] for h, e in pending.items()} == {"CB-1": DUNG, "CB-2": LAN}


def test_leaked_passwords_are_masked_in_every_field(credentials):
    fake = FakeModule(
        {
            "changed": True,
            "msg": f"created dungnv with {DUNG}",
            "diff": {"before": {}, "after": {"dungnv@danang.gov.vn": {"userPassword": DUNG}}},
            "warnings": [f"known {LAN}"],
            "_initial_credentials": {"CB-1": DUNG},
        }
    )
    creds.write_credentials(str(credentials), {"CB-2": {"password": LAN}}, SECRET)
    result = run({"credentials_file": str(credentials)}, fake)
    no_secret_in(result, DUNG, LAN)
    assert result["msg"] == "created dungnv with ********"


def test_unresolvable_masked_password_warns_and_is_not_recorded(credentials, monkeypatch):
    warnings = []
    fake = FakeModule({"changed": True, "_initial_credentials": {"CB-1": MASKED, "CB-2": LAN}})
    action = make_action({"credentials_file": str(credentials)}, fake)
    monkeypatch.setattr(action._display, "warning", warnings.append)
    result = action.run(task_vars={})
    assert result["credentials_issued"] == ["CB-2"]
    assert set(read(credentials)) == {"CB-2"}
    assert any("CB-1" in w and "reset" in w for w in warnings)


def test_pipelining_off_warns_when_passwords_travel(credentials, monkeypatch):
    creds.write_credentials(str(credentials), {"CB-1": {"password": DUNG}}, SECRET)
    warnings = []
    action = make_action({"credentials_file": str(credentials)}, FakeModule({"changed": False}))
    monkeypatch.setattr(action._display, "warning", warnings.append)
    # Ansible's own setting (the repository's ansible.cfg turns pipelining on).
    monkeypatch.setattr(action, "_is_pipelining_enabled", lambda *args, **kwargs: False)
    action.run(task_vars={})
    assert any("pipelining" in w for w in warnings)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"credentials_file": ""}, "credentials_file must be a path"),
        ({"credentials_file": ["a"]}, "credentials_file must be a path"),
        ({"credentials_vault_id": 3}, "credentials_vault_id must be"),
        ({"known_passwords": "x"}, "known_passwords must map"),
    ],
)
def test_bad_own_options(args, message):
    fake = FakeModule()
    result = run(args, fake)
    assert result["failed"] is True and message in result["msg"] and fake.calls == []


def test_given_known_passwords_conflicting_with_the_file(credentials):
    creds.write_credentials(str(credentials), {"CB-1": {"password": DUNG}}, SECRET)
    fake = FakeModule()
    result = run({"credentials_file": str(credentials), "known_passwords": {"CB-1": LAN}}, fake)
    assert result["failed"] is True and "CB-1" in result["msg"] and fake.calls == []
    no_secret_in(result, DUNG, LAN)


# --- A real ansible-playbook run at -vvv ----------------------------------------------------

STUB_MODULE = '''#!/usr/bin/python
# A stand-in for danang.mail.mailbox with the contract the action plugin relies on.
from __future__ import annotations

DOCUMENTATION = r"""
module: mailbox
short_description: test stub
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.danang.mail.plugins.module_utils.passwords import generate_password


def main():
    module = AnsibleModule(
        argument_spec={
            "backend": {"type": "str", "default": "obm"},
            "people": {"type": "list", "elements": "str", "default": []},
            "known_passwords": {"type": "dict", "default": {}, "no_log": True},
            "require_known_passwords": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    known = module.params["known_passwords"]
    issued, results = {}, []
    for holder in module.params["people"]:
        address = holder.lower() + "@danang.gov.vn"
        results.append({"address": address, "holder_id": holder, "action": "create", "kind": "person"})
        if module.params["require_known_passwords"] and holder not in known:
            module.fail_json(msg="a password was not recorded before apply")
        issued[holder] = known.get(holder) or generate_password()
    leak = " ".join(issued.values())  # a careless message: the action plugin must mask it
    handover = {} if module.check_mode else {
        h: {"address": h.lower() + "@danang.gov.vn", "systems": ["exchange", "obm"]} for h in issued
    }
    module.exit_json(
        changed=bool(results), backend=module.params["backend"], results=results,
        msg="created " + leak, diff={"before": {}, "after": {r["address"]: leak for r in results}},
        _initial_credentials=issued, _handover=handover,
    )


if __name__ == "__main__":
    main()
'''

PLAYBOOK = """\
- name: Two systems, one password per person
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: OBM
      danang.mail.mailbox:
        backend: obm
        people: [CB-1, CB-2]
        credentials_file: "{{ playbook_dir }}/credentials/run.vault.yml"
    - name: Exchange
      danang.mail.mailbox:
        backend: exchange
        people: [CB-1, CB-2, CB-3]
        credentials_file: "{{ playbook_dir }}/credentials/run.vault.yml"
"""


@pytest.mark.integration
@pytest.mark.parametrize("pipelining", ["True", "False"])
def test_real_playbook_run_at_vvv_shows_no_password(tmp_path, pipelining):
    source = Path(plugin.__file__).resolve().parents[2]  # …/ansible_collections/danang/mail
    collection = tmp_path / "collections" / "ansible_collections" / "danang" / "mail"
    shutil.copytree(
        source / "plugins", collection / "plugins", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    shutil.copy(source / "galaxy.yml", collection / "galaxy.yml")
    (collection / "plugins" / "modules" / "mailbox.py").write_text(STUB_MODULE)
    (tmp_path / "site.yml").write_text(PLAYBOOK)
    vault_file = tmp_path / "vault-pass"
    vault_file.write_text("the lab's vault password\n")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")},
        "ANSIBLE_COLLECTIONS_PATH": str(tmp_path / "collections"),
        "ANSIBLE_VAULT_PASSWORD_FILE": str(vault_file),
        "ANSIBLE_PIPELINING": pipelining,
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
        "ANSIBLE_LOCALHOST_WARNING": "False",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "False",
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "local-tmp"),
        "ANSIBLE_REMOTE_TMP": str(tmp_path / "remote-tmp"),
    }
    playbook = Path(sys.executable).with_name("ansible-playbook")
    proc = subprocess.run(
        [str(playbook), "-vvv", "--diff", "-i", "localhost,", str(tmp_path / "site.yml")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-5000:]

    view = subprocess.run(
        [str(playbook.with_name("ansible-vault")), "view", str(tmp_path / "credentials" / "run.vault.yml")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    entries = yaml.safe_load(view.stdout)
    assert set(entries) == {"CB-1", "CB-2", "CB-3"}
    assert entries["CB-1"]["systems"] == ["exchange", "obm"] and entries["CB-3"]["systems"] == ["exchange"]
    passwords = [entry["password"] for entry in entries.values()]
    assert len(set(passwords)) == 3  # R-45: different accounts, different passwords
    for password in passwords:
        assert password not in output, "a password reached the displayed output"
    assert "credentials_issued" in output and "********" in output
    assert ("pipelining is off" in output) is (pipelining == "False")
    assert stat.S_IMODE((tmp_path / "credentials" / "run.vault.yml").stat().st_mode) == 0o600
    # CB-3 has no OBM account yet: its password stays pending, for OBM to reuse (R-45).
    view = subprocess.run(
        [
            str(playbook.with_name("ansible-vault")),
            "view",
            str(tmp_path / "credentials" / "pending.vault.yml"),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    pending = yaml.safe_load(view.stdout)
    assert set(pending) == {"CB-3"} and pending["CB-3"]["password"] == entries["CB-3"]["password"]
