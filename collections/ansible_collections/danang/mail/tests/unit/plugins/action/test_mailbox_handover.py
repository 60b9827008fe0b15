# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mailbox action plugin's pending hand-over record and personal data file
(R-43), with the real plugin objects of test_mailbox_action.py and a fake module in their place.

The crash the record guards against is a process killed between the module's apply and the write
of the credentials file: here the fake module's real run raises where the kill would strike.
"""

from __future__ import annotations

import pytest
from ansible.parsing.vault import VaultLib
from ansible_collections.danang.mail.plugins.action import mailbox as plugin
from ansible_collections.danang.mail.plugins.action import password_policy as policy_plugin
from ansible_collections.danang.mail.plugins.plugin_utils import credentials as creds
from ansible_collections.danang.mail.plugins.plugin_utils.pending import plan_pending, settle_pending
from test_mailbox_action import (
    DUNG,
    LAN,
    NOW,
    SECRET,
    FakeModule,
    created,
    make_action,
    read,
    run,
)

DUNG_ADDRESS = "dungnv@danang.gov.vn"


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    monkeypatch.setattr(plugin, "_now", lambda: NOW)


@pytest.fixture
def credentials(tmp_path):
    return tmp_path / "credentials" / "run-1.vault.yml"


def pending_of(credentials):
    return credentials.parent / "pending.vault.yml"


class Killed(BaseException):
    """Where a SIGKILL would strike: nothing after it runs in the plugin."""


def test_planned_passwords_are_recorded_before_the_module_changes_anything(credentials):
    seen = {}

    class Module(FakeModule):
        def __call__(self, module_name=None, module_args=None, task_vars=None, **unused):
            if not self.task.check_mode:  # the real run: the password must already be on disk
                seen.update(read(pending_of(credentials)))
            return super().__call__(module_name, module_args, task_vars, **unused)

    fake = Module(
        {"changed": True, "results": [created("CB-1", DUNG_ADDRESS)], "_initial_credentials": {"CB-1": DUNG}}
    )
    run({"backend": "obm", "credentials_file": str(credentials)}, fake)
    assert seen["CB-1"]["password"] == DUNG and seen["CB-1"]["planned"] == ["obm"]
    assert fake.calls[0]["args"]["require_known_passwords"] is True


def test_a_kill_after_apply_leaves_the_password_for_the_next_run_to_hand_over(credentials, tmp_path):
    class Crashing(FakeModule):
        def __call__(self, module_name=None, module_args=None, task_vars=None, **unused):
            if not self.task.check_mode:
                raise Killed  # the module created CB-1 with the recorded password, then the run died
            return super().__call__(module_name, module_args, task_vars, **unused)

    crashing = Crashing(
        {"changed": True, "results": [created("CB-1", DUNG_ADDRESS)], "_initial_credentials": {"CB-1": DUNG}}
    )
    with pytest.raises(Killed):
        run({"backend": "obm", "credentials_file": str(credentials)}, crashing)
    assert not credentials.exists()
    assert read(pending_of(credentials))["CB-1"]["password"] == DUNG

    # The next run (a new credentials file): CB-1's account exists, the plan creates nothing.
    rerun_file = credentials.with_name("run-2.vault.yml")
    fake = FakeModule(
        {"changed": False, "_handover": {"CB-1": {"address": DUNG_ADDRESS, "systems": ["obm"]}}}
    )
    result = run({"backend": "obm", "credentials_file": str(rerun_file)}, fake)
    assert fake.calls[0]["args"]["known_passwords"] == {"CB-1": DUNG}
    assert result["credentials_issued"] == ["CB-1"] and DUNG not in str(result)
    assert read(rerun_file)["CB-1"] == {
        "address": DUNG_ADDRESS,
        "password": DUNG,
        "issued_at": NOW.isoformat(),
        "systems": ["obm"],
    }
    assert read(pending_of(credentials)) == {}


def test_a_second_system_reuses_a_pending_password_across_runs(credentials):
    """OBM created CB-1 in an earlier run that was killed before Exchange: Exchange gets the same one."""
    run(
        {"backend": "obm", "credentials_file": str(credentials)},
        FakeModule(
            {
                "changed": True,
                "results": [created("CB-1", DUNG_ADDRESS)],
                "_initial_credentials": {"CB-1": DUNG},
                "_handover": {"CB-1": {"address": DUNG_ADDRESS, "systems": ["exchange", "obm"]}},
            }
        ),
    )
    assert read(pending_of(credentials))["CB-1"]["settled"] == ["obm"]
    rerun_file = credentials.with_name("run-2.vault.yml")
    fake = FakeModule(
        {
            "changed": True,
            "results": [created("CB-1", DUNG_ADDRESS)],
            "_initial_credentials": {"CB-1": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"},
            "_handover": {"CB-1": {"address": DUNG_ADDRESS, "systems": ["exchange", "obm"]}},
        }
    )
    run({"backend": "exchange", "credentials_file": str(rerun_file)}, fake)
    assert fake.previews[0]["known_passwords"] == {"CB-1": DUNG}
    assert read(rerun_file)["CB-1"]["password"] == DUNG
    assert read(pending_of(credentials)) == {}


def test_settle_records_only_systems_planned_with_the_password():
    entries, _changed = plan_pending({}, {"CB-1": DUNG}, addresses={}, system="obm", now=NOW)
    # Exchange already had CB-1 (its own password): nothing to hand over there, but it is settled.
    left, record = settle_pending(entries, {"CB-1": {"systems": ["exchange", "obm"]}}, system="exchange")
    assert record == {} and left["CB-1"]["settled"] == ["exchange"]
    left, record = settle_pending(left, {"CB-1": {"systems": ["exchange", "obm"]}}, system="obm")
    assert record == {"CB-1": DUNG} and left == {}


# --- personal_data.vault.yml (R-43) -----------------------------------------------------------


def write_personal(path, text: str, encrypted: bool = True) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    vault = VaultLib([SECRET])
    path.write_bytes(
        vault.encrypt(text, secret=SECRET[1], vault_id=SECRET[0]) if encrypted else text.encode()
    )


PERSONAL = 'CB-1: {birth_date: 1985-04-12, phone: "0905123456"}\n'


def test_the_encrypted_personal_data_file_reaches_the_module(credentials, tmp_path):
    personal = tmp_path / "inventory" / "personal_data.vault.yml"
    write_personal(personal, PERSONAL)
    fake = FakeModule({"changed": False})
    run({"credentials_file": str(credentials), "personal_data_file": str(personal)}, fake)
    expected = {"CB-1": {"birth_date": "1985-04-12", "phone": "0905123456"}}
    assert (
        fake.previews[0]["personal_data"] == expected and fake.calls[0]["args"]["personal_data"] == expected
    )
    assert "personal_data_file" not in fake.calls[0]["args"]


def test_a_plain_personal_data_file_is_refused_before_the_module_runs(credentials, tmp_path):
    personal = tmp_path / "personal_data.vault.yml"
    write_personal(personal, PERSONAL, encrypted=False)
    fake = FakeModule()
    result = run({"credentials_file": str(credentials), "personal_data_file": str(personal)}, fake)
    assert (
        result["failed"]
        and "not ansible-vault encrypted" in result["msg"]
        and "0905123456" not in result["msg"]
    )
    assert fake.calls == [] and fake.previews == []


def test_a_bad_entry_names_the_file_entry_and_field(credentials, tmp_path):
    personal = tmp_path / "personal_data.vault.yml"
    write_personal(personal, "CB-1: {birth_date: 12/04/1985}\n")
    result = run({"credentials_file": str(credentials), "personal_data_file": str(personal)}, FakeModule())
    assert f"{personal}: CB-1: birth_date: must be a date" in result["msg"]


@pytest.mark.parametrize(
    "text",
    [
        'CB-1: {phone: "0905123456"}\nCB-1: {birth_date: 1985-04-12, phone: "0905999888"}\n',  # duplicate
        "CB-1: {birth_date: 1985-04-12, phone: 0x35C7E2F0}\n",  # read as a number
        'base: &b {phone: "0905123456"}\nCB-1: *b\n',  # alias
    ],
)
def test_personal_data_is_read_strictly_and_the_refusal_shows_no_value(credentials, tmp_path, text):
    personal = tmp_path / "personal_data.vault.yml"
    write_personal(personal, text)
    fake = FakeModule()
    result = run({"credentials_file": str(credentials), "personal_data_file": str(personal)}, fake)
    assert result["failed"] and f"the personal data file {personal} is refused" in result["msg"]
    assert "line " in result["msg"]
    assert all(secret not in result["msg"] for secret in ("0905123456", "0905999888", "0x35C7E2F0", "1985"))
    assert fake.calls == [] and fake.previews == []


def test_a_missing_personal_data_file_warns_when_passwords_are_drawn(credentials, tmp_path, monkeypatch):
    warnings = []
    fake = FakeModule(
        {"changed": True, "results": [created("CB-1", DUNG_ADDRESS)], "_initial_credentials": {"CB-1": LAN}}
    )
    action = make_action(
        {"credentials_file": str(credentials), "personal_data_file": str(tmp_path / "none.vault.yml")}, fake
    )
    monkeypatch.setattr(action._display, "warning", warnings.append)
    action.run(task_vars={})
    assert any("no personal data file" in w and "R-43" in w for w in warnings)


def test_password_policy_resets_get_the_personal_data(credentials, tmp_path):
    personal = tmp_path / "personal_data.vault.yml"
    write_personal(personal, PERSONAL)
    from test_password_policy_action import RESET, action

    plugin, calls = action(
        {
            "mode": "enforce",
            "resets": ["CB-1"],
            "credentials_file": str(credentials),
            "personal_data_file": str(personal),
        },
        RESET,
    )
    plugin.run(task_vars={})
    assert calls[0]["personal_data"] == {"CB-1": {"birth_date": "1985-04-12", "phone": "0905123456"}}
    assert policy_plugin.PERSONAL_OPTION not in calls[0]
    assert creds.load_credentials(str(credentials), VaultLib([SECRET]))["CB-1"]["reset"] is True
