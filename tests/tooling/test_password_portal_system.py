# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""danang.mail.password_portal's system mode, which needs systemd and a server the tests do not
have: its three files rendered from the role's own templates, defaults and vars (one playbook run),
then checked by what reads them - the settings file by the page's and the library's validators
(secrets that YAML would misread included), gunicorn's settings by gunicorn's list of settings, the
unit by ``systemd-analyze verify``. The lab mode runs for real in
tests/integration/test_password_portal_role.py.
"""

from __future__ import annotations

import json
import os
import runpy
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
ROLE = REPO / "collections/ansible_collections/danang/mail/roles/password_portal"
FILES = ROLE / "files"
ANSIBLE_PLAYBOOK = Path(sys.executable).with_name("ansible-playbook")
TEMPLATES = {
    "config.yml": "config.yml.j2",
    "gunicorn.conf.py": "gunicorn.conf.py.j2",
    "danang-password-portal.service": "danang-password-portal.service.j2",
}
# Secrets YAML would read as something else when written plain (a boolean, a number, a comment).
SECRETS = {
    "password_portal_secret_key": "yes-" + "0x1F" * 10,
    "obm_password": "on",
    "exchange_password": "#: '\" -- 0o17 [x]",
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("portal-system")
    install = out / "opt"  # the unit's ExecStart must exist for systemd-analyze verify
    (install / "venv" / "bin").mkdir(parents=True)
    (install / "venv" / "bin" / "gunicorn").write_text("#!/bin/sh\n")
    (install / "venv" / "bin" / "gunicorn").chmod(0o755)
    # what the role decrypts from the vault file next to the settings
    (out / "etc").mkdir()
    (out / "etc" / "personal_data.yml").write_text('CB-2017-000101: {phone: "0905123456"}\n')
    variables: dict[str, Any] = {
        "role_path": str(ROLE),
        "out": str(out),
        "templates": TEMPLATES,
        "password_portal_install_dir": str(install),
        "password_portal_config_dir": str(out / "etc"),
        "password_portal_tls_cert": "/etc/ssl/certs/portal.pem",
        "password_portal_tls_key": "/etc/ssl/private/portal.key",
        "password_portal_domain": "Danang.Gov.VN",
        "password_portal_help_contact": "Trung tâm IT: 0236 3 123 456",
        "password_portal_secret_key": SECRETS["password_portal_secret_key"],
        "password_portal_personal_data_file": "/srv/inventory/personal_data.vault.yml",
        "password_portal_obm": {
            "ldap_uri": "ldap://obm.danang.gov.vn:389",
            "ldap_starttls": "yes",
            "base_dn": "dc=local",
            "bind_dn": "uid=password-portal,ou=sysusers,dc=local",
            "bind_password": SECRETS["obm_password"],
        },
        "password_portal_exchange": {
            "exchange_server": "exch01.danang.gov.vn",
            "exchange_port": "5985",  # as -e key=value gives it
            "exchange_ssl": "true",
            "exchange_username": "svc-mail@danang.gov.vn",
            "exchange_password": SECRETS["exchange_password"],
            "exchange_databases": ["DB01", "DB02"],
            "ad_uri": "ldaps://dc01.danang.gov.vn",
        },
        "ansible_python_interpreter": sys.executable,
    }
    playbook = out / "render.yml"
    playbook.write_text(
        f"""- hosts: localhost
  gather_facts: false
  vars_files: ["{ROLE}/defaults/main.yml", "{ROLE}/vars/main.yml"]
  tasks:
    - ansible.builtin.copy:
        content: "{{{{ lookup('ansible.builtin.template', role_path ~ '/templates/' ~ item.value) }}}}"
        dest: "{{{{ out }}}}/{{{{ item.key }}}}"
        mode: "0600"
      loop: "{{{{ templates | dict2items }}}}"
""",
        encoding="utf-8",
    )
    (out / "vars.json").write_text(json.dumps(variables), encoding="utf-8")
    proc = subprocess.run(
        [
            str(ANSIBLE_PLAYBOOK),
            "-i",
            "localhost,",
            "-c",
            "local",
            str(playbook),
            "-e",
            f"@{out / 'vars.json'}",
        ],
        env=dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    return out


def test_the_settings_file_is_what_the_page_and_the_library_accept(rendered: Path) -> None:
    sys.path.insert(0, str(FILES))
    try:
        from ansible_collections.danang.mail.plugins.module_utils import self_service
        from danang_password_portal.settings import load_config
    finally:
        sys.path.remove(str(FILES))
    path = str(rendered / "config.yml")
    config, settings = load_config(path)  # strict_yaml: a misread secret would be refused here
    assert self_service.config_problems(config, path) == []
    assert config["domain"] == "danang.gov.vn"  # lower case
    assert config["systems"] == ["exchange", "obm"]  # Exchange written first
    assert settings.secret_key == SECRETS["password_portal_secret_key"]
    assert config["obm"]["bind_password"] == SECRETS["obm_password"]
    assert config["exchange"]["exchange_password"] == SECRETS["exchange_password"]
    assert config["exchange"]["exchange_port"] == 5985  # typed, however the inventory gave it
    assert config["exchange"]["exchange_ssl"] is True
    assert config["obm"]["ldap_starttls"] is True
    assert config["personal_data_file"] == str(rendered / "etc" / "personal_data.yml")


def test_gunicorn_runs_one_worker_with_systemds_copies_of_the_tls_files(
    rendered: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gunicorn.config import KNOWN_SETTINGS

    monkeypatch.syspath_prepend(str(FILES))
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", "/run/credentials/danang-password-portal.service")
    settings = runpy.run_path(str(rendered / "gunicorn.conf.py"))
    names = {name for name in settings if name.islower() and not name.startswith("_") and name != "os"}
    assert names <= {setting.name for setting in KNOWN_SETTINGS}  # no misspelt setting, silently ignored
    assert settings["workers"] == 1  # sessions and limits live in the one process's memory
    assert settings["threads"] == 8
    assert settings["bind"] == ["0.0.0.0:443"]
    assert settings["certfile"] == "/run/credentials/danang-password-portal.service/tls.crt"
    assert settings["keyfile"] == "/run/credentials/danang-password-portal.service/tls.key"
    assert settings["control_socket_disable"] is True
    assert "pidfile" not in settings


def test_the_unit_is_hardened_and_passes_systemd_analyze_verify(rendered: Path) -> None:
    unit = (rendered / "danang-password-portal.service").read_text(encoding="utf-8")
    for line in (
        "User=danang-password-portal",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "PrivateTmp=yes",
        "LoadCredential=tls.key:/etc/ssl/private/portal.key",
        "AmbientCapabilities=CAP_NET_BIND_SERVICE",  # port 443 without root
        "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
        f"Environment=DANANG_PASSWORD_PORTAL_CONFIG={rendered}/etc/config.yml",
    ):
        assert line in unit.splitlines(), line
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed")
    verify = subprocess.run(
        ["systemd-analyze", "verify", str(rendered / "danang-password-portal.service")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert verify.returncode == 0, verify.stderr
    assert verify.stderr == "", verify.stderr  # an unknown key or a bad value is only a warning
