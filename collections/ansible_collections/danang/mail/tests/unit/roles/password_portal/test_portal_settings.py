# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The portal's config file: read with strict_yaml, its ``web`` section checked, problems naming
the file and the field and never quoting a value; gunicorn's entry point refusing a bad file."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from ansible_collections.danang.mail.plugins.module_utils.model import ValidationFailed
from danang_password_portal.settings import Settings, load_config
from portal_client import FILES

SECRET = "s3cret-" * 6
GOOD = f"""\
domain: danang.gov.vn
systems: [exchange, obm]
web:
  secret_key: "{SECRET}"
  public_url: https://mail-password.danang.gov.vn
  session_seconds: 600
  address_failures: 5
  client_failures: 20
  window_seconds: 900
  help_contact: "Trung tâm IT: 0236 3821 000"
"""


def write(tmp_path, text: str) -> str:
    path = tmp_path / "portal.yml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_good_file(tmp_path):
    config, settings = load_config(write(tmp_path, GOOD))
    assert config["systems"] == ["exchange", "obm"]
    assert settings == Settings(SECRET, "https://mail-password.danang.gov.vn", "Trung tâm IT: 0236 3821 000")


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (("address_failures: 5", "address_failures: 10"), "address_failures", "from 1 to 9"),
        (("session_seconds: 600", "session_seconds: yes"), "line 6", "true or false"),  # strict_yaml
        (("window_seconds: 900", "window_seconds: '900'"), "window_seconds", "whole number"),
        (("public_url: https://", "public_url: http://"), "public_url", "https://"),
        ((f'secret_key: "{SECRET}"', 'secret_key: "short"'), "secret_key", "at least 32"),
        (("  help_contact:", "  helpcontact:"), "helpcontact", "unknown field"),
    ],
)
def test_problems_name_the_file_and_the_field(tmp_path, change, field, message):
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(ValidationFailed) as failed:
        load_config(path)
    text = str(failed.value)
    assert path in text and field in text and message in text
    assert SECRET not in text and "short" not in text.replace("shorter", "")


def test_a_missing_web_section(tmp_path):
    path = write(tmp_path, "domain: danang.gov.vn\n")
    with pytest.raises(ValidationFailed, match=r"portal\.yml: web: is missing"):
        load_config(path)


def test_yaml_aliases_are_refused(tmp_path):
    with pytest.raises(ValidationFailed, match="alias"):
        load_config(write(tmp_path, GOOD + "x: &a [1]\ny: *a\n"))


def run_wsgi(environment: dict[str, str]) -> subprocess.CompletedProcess:
    collections = str(FILES.parents[5])
    env = {key: value for key, value in os.environ.items() if key != "DANANG_PASSWORD_PORTAL_CONFIG"}
    env.update(environment, PYTHONPATH=os.pathsep.join((str(FILES), collections)))
    return subprocess.run(
        [sys.executable, "-c", "import danang_password_portal.wsgi"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_wsgi_needs_the_config_variable():
    done = run_wsgi({})
    assert done.returncode == 1
    assert "DANANG_PASSWORD_PORTAL_CONFIG must name the portal's config file" in done.stderr


def test_wsgi_refuses_a_bad_config_naming_file_and_field(tmp_path):
    path = write(tmp_path, GOOD.replace("address_failures: 5", "address_failures: 12"))
    done = run_wsgi({"DANANG_PASSWORD_PORTAL_CONFIG": path})
    assert done.returncode == 1
    assert f"{path}: web: address_failures: must be a whole number from 1 to 9" in done.stderr
    assert SECRET not in done.stderr
