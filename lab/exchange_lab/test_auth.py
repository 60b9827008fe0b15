"""WinRM message encryption as the lab server reads and writes it (auth.py), against pypsrp's own
framing (jborean93/pypsrp: src/pypsrp/encryption.py) and [MS-WSMV] 2.2.9.1 "Encrypted Message Types"
(https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-wsmv/58421aa4-861a-4410-831a-c999f094cdb7)
and 2.2.9.1.1.2.2 "Encrypted Data" (.../ms-wsmv/3fc54d8b-b087-486e-9f50-8253e9e30b43).

No KDC here: the security context is NTLM inside Negotiate (pyspnego accepts it from NTLM_USER_FILE),
which seals messages the same way; tests/integration/test_exchange_kerberos.py does it with Kerberos.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

spnego = pytest.importorskip("spnego")
encryption = pytest.importorskip("pypsrp.encryption")

from exchange_lab import auth  # noqa: E402

PASSWORD = "Lab-Passw0rd-for-NTLM"
SPNEGO = encryption.WinRMEncryption.SPNEGO
CONTENT_TYPE = f'multipart/encrypted;protocol="{SPNEGO}";boundary="{auth.BOUNDARY}"'


@pytest.fixture
def pair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """(the server's connection, pypsrp's encryption helper) sharing one completed context."""
    users = tmp_path / "ntlm-users"
    users.write_text(f"DANANG:administrator:{PASSWORD}\n", encoding="utf-8")
    monkeypatch.setenv("NTLM_USER_FILE", str(users))
    client = spnego.client(
        "DANANG\\administrator",
        PASSWORD,
        hostname="127.0.0.1",
        service="host",
        protocol="negotiate",
        options=spnego.NegotiateOptions.use_ntlm,
    )
    connection = auth.Connection()
    token = client.step()
    while token:
        assert connection.step("Negotiate " + base64.b64encode(token).decode("ascii"))
        answer = connection.reply.pop("WWW-Authenticate", None)
        token = client.step(base64.b64decode(answer.split(" ", 1)[1])) if answer else None
    assert client.complete and connection.context.complete
    return connection, encryption.WinRMEncryption(client, SPNEGO)


def test_a_sealed_request_opens_and_the_sealed_answer_opens_in_pypsrp(pair) -> None:
    connection, client = pair
    message = "<s:Envelope>Đà Nẵng</s:Envelope>".encode()
    content_type, body = client.wrap_message(message)
    assert content_type == "multipart/encrypted" and message not in body
    assert connection.unwrap(CONTENT_TYPE, body) == message

    content_type, body = connection.wrap(b"<s:Envelope>answer</s:Envelope>")
    assert content_type == CONTENT_TYPE and b"answer" not in body
    assert client.unwrap_message(body, auth.BOUNDARY) == b"<s:Envelope>answer</s:Envelope>"


def test_a_tampered_message_is_refused(pair) -> None:
    connection, client = pair
    _, body = client.wrap_message(b"<s:Envelope>Set-Mailbox</s:Envelope>")
    tampered = body[:-30] + bytes([body[-30] ^ 1]) + body[-29:]
    with pytest.raises(auth.AuthRefused):
        connection.unwrap(CONTENT_TYPE, tampered)


def test_sealed_messages_need_the_protocol_of_the_context_and_a_completed_one(pair) -> None:
    connection, client = pair
    _, body = client.wrap_message(b"<s:Envelope/>")
    kerberos = CONTENT_TYPE.replace(SPNEGO, auth.PROTOCOLS["kerberos"])
    with pytest.raises(auth.AuthRefused, match="unexpected encryption protocol"):
        connection.unwrap(kerberos, body)
    with pytest.raises(auth.AuthRefused, match="has not authenticated"):
        auth.Connection().unwrap(CONTENT_TYPE, body)


def test_a_token_that_is_not_one_is_refused_and_basic_is_left_to_basic() -> None:
    connection = auth.Connection()
    with pytest.raises(auth.AuthRefused):
        connection.step("Negotiate " + base64.b64encode(b"not a token").decode("ascii"))
    assert connection.context is None and connection.user is None
    assert connection.step("Basic YWRtaW46eA==") is False
