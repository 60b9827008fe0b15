"""R-51 learning without servers: folder names, and the controller client against a local HTTP server
that answers as Debian's rspamd 3.4 controller answered in the lab: 200 learned, 208 already learned,
204 nothing learned (too little text), 401 wrong password."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from typing import ClassVar

import pytest
from ansible_collections.danang.mail.plugins.module_utils.rspamd_controller import (
    ALREADY_LEARNED,
    LEARNED,
    ControllerError,
    MessageRefused,
    RspamdController,
)
from ansible_collections.danang.mail.plugins.module_utils.spam_learning import folder_names

SECRET = "mat-khau-bo-loc-2026"


def test_folder_names_are_the_shares_folders_in_cyrus_naming() -> None:
    assert folder_names("danang.gov.vn", "confirmed spam", "learned spam") == (
        "chanthurac@danang.gov.vn",
        "chanthurac/confirmed spam@danang.gov.vn",
        "chanthurac/learned spam@danang.gov.vn",
    )


@pytest.mark.parametrize("bad", ["", " spam", "a/b", 'x"y', "thư rác", "INBOX\r\nA1 LOGOUT"])
def test_folder_names_refuse_what_is_not_a_plain_folder(bad: str) -> None:
    with pytest.raises(ValueError, match="confirmed_folder"):
        folder_names("danang.gov.vn", bad, "learned spam")


def test_the_two_folders_must_differ() -> None:
    with pytest.raises(ValueError, match="must differ"):
        folder_names("danang.gov.vn", "spam", "spam")


@pytest.mark.parametrize("url", ["http://10.0.0.5:11334", "http://imap.danang.gov.vn:11334"])
def test_no_password_in_clear_to_another_machine(url: str) -> None:
    with pytest.raises(ControllerError, match="without TLS"):
        RspamdController(url, SECRET)


def test_https_to_another_machine_and_http_to_loopback_are_allowed() -> None:
    RspamdController("https://imap.danang.gov.vn:11334", SECRET)
    RspamdController("http://[::1]:11334", SECRET)


class _Controller(http.server.BaseHTTPRequestHandler):
    """Answers /learnspam by the body's first word, as rspamd would; records the Password header."""

    seen: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Controller.seen.append(self.headers.get("Password", ""))
        if self.headers.get("Password") != SECRET:
            self._answer(401, {"error": "Unauthorized"})
        elif body.startswith(b"again"):
            self._answer(208, {"error": "<x@y> has been already learned as spam, ignore it"})
        elif body.startswith(b"short"):
            self.send_response(204)
            self.end_headers()
        else:
            self._answer(200, {"success": True})

    def _answer(self, status: int, data: dict) -> None:
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def controller_url() -> Iterator[str]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Controller)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_learn_answers(controller_url: str) -> None:
    controller = RspamdController(controller_url, SECRET)
    assert controller.learn_spam(b"spam message") == LEARNED
    assert controller.learn_spam(b"again the same") == ALREADY_LEARNED
    with pytest.raises(MessageRefused, match="learned nothing"):
        controller.learn_spam(b"short")
    assert set(_Controller.seen) == {SECRET}


def test_a_wrong_password_stops_the_run_and_is_never_shown(controller_url: str) -> None:
    wrong = "sai-mat-khau-123"
    with pytest.raises(ControllerError, match="refused the password") as refused:
        RspamdController(controller_url, wrong).learn_spam(b"spam message")
    assert wrong not in str(refused.value)


def test_an_unreachable_controller_is_a_controller_error() -> None:
    with pytest.raises(ControllerError):
        RspamdController("http://127.0.0.1:9", SECRET, timeout=5).learn_spam(b"spam")
