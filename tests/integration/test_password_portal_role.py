# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""danang.mail.password_portal in lab mode (lab/roles/portal_lab, the tests' instance portal-tests):
the page serves HTTPS checked against the lab's CA with its security headers; the role is idempotent,
its check mode changes nothing; its settings and the decrypted personal data are 0600 and no secret
reaches the play's output; the control script stops and starts it.
"""

from __future__ import annotations

import os
import ssl
import stat
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import both_labs
import exchange_city
import pytest
from portal_lab import Portal, port_open, portal_for

pytestmark = pytest.mark.integration

PHONE = "0905123456"
BIRTH_DATE = "1985-04-12"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@pytest.fixture(scope="module")
def site(exchange_lab: Any, obm_lab: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A test city (its own domain and managed OU in the session's Exchange lab) with personal data."""
    root = tmp_path_factory.mktemp("portal-role")
    with exchange_city.exchange_town(exchange_lab, root) as town:
        city = both_labs.SiteCity(town, obm_lab, root / "ansible.log")
        city.write_personal_data(f'CB-2017-000101: {{birth_date: {BIRTH_DATE}, phone: "{PHONE}"}}\n')
        yield city


@pytest.fixture(scope="module")
def portal(site: Any) -> Iterator[Portal]:
    with portal_for(site, "-v") as running:
        yield running


def secrets(portal: Portal) -> list[str]:
    lab = portal.site.obm.lab_dir
    found = [
        (portal.lab_dir / "secrets" / "secret-key").read_text().split()[0],
        portal.site.city.lab.admin_password,
        PHONE,
    ]
    portal_identity = Path(lab) / "secrets" / "password-portal"
    if portal_identity.exists():
        found.append(portal_identity.read_text().split()[0])
    return found


def test_the_page_serves_https_checked_against_the_lab_ca_with_its_security_headers(portal: Portal) -> None:
    with portal.get("/") as response:
        assert response.status == 200
        headers = response.headers
    assert headers["Content-Security-Policy"] == CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    assert headers["Cache-Control"] == "no-store"
    # The certificate is the lab CA's: a client that only knows the public CAs refuses it.
    with pytest.raises(urllib.error.URLError) as refused:
        urllib.request.urlopen(portal.url, context=ssl.create_default_context(), timeout=10)
    assert isinstance(refused.value.reason, ssl.SSLCertVerificationError)


def test_settings_and_personal_data_are_0600_and_no_secret_is_in_the_output(portal: Portal) -> None:
    for path in (portal.config_file, portal.personal_data_file, portal.lab_dir / "tls" / "server.key"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    config = portal.config_file.read_text(encoding="utf-8")
    assert f"domain: {portal.site.domain}" in config
    assert f"ad_managed_ou: {portal.site.city.ou}" in config
    assert f"personal_data_file: {portal.personal_data_file}" in config
    assert PHONE in portal.personal_data_file.read_text(encoding="utf-8")  # decrypted from the vault
    output = portal.first_run.proc.stdout + portal.first_run.proc.stderr
    assert "Write the page's settings" in output  # the -v run did write them
    for secret in secrets(portal):
        assert secret in config + portal.personal_data_file.read_text(encoding="utf-8")
        assert secret not in output


def test_a_second_run_changes_nothing_and_check_mode_writes_nothing(portal: Portal) -> None:
    pid = portal.pid()
    again = portal.run()
    assert again.recap["changed"] == 0, again.proc.stdout[-4000:]

    before = portal.config_file.read_bytes()
    planned = portal.run("--check", "--diff", "-e", '{"password_portal_help_contact": "another desk"}')
    assert planned.recap["changed"] >= 1  # the settings would change ...
    assert portal.config_file.read_bytes() == before  # ... but were not written
    assert portal.pid() == pid  # and the page was not restarted
    for secret in secrets(portal):
        assert secret not in planned.proc.stdout  # no diff of the settings either


def test_the_control_script_stops_and_starts_the_page(portal: Portal) -> None:
    portal.stop()
    assert not port_open()
    assert portal.ctl("status").returncode == 3
    portal.start()
    with portal.get("/") as response:
        assert response.status == 200
    assert os.path.exists(portal.access_log)
