"""Notifications (``contract.Notifications``) on both systems, what needs no lab daemon: the envelope
rules, refusals before anything is sent, and Exchange's EWS path end to end against the Exchange lab's
EWS handler served in-process (the same code the lab's server runs). The OBM side against Postfix
and Cyrus, and both systems through ``open_system``, are in tests/integration/test_mail_out.py."""

from __future__ import annotations

import contextlib
import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from ansible_collections.danang.mail.plugins.module_utils.backends.contract import BackendError
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.mail_out import (
    ExchangeMailOut,
    ews_refusal,
    ews_url,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.transport import (
    ExchangeConnection,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.config import ObmConfig
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.mail_out import ObmMailOut
from ansible_collections.danang.mail.plugins.module_utils.backends.outgoing import envelope, wire
from exchange_lab import test_ews_mail
from exchange_lab.test_ews_mail import ADMIN, HTML, OTHER, RECIPIENT, SENDER, SUBJECT, TEXT, account

lab = test_ews_mail.lab  # the fixture: the lab's EWS handler behind a local HTTP server


def composed(to: str, message_id: str, **extra: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Trung tâm Công nghệ thông tin <{SENDER}>"
    message["To"] = to
    message["Subject"] = SUBJECT
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    for name, value in extra.items():
        message[name] = value
    message.set_content(TEXT)
    message.add_alternative(HTML, subtype="html")
    return message


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"To": f"{RECIPIENT}, {OTHER}"}, "exactly one recipient"),
        ({"Cc": OTHER}, "exactly one recipient"),
        ({"From": None}, "no single From"),
        ({"Message-ID": None}, "no Message-ID"),
    ],
    ids=["two-to", "cc", "no-from", "no-message-id"],
)
def test_a_message_the_envelope_cannot_carry_is_refused(change: dict, problem: str) -> None:
    message = composed(RECIPIENT, "<e1@danang.gov.vn>")
    for name, value in change.items():
        del message[name]
        if value is not None:
            message[name] = value
    assert problem in (envelope(message)[2] or "")
    assert envelope(composed(RECIPIENT, "<e1@danang.gov.vn>")) == (SENDER, RECIPIENT, None)


def test_the_wire_form_keeps_every_header_as_composed() -> None:
    long_id = "<9a7b0e28b66e4483a54dccc3c99506dc.danang-mail@t39c065b2.danang.gov.vn>"
    subject = "Kết quả yêu cầu 2026-12-07-stttt-1: đã tạo hộp thư"
    message = composed(RECIPIENT, long_id)
    message.replace_header("Subject", subject)
    raw = wire(message)
    parsed = message_from_bytes(raw, policy=policy.default)
    # Python's own folding would give "…stttt-1:đã" and a Message-ID beginning with a space.
    assert (str(parsed["Subject"]), str(parsed["Message-ID"])) == (subject, long_id)
    headers = raw.split(b"\r\n\r\n", 1)[0]
    assert headers.isascii() and b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_obm_refuses_clear_text_to_another_host_and_fails_the_batch_without_retrying() -> None:
    far = ObmConfig("ldap://x", "cn=x", "pw", "pw", smtp_host="smtp.example.org", smtp_tls="none")
    results = ObmMailOut(far, far.cyrus_admin()).send_messages([composed(RECIPIENT, "<c1@x>")] * 2)
    assert [(r.ok, "loopback" in (r.error or "")) for r in results] == [(False, True)] * 2

    down = ObmConfig("ldap://x", "cn=x", "pw", "pw", smtp_port=_closed_port(), smtp_tls="none", timeout=2)
    bad = composed(RECIPIENT, "<c2@x>")
    del bad["Message-ID"]
    results = ObmMailOut(down, down.cyrus_admin()).send_messages([composed(RECIPIENT, "<c3@x>"), bad])
    assert [(r.address, r.action, r.ok) for r in results] == [(RECIPIENT, "send", False)] * 2
    assert "cannot connect" in results[0].error and "Message-ID" in results[1].error


def _smtp_that_hangs_up_after_the_data() -> int:
    """A server that takes a whole message and closes the connection before its answer."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def serve() -> None:
        with server, server.accept()[0] as conn, conn.makefile("rb") as lines:
            conn.sendall(b"220 lab ESMTP\r\n")
            for raw in lines:
                verb = raw[:4].upper()
                if verb == b"DATA":
                    conn.sendall(b"354 go on\r\n")
                    while next(lines) != b".\r\n":
                        pass
                    return  # the message is whole; the answer never comes
                conn.sendall(b"250 ok\r\n")

    threading.Thread(target=serve, daemon=True).start()
    return server.getsockname()[1]


def test_obm_a_connection_lost_after_the_data_leaves_the_send_in_doubt() -> None:
    """Delivered or not, nobody knows: ``pending``, so that notify asks delivered() before resending;
    a message never handed over is a plain failure."""
    port = _smtp_that_hangs_up_after_the_data()
    config = ObmConfig("ldap://x", "cn=x", "pw", "pw", smtp_port=port, smtp_tls="none", timeout=5)
    [result] = ObmMailOut(config, config.cyrus_admin()).send_messages([composed(RECIPIENT, "<d1@x>")])
    assert not result.ok and result.pending and "delivered or not" in result.error
    down = ObmConfig("ldap://x", "cn=x", "pw", "pw", smtp_port=_closed_port(), smtp_tls="none", timeout=2)
    [result] = ObmMailOut(down, down.cyrus_admin()).send_messages([composed(RECIPIENT, "<d2@x>")])
    assert not result.ok and not result.pending


@pytest.mark.parametrize("recipient", ["an.nv*@danang.gov.vn", "%@danang.gov.vn", "an nv@danang.gov.vn", "x"])
def test_obm_delivered_refuses_what_is_not_a_mailbox_address(recipient: str) -> None:
    config = ObmConfig("ldap://x", "cn=x", "pw", "pw")
    with pytest.raises(BackendError, match="not an address"):
        ObmMailOut(config, config.cyrus_admin()).delivered(recipient, "<d@x>")


def connection(url_host: str = "127.0.0.1", **fields: object) -> ExchangeConnection:
    values = {"server": url_host, "username": ADMIN, "password": "admin-pw", "auth": "basic", **fields}
    return ExchangeConnection(**values)


def test_the_ews_endpoint_and_what_is_refused_before_connecting() -> None:
    assert (
        ews_url(connection("mail.danang.gov.vn", ssl=True)) == "https://mail.danang.gov.vn/EWS/Exchange.asmx"
    )
    assert ews_url(connection(port=15985)) == "http://127.0.0.1:15985/EWS/Exchange.asmx"
    assert ews_refusal(connection(), "http://127.0.0.1:1/EWS/Exchange.asmx") is None
    assert "in clear" in ews_refusal(
        connection("mail.danang.gov.vn"), "http://mail.danang.gov.vn/EWS/Exchange.asmx"
    )
    assert "credssp" in ews_refusal(
        connection(auth="credssp"), "https://mail.danang.gov.vn/EWS/Exchange.asmx"
    )
    far = ExchangeMailOut(connection("mail.danang.gov.vn"))
    [result] = far.send_messages([composed(RECIPIENT, "<f1@x>")])
    assert (result.ok, "in clear" in result.error) == (False, True)
    with pytest.raises(BackendError, match="in clear"):
        far.delivered(RECIPIENT, "<f1@x>")


def test_exchange_sends_each_message_and_finds_it_by_its_id(lab) -> None:
    out = ExchangeMailOut(connection(), lab.url)
    messages = [composed(RECIPIENT, "<x1@danang.gov.vn>"), composed("nobody", "<x2@danang.gov.vn>"),
                composed(OTHER, "<x3@danang.gov.vn>")]  # fmt: skip
    results = out.send_messages(messages, batch_size=2)
    assert [(r.address, r.ok) for r in results] == [(RECIPIENT, True), ("nobody", False), (OTHER, True)]
    assert "ErrorInvalidRecipients" in results[1].error

    assert out.delivered(RECIPIENT, "<x1@danang.gov.vn>") is True
    assert out.delivered(RECIPIENT, "<x3@danang.gov.vn>") is False  # someone else's
    assert out.delivered(OTHER, "<x3@danang.gov.vn>") is True
    assert out.delivered("nobody.here@danang.gov.vn", "<x1@danang.gov.vn>") is False  # no mailbox
    [item] = account(lab, RECIPIENT).inbox.filter(message_id="<x1@danang.gov.vn>")
    # Sent with CRLF line ends, as on the wire; the text is otherwise the same.
    assert (item.subject, item.text_body.replace("\r\n", "\n"), item.body.replace("\r\n", "\n")) == (
        SUBJECT,
        TEXT,
        HTML,
    )
    sent = [i.content.internet_message_id for i in lab.items.find(SENDER, "sentitems")]
    assert sorted(sent) == ["<x1@danang.gov.vn>", "<x3@danang.gov.vn>"]
    out.close()


def _http_that_hangs_up() -> str:
    """An EWS URL whose server reads each request and closes without an answer."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)

    def serve() -> None:
        with server:
            while True:
                conn = server.accept()[0]
                with conn:
                    conn.settimeout(2)
                    with contextlib.suppress(OSError):
                        conn.recv(1 << 20)

    threading.Thread(target=serve, daemon=True).start()
    return f"http://127.0.0.1:{server.getsockname()[1]}/EWS/Exchange.asmx"


def test_exchange_a_connection_lost_mid_call_leaves_the_send_in_doubt() -> None:
    out = ExchangeMailOut(connection(timeout=5), _http_that_hangs_up())
    [result] = out.send_messages([composed(RECIPIENT, "<d3@x>")])
    assert not result.ok and result.pending and "sent or not" in result.error
