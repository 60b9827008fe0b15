"""Passwords only inside TLS: the IMAP, LDAP and PowerShell clients refuse to
send one in clear to another host, check certificates, and refuse a server that says LOGINDISABLED.

The IMAP tests talk to a small IMAP server of their own on 127.0.0.1 (greeting, CAPABILITY,
STARTTLS with a certificate made here, LOGIN, pipelined commands): it records what reached it, so
a test can prove that no LOGIN was sent. The project's client (CyrusAdmin) is the real one.
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
from pathlib import Path
from typing import Optional

import pytest
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.transport import (
    ExchangeConnection,
    clear_text_refusal,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.ldap import open_connection
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.config import ObmConfig
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.cyrus import CyrusAdmin, CyrusError
from ansible_collections.danang.mail.plugins.module_utils.backends.transport_security import (
    clear_text_allowed,
    is_loopback,
    tls_context,
)
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# Wide fixed validity: the certificates do not depend on the day the tests run.
NOT_BEFORE = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
NOT_AFTER = datetime.datetime(2999, 12, 31, tzinfo=datetime.UTC)
PASSWORD = "Cyrus-admin-secret-1"


# --- the decision ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "host", ["127.0.0.1", "127.0.0.2", "127.255.255.254", "::1", "[::1]", "localhost", "LOCALHOST."]
)
def test_loopback_addresses_may_carry_a_password_in_clear(host: str) -> None:
    assert is_loopback(host) and clear_text_allowed(host)


@pytest.mark.parametrize(
    "host",
    [
        "192.0.2.10",
        "10.0.0.1",
        "0.0.0.0",
        "::",
        "imap.danang.gov.vn",
        "localhost.danang.gov.vn",
        "127.0.0.1.nip.io",
        "",
    ],
)
def test_any_other_host_may_not(host: str) -> None:
    assert not is_loopback(host) and not clear_text_allowed(host)


@pytest.mark.parametrize(
    ("uri", "allowed"),
    [
        ("ldap://127.0.0.1:3389", True),
        ("ldap://[::1]:389", True),
        ("ldapi://%2Frun%2Fslapd%2Fldapi", True),
        ("ldap://ldap.danang.gov.vn", False),
        ("ldap://192.0.2.10:389", False),
        ("192.0.2.10:389", False),
    ],
)
def test_ldap_uris(uri: str, allowed: bool) -> None:
    assert clear_text_allowed(uri) is allowed


def test_the_defaults_are_tls() -> None:
    config = ObmConfig(
        ldap_uri="ldap://x", ldap_bind_dn="cn=a", ldap_bind_password="p", imap_admin_password="p"
    )
    assert (config.imap_tls, config.ldap_starttls, config.validate_certs) == ("starttls", True, True)
    assert CyrusAdmin("imap.danang.gov.vn", 143, "cyrus", PASSWORD).tls == "starttls"


# --- IMAP against a server of the test's own ------------------------------------------------------
def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _certificate(subject: str, key, issuer_name: x509.Name, issuer_key, *, ca: bool) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(path: Path, *items) -> str:
    data = b""
    for item in items:
        if isinstance(item, x509.Certificate):
            data += item.public_bytes(serialization.Encoding.PEM)
        else:
            data += item.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
    path.write_bytes(data)
    return str(path)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A CA, a server certificate for 127.0.0.1 signed by it, and an unrelated CA."""
    where = tmp_path_factory.mktemp("pki")
    ca_key, other_key, server_key = (ec.generate_private_key(ec.SECP256R1()) for _i in range(3))
    ca = _certificate("test CA", ca_key, _name("test CA"), ca_key, ca=True)
    other = _certificate("other CA", other_key, _name("other CA"), other_key, ca=True)
    server = _certificate("localhost", server_key, ca.subject, ca_key, ca=False)
    return {
        "ca": _pem(where / "ca.pem", ca),
        "other_ca": _pem(where / "other.pem", other),
        "server": _pem(where / "server.pem", server, server_key),
    }


class FakeImap(threading.Thread):
    """One connection: CAPABILITY, STARTTLS, LOGIN, LOGOUT, and OK to anything else.

    ``logins`` records, for each LOGIN received, whether TLS was active."""

    def __init__(self, server_pem: Optional[str], *, starttls: bool = True, logindisabled: str = "") -> None:
        super().__init__(daemon=True)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.context: Optional[ssl.SSLContext] = None
        if server_pem:
            self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.context.load_cert_chain(server_pem)
        self.offer_starttls = starttls
        self.logindisabled = logindisabled  # "plain": before TLS, "always": also after
        self.tls = False
        self.logins: list[bool] = []
        self.commands = 0
        self.start()

    def capabilities(self) -> str:
        caps = ["IMAP4rev1"]
        if self.offer_starttls and not self.tls:
            caps.append("STARTTLS")
        if self.logindisabled == "always" or (self.logindisabled == "plain" and not self.tls):
            caps.append("LOGINDISABLED")
        return " ".join(caps)

    def run(self) -> None:
        conn, _addr = self.listener.accept()
        try:
            self.serve(conn)
        except (OSError, ssl.SSLError):
            pass  # a client that refused the certificate hangs up: that is the point of some tests
        finally:
            conn.close()
            self.listener.close()

    def serve(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        conn.sendall(b"* OK fake IMAP ready\r\n")
        while True:
            line = reader.readline()
            if not line:
                return
            tag, _space, rest = line.decode().rstrip("\r\n").partition(" ")
            verb = rest.split(" ", 1)[0].upper()
            self.commands += 1
            if verb == "CAPABILITY":
                conn.sendall(f"* CAPABILITY {self.capabilities()}\r\n{tag} OK done\r\n".encode())
            elif verb == "STARTTLS" and self.context is not None and self.offer_starttls:
                conn.sendall(f"{tag} OK begin TLS\r\n".encode())
                conn = self.context.wrap_socket(conn, server_side=True)
                reader = conn.makefile("rb")
                self.tls = True
            elif verb == "LOGIN":
                self.logins.append(self.tls)
                conn.sendall(f"{tag} OK logged in\r\n".encode())
            elif verb == "LOGOUT":
                conn.sendall(f"* BYE\r\n{tag} OK bye\r\n".encode())
                return
            else:
                conn.sendall(f"{tag} OK done\r\n".encode())


def _admin(server: FakeImap, **options) -> CyrusAdmin:
    return CyrusAdmin("127.0.0.1", server.port, "cyrus", PASSWORD, timeout=10, **options)


def test_imap_starttls_by_default_with_the_certificate_checked_and_pipelining_inside_tls(
    pki: dict[str, str],
) -> None:
    server = FakeImap(pki["server"])
    admin = _admin(server, ca_file=pki["ca"], chunk=250)
    replies = admin.pipeline([f"NOOP {i}" for i in range(1200)])  # several chunks, over TLS
    admin.close()
    server.join(10)
    assert [r.ok for r in replies] == [True] * 1200
    assert server.logins == [True]  # one LOGIN, and only after STARTTLS


def test_imap_wrong_ca_is_refused_before_login(pki: dict[str, str]) -> None:
    server = FakeImap(pki["server"])
    with pytest.raises(CyrusError, match="certificate verify failed"):
        _admin(server, ca_file=pki["other_ca"]).connect()
    server.join(10)
    assert server.logins == []


def test_imap_imaps_checks_the_certificate_too(pki: dict[str, str]) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki["server"])

    def accept() -> None:
        conn, _addr = listener.accept()
        with conn, pytest.raises(ssl.SSLError):
            context.wrap_socket(conn, server_side=True)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    with pytest.raises(CyrusError, match="certificate verify failed"):
        CyrusAdmin(
            "127.0.0.1", port, "cyrus", PASSWORD, tls="imaps", ca_file=pki["other_ca"], timeout=10
        ).connect()
    thread.join(10)
    listener.close()


def test_imap_server_without_starttls_is_refused_not_used_in_clear(pki: dict[str, str]) -> None:
    server = FakeImap(pki["server"], starttls=False)
    with pytest.raises(CyrusError, match="imap_tls=starttls: TLS not supported by server"):
        _admin(server, ca_file=pki["ca"]).connect()
    server.join(10)
    assert server.logins == []


def test_imap_logindisabled_is_refused_without_trying(pki: dict[str, str]) -> None:
    # tls=none is accepted to a loopback address; the server forbids LOGIN there: nothing is sent.
    server = FakeImap(pki["server"], logindisabled="plain")
    with pytest.raises(CyrusError, match="LOGINDISABLED"):
        _admin(server, tls="none").connect()
    server.join(10)
    assert server.logins == []
    # Still announced after STARTTLS (a server that takes no password at all): refused as well.
    server = FakeImap(pki["server"], logindisabled="always")
    with pytest.raises(CyrusError, match="LOGINDISABLED"):
        _admin(server, ca_file=pki["ca"]).connect()
    server.join(10)
    assert server.logins == []


def test_imap_without_tls_is_refused_to_another_host() -> None:
    # Refused before any connection: TEST-NET-1 is never reached (no timeout is waited for).
    admin = CyrusAdmin("192.0.2.10", 143, "cyrus", PASSWORD, tls="none", timeout=30)
    with pytest.raises(CyrusError, match="not a loopback address") as refused:
        admin.connect()
    assert PASSWORD not in str(refused.value)


def test_imap_unknown_tls_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="imap_tls"):
        CyrusAdmin("127.0.0.1", 143, "cyrus", PASSWORD, tls="plain")


# --- LDAP and PowerShell ---------------------------------------------------------------------------
def test_ldap_simple_bind_in_clear_to_another_host_is_refused() -> None:
    with pytest.raises(ConnectionError, match="not a loopback address") as refused:
        open_connection("ldap://192.0.2.10:389", "cn=admin", PASSWORD, starttls=False, timeout=30)
    assert PASSWORD not in str(refused.value)


def test_ldap_starttls_failure_is_an_error_not_a_fallback() -> None:
    # A listener that accepts and closes: STARTTLS cannot succeed, the bind must not happen.
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def accept_and_close() -> None:
        conn, _addr = listener.accept()
        conn.recv(1024)
        conn.close()

    thread = threading.Thread(target=accept_and_close, daemon=True)
    thread.start()
    with pytest.raises(ConnectionError):
        open_connection(f"ldap://127.0.0.1:{port}", "cn=admin", PASSWORD, starttls=True, timeout=5)
    thread.join(10)
    listener.close()


@pytest.mark.parametrize(
    ("options", "refused"),
    [
        ({"auth": "basic", "ssl": False}, True),
        ({"auth": "ntlm", "ssl": False, "encryption": "never"}, True),
        ({"auth": "kerberos", "ssl": False}, False),  # WS-Management message encryption
        ({"auth": "basic", "ssl": True}, False),
        ({"auth": "basic", "ssl": False, "server": "127.0.0.1"}, False),  # the lab
    ],
)
def test_powershell_remoting_never_sends_passwords_in_clear_to_another_host(
    options: dict, refused: bool
) -> None:
    connection = ExchangeConnection(**{"server": "mail.danang.gov.vn", **options})
    assert (clear_text_refusal(connection) is not None) is refused


def test_the_tls_context_checks_names_and_chains_unless_told_not_to() -> None:
    checked = tls_context(None, True)
    assert checked.check_hostname and checked.verify_mode == ssl.CERT_REQUIRED
    lab = tls_context(None, False)
    assert not lab.check_hostname and lab.verify_mode == ssl.CERT_NONE
