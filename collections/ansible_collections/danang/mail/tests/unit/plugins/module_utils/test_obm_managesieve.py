# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ManageSieve client reads RFC 5804 answers: quoted strings, literals, response codes, and sends
scripts as literals. The answers are those of Cyrus timsieved 3.6 (captured in the lab)."""

from __future__ import annotations

import socket

import pytest
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.managesieve import (
    ManageSieve,
    SieveProtocolError,
    SieveRefused,
    sieve_string,
)


def connected(answers: bytes) -> tuple[ManageSieve, socket.socket]:
    client, server = socket.socketpair()
    server.sendall(answers)
    session = ManageSieve("127.0.0.1", 4190, "cyrus", "secret", timeout=5)
    session._sock = client
    return session, server


def test_listscripts_getscript_with_a_literal() -> None:
    script = 'require ["copy"];\r\nredirect :copy "a@danang.gov.vn";\r\n'
    answers = (
        b'"nomade" ACTIVE\r\n"old"\r\nOK\r\n'
        + b"{%d}\r\n" % len(script.encode())
        + script.encode()
        + b'\r\nOK "Completed"\r\n'
    )
    session, server = connected(answers)
    assert session.list_scripts() == {"nomade": True, "old": False}
    assert session.get_script("nomade") == script
    sent = server.recv(65536)
    assert sent == b'LISTSCRIPTS\r\nGETSCRIPT "nomade"\r\n'


def test_no_with_a_response_code_is_a_refusal() -> None:
    session, _server = connected(b'NO (NONEXISTENT) "Script does not exist"\r\n')
    with pytest.raises(SieveRefused, match="Script does not exist"):
        session.get_script("gone")
    session, _server = connected(b'NO (QUOTA/MAXSCRIPTS) "Too many scripts"\r\n')
    reply = session.put_script("x", "keep;")
    assert (reply.ok, reply.code, reply.text) == (False, "(QUOTA/MAXSCRIPTS)", "Too many scripts")


def test_scripts_go_as_literals_and_names_as_quoted_strings() -> None:
    assert sieve_string("nomade") == b'"nomade"'
    assert sieve_string('a "b"\r\n') == b'{7+}\r\na "b"\r\n'


def test_a_closed_connection_is_an_error_not_a_hang() -> None:
    session, server = connected(b'"nomade" ACTIVE\r\n')
    server.close()
    with pytest.raises(SieveProtocolError, match=r"closed|connection lost"):
        session.list_scripts()


def test_no_password_in_clear_to_another_host() -> None:
    session = ManageSieve("mail.danang.gov.vn", 4190, "cyrus", "secret", tls=False)
    with pytest.raises(SieveProtocolError, match="without TLS"):
        session.login("annv@danang.gov.vn")
