"""The client's default path, Kerberos with WinRM message encryption, against the Exchange lab's
MIT KDC (role exchange_lab, tasks/kerberos.yml) and its keytab-backed acceptor (lab/exchange_lab/auth.py).

Sources: [MS-WSMV] 2.2.9.1 "Encrypted Message Types" (multipart/encrypted,
application/HTTP-SPNEGO-session-encrypted; https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-wsmv/58421aa4-861a-4410-831a-c999f094cdb7),
and what pypsrp sends (jborean93/pypsrp: src/pypsrp/encryption.py, src/pypsrp/negotiate.py).
The client gets its ticket from the password it is given (pyspnego's kinit into a memory cache);
KRB5_CONFIG names the lab realm's settings. Kerberos compares times with the real clock: the KDC
and the lab server are not under the tests' clock (DANANG_TEST_NOW pins only the test process).
"""

from __future__ import annotations

import os
import subprocess

import pytest

pytest.importorskip("pypsrp")
pytest.importorskip("gssapi")

from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import (
    Invocation,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.transport import (
    ExchangeConnection,
    ExchangeError,
    ExchangeTransport,
)

pytestmark = pytest.mark.integration

ACCEPTED_DOMAINS = Invocation.of("Get-AcceptedDomain", {})


@pytest.fixture
def krb5(exchange_lab, monkeypatch: pytest.MonkeyPatch):
    """The lab realm's client settings and a ticket cache of this test's own (never the machine's)."""
    monkeypatch.setenv("KRB5_CONFIG", str(exchange_lab.krb5_conf))
    monkeypatch.setenv("KRB5CCNAME", "MEMORY:danang-kerberos-test")
    return exchange_lab


def kerberos(lab, **extra) -> ExchangeConnection:
    """The client's defaults (auth kerberos, encryption auto) with the service account's principal."""
    return ExchangeConnection(
        **{
            "server": lab.host,
            "port": lab.port,
            "path": lab.path,
            "username": f"administrator@{lab.realm}",
            "password": lab.admin_password,
            "timeout": 30,
            "retries": 0,
            **extra,
        }
    )


@pytest.mark.parametrize("auth", ["kerberos", "negotiate"])
def test_kerberos_with_message_encryption_over_plain_http(krb5, auth: str) -> None:
    """Over HTTP pypsrp seals every message (encryption auto): the lab must unwrap the request and
    wrap its answer with the connection's Kerberos context, or the session cannot even open."""
    transport = ExchangeTransport(kerberos(krb5, auth=auth))
    try:
        domains = transport.query(ACCEPTED_DOMAINS)
        assert krb5.domain in [str(d.get("DomainName")) for d in domains]
        assert transport.query(ACCEPTED_DOMAINS)  # the same connection's context, no new ticket exchange
    finally:
        transport.close()


@pytest.mark.parametrize("encryption", ["auto", "always"])
def test_kerberos_over_https_with_the_lab_ca(krb5, encryption: str) -> None:
    """HTTPS checked against the lab's CA: TLS protects the messages (auto), or message encryption
    inside TLS as well (always)."""
    transport = ExchangeTransport(
        kerberos(
            krb5,
            port=krb5.https_port,
            ssl=True,
            ca_file=str(krb5.lab_dir / "tls" / "ca.crt"),
            encryption=encryption,
        )
    )
    try:
        assert transport.query(ACCEPTED_DOMAINS)
    finally:
        transport.close()


def test_a_wrong_password_gets_no_ticket_and_the_error_holds_no_secret(krb5) -> None:
    wrong = "Wr0ng-Passw0rd-" + krb5.unique()
    transport = ExchangeTransport(kerberos(krb5, password=wrong))
    with pytest.raises(ExchangeError) as refused:
        transport.query(ACCEPTED_DOMAINS)
    assert wrong not in str(refused.value) and krb5.admin_password not in str(refused.value)
    assert "cannot open the remote PowerShell session" in str(refused.value)


def test_a_ticket_for_a_service_the_lab_has_no_key_for_is_refused(krb5) -> None:
    """A valid ticket from the lab KDC, but for a service principal that is not in the server's
    keytab (another server's): the acceptor cannot decrypt it and answers 401, as IIS does."""
    from pypsrp.exceptions import AuthenticationError
    from pypsrp.wsman import WSMan

    other = "exlab02.danang.gov.vn"
    subprocess.run(
        ["kadmin.local", "-r", krb5.realm, "-q", f"addprinc -randkey host/{other}"],
        env={**os.environ, "KRB5_KDC_PROFILE": str(krb5.lab_dir / "kdc" / "kdc.conf")},
        capture_output=True,
        check=True,
        timeout=30,
    )
    wsman = WSMan(
        krb5.host,
        port=krb5.port,
        path=krb5.path,
        ssl=False,
        auth="kerberos",
        username=f"administrator@{krb5.realm}",
        password=krb5.admin_password,
        negotiate_hostname_override=other,
    )
    with pytest.raises(AuthenticationError):
        wsman.transport.send(b"<x/>")


def test_kerberos_with_the_ticket_of_a_cache_and_no_password(krb5, tmp_path, monkeypatch) -> None:
    """No exchange_username/exchange_password: the ticket already in the cache (KRB5CCNAME), as
    ``kinit`` (or ``kinit -k -t <keytab>``) left it on the control node."""
    cache = tmp_path / "ccache"
    monkeypatch.setenv("KRB5CCNAME", f"FILE:{cache}")
    subprocess.run(
        ["kinit", f"administrator@{krb5.realm}"],
        input=krb5.admin_password + "\n",
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    transport = ExchangeTransport(kerberos(krb5, username=None, password=None))
    try:
        assert transport.query(ACCEPTED_DOMAINS)
    finally:
        transport.close()
