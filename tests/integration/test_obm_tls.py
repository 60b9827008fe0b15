"""The OBM lab serves TLS with its own CA, and the project's clients use it.

slapd, Cyrus and Postfix answer STARTTLS with the certificate the role made under <lab>/tls; the
backend's IMAP and LDAP clients connect through it with the certificate checked, refuse a
certificate from another CA, and the playbooks take the CA from the inventory.
"""

from __future__ import annotations

import smtplib
import ssl
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from ansible_collections.danang.mail.plugins.module_utils.backends.ldap import open_connection
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.cyrus import CyrusAdmin, CyrusError

if TYPE_CHECKING:
    from conftest import ObmLab

from conftest import run_lab_playbook

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A CA that did not sign the lab's certificate."""
    where = tmp_path_factory.mktemp("other-ca")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-noenc", "-subj", "/CN=not the lab CA",
         "-keyout", str(where / "ca.key"), "-out", str(where / "ca.crt"), "-days", "30"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return str(where / "ca.crt")


def cyrus(lab: ObmLab, ca_file: str) -> CyrusAdmin:
    return CyrusAdmin(lab.imap_host, lab.imap_port, lab.imap_admin, lab.imap_admin_password, ca_file=ca_file)


def test_lab_imap_and_ldap_are_reached_over_starttls_checked_by_the_lab_ca(obm_lab: ObmLab) -> None:
    admin = cyrus(obm_lab, obm_lab.ca_file)  # imap_tls defaults to starttls
    admin.connect()
    try:
        assert isinstance(admin._imap.sock, ssl.SSLSocket)
        assert admin.list_mailboxes(f"user/%@{obm_lab.domain}") is not None
    finally:
        admin.close()
    conn = open_connection(
        f"ldap://{obm_lab.ldap_host}:{obm_lab.ldap_port}",
        obm_lab.admin_dn,
        obm_lab.admin_password,
        starttls=True,
        ca_file=obm_lab.ca_file,
    )
    assert conn.tls_started and conn.bound
    conn.unbind()


def test_lab_postfix_offers_starttls_with_the_lab_certificate(obm_lab: ObmLab) -> None:
    context = ssl.create_default_context(cafile=obm_lab.ca_file)
    with smtplib.SMTP(obm_lab.smtp_host, obm_lab.smtp_port, timeout=10) as smtp:
        smtp.starttls(context=context)
        assert smtp.ehlo()[0] == 250


def test_a_certificate_from_another_ca_is_refused(obm_lab: ObmLab, other_ca: str) -> None:
    with pytest.raises(CyrusError, match="certificate verify failed"):
        cyrus(obm_lab, other_ca).connect()
    with pytest.raises(ConnectionError, match="certificate verify failed"):
        open_connection(
            f"ldap://{obm_lab.ldap_host}:{obm_lab.ldap_port}",
            obm_lab.admin_dn,
            obm_lab.admin_password,
            starttls=True,
            ca_file=other_ca,
        )


def test_site_playbook_takes_the_ca_from_the_inventory(
    obm_lab: ObmLab, other_ca: str, tmp_path: Path
) -> None:
    # Check mode, with the inventory's CA replaced by another one: the OBM reconcile must fail on
    # the certificate, which shows the playbook's TLS settings reach the module.
    vault = tmp_path / "vault-password"
    vault.write_text("lab-only\n", encoding="utf-8")
    with pytest.raises(pytest.fail.Exception, match="certificate verify failed"):
        run_lab_playbook(
            "site.yml", "--check", "-e", f"obm_tls_ca_file={other_ca}", "--vault-password-file", str(vault)
        )
