# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The page's defences: CSRF on every POST, cookie flags, security headers on every response (errors
included), one generic answer for every failed sign-in, rate limits with Retry-After, no password in
any log."""

from __future__ import annotations

import logging
import queue
import re
import threading

import pytest
from danang_password_portal.logs import configure_logging
from danang_password_portal.web import SECURITY_HEADERS
from portal_client import ADDRESS, INITIAL, NEW, change, check, sign_in, token

CSRF_PAGE = "Biểu mẫu đã cũ"
GENERIC = "Địa chỉ thư hoặc mật khẩu không đúng"


def without_token(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]+"', "", html)


def test_every_post_needs_the_csrf_token(client, directory):
    for path in ("/sign-in", "/change", "/sign-out"):
        answer = client.post(path, data={"address": ADDRESS, "password": INITIAL})
        assert answer.status_code == 400 and CSRF_PAGE in answer.get_data(as_text=True), path
    token(client)  # a session with a token, and a wrong one sent
    answer = client.post("/sign-in", data={"address": ADDRESS, "password": INITIAL, "csrf_token": "forged"})
    assert answer.status_code == 400
    assert client.post("/check", json={"password": "x"}).status_code == 400
    assert directory.sign_ins == []


def test_a_token_from_another_session_is_refused(app, directory):
    theirs = app.test_client()
    stolen = token(theirs)
    mine = app.test_client()
    token(mine)
    answer = mine.post("/sign-in", data={"address": ADDRESS, "password": INITIAL, "csrf_token": stolen})
    assert answer.status_code == 400
    assert directory.sign_ins == []


def test_a_sign_in_starts_a_new_session_and_token(client):
    before = token(client)
    sign_in(client)
    assert token(client, "/change") != before


def test_cookies_are_secure_httponly_and_strict(client):
    cookies = client.get("/?lang=en").headers.getlist("Set-Cookie")
    assert len(cookies) == 2  # the session (CSRF token) and the language
    for cookie in cookies:
        assert "; Secure" in cookie and "; HttpOnly" in cookie and "SameSite=Strict" in cookie
    cookie = sign_in(client).headers["Set-Cookie"]
    assert cookie.startswith("danang_portal=") and "; Secure" in cookie and "SameSite=Strict" in cookie


def test_security_headers_on_every_response(client, directory, clock):
    answers = [client.get("/"), client.get("/static/portal.js"), client.get("/static/portal.css")]
    answers.append(client.get("/favicon.ico"))
    answers += [client.get("/nowhere"), client.get("/sign-in"), client.post("/sign-in")]  # 404, 405, 400
    answers.append(
        client.post("/check", json={"password": "x"}, headers={"X-CSRF-Token": token(client)})
    )  # 401
    for _attempt in range(4):
        answers.append(sign_in(client, password="wrong"))
    assert answers[-1].status_code == 429
    sign_in(client, remote="10.9.9.9")  # a limit is per address: this one is still limited
    clock.now += 901
    answers.append(sign_in(client))
    answers.append(client.get("/change"))
    answers.append(check(client, "abc"))
    directory.birth_dates = None  # a bug in the service: the rule check raises
    answers.append(check(client, "abc"))
    assert answers[-1].status_code == 500
    assert {a.status_code for a in answers} >= {200, 204, 303, 400, 401, 404, 405, 429, 500}
    for answer in answers:
        for name, value in SECURITY_HEADERS.items():
            assert answer.headers.get(name) == value, (answer.request.path, answer.status_code, name)
        assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
        assert answer.headers["Cache-Control"] == "no-store"


def test_one_generic_answer_for_a_wrong_address_and_a_wrong_password(app, directory):
    unknown, wrong = app.test_client(), app.test_client()
    first = sign_in(unknown, address="nobody@danang.gov.vn")
    second = sign_in(wrong, password="Wrong-password-1")
    assert first.status_code == second.status_code == 200
    assert without_token(first.get_data(as_text=True)) == without_token(second.get_data(as_text=True))
    assert GENERIC in first.get_data(as_text=True) and 'id="error"' in first.get_data(as_text=True)
    directory.fail = OSError("ldap server down")  # a directory down: the same answer
    third = sign_in(app.test_client())
    assert without_token(third.get_data(as_text=True)) == without_token(first.get_data(as_text=True))


def test_failed_sign_ins_are_limited_per_address_below_the_directorys_lockout(client, directory, clock):
    for number in range(3):
        assert sign_in(client, password="wrong", remote=f"10.0.1.{number}").status_code == 200
    asked = len(directory.sign_ins)
    limited = sign_in(client, remote="10.0.2.1")  # the right password, from elsewhere
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "900"
    assert GENERIC in limited.get_data(as_text=True)
    assert len(directory.sign_ins) == asked  # the directory is not asked: no bind counts toward ppolicy
    clock.now += 600
    assert sign_in(client).headers["Retry-After"] == "300"
    clock.now += 300
    assert sign_in(client).status_code == 303


def test_concurrent_guesses_cannot_pass_the_address_limit(app, directory):
    directory.gate = threading.Event()
    answers: queue.Queue = queue.Queue()
    clients = [app.test_client() for _number in range(6)]
    tokens = [token(c) for c in clients]

    def guess(number: int) -> None:
        form = {"address": ADDRESS, "password": f"guess-{number}", "csrf_token": tokens[number]}
        answers.put(clients[number].post("/sign-in", data=form).status_code)

    threads = [threading.Thread(target=guess, args=(number,)) for number in range(6)]
    for thread in threads:
        thread.start()
    limited = [answers.get(timeout=30) for _number in range(3)]  # three are held in sign_in
    assert limited == [429, 429, 429]
    assert len(directory.sign_ins) == 3
    directory.gate.set()
    for thread in threads:
        thread.join(30)
    assert sorted(answers.get_nowait() for _number in range(3)) == [200, 200, 200]


def test_a_successful_sign_in_is_no_failure(app):
    for _attempt in range(10):  # more than both limits, from one client
        assert sign_in(app.test_client()).status_code == 303


def test_failed_sign_ins_are_limited_per_client(client, directory):
    for number in range(5):
        assert sign_in(client, address=f"guess{number}@danang.gov.vn", password="x").status_code == 200
    limited = sign_in(client)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert sign_in(client, remote="10.0.0.2").status_code == 303  # another client is not limited


def test_check_is_limited_per_client(client):
    sign_in(client)
    for _attempt in range(20):
        assert check(client, "abc").status_code == 200
    limited = check(client, "abc")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "900"


def test_changes_are_limited_per_address(client, directory, clock):
    for _attempt in range(2):
        sign_in(client)
        change(client)
        directory.people[ADDRESS] = (INITIAL, directory.people[ADDRESS][1])
    sign_in(client)
    limited = change(client)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "900"
    assert len(directory.changes) == 2
    assert client.get("/change").status_code == 200  # no change was made: still signed in


def test_no_password_in_any_log(app, client, directory, caplog, capsys):
    configure_logging()
    caplog.set_level(logging.DEBUG)
    try:
        app.logger.setLevel(logging.DEBUG)
        sign_in(client, password="Wrong-Guess-77")
        sign_in(client, address="Typed-Into-Address-9")  # a password typed into the address field
        sign_in(client)
        check(client, "Candidate-Typed-1")
        change(client, "weak-candidate")  # refused by the rules
        change(client, NEW, "Confirm-Differs-3")
        directory.fail = RuntimeError(f"backend quoted {NEW} and {INITIAL}")
        change(client)
        directory.fail = None
        sign_in(client, password=NEW)
        directory.fail = ValueError("bind failed for Another-Secret-5")
        sign_in(client, password="Another-Secret-5")
    finally:
        logging.getLogger("danang_password_portal").handlers.clear()
        logging.getLogger("danang_password_portal").propagate = True
    logged = capsys.readouterr().err + caplog.text
    assert "change for dung.nguyenvan@danang.gov.vn failed: RuntimeError" in logged
    assert "<not an address>" in logged
    for secret in (
        INITIAL,
        NEW,
        "Wrong-Guess-77",
        "Typed-Into-Address-9",
        "Candidate-Typed-1",
        "weak-candidate",
        "Confirm-Differs-3",
        "Another-Secret-5",
    ):
        assert secret not in logged


@pytest.mark.parametrize(
    "body", [{"password": 5}, {"password": "x" * 257}, ["x"], {"password": "x", "confirm": 3}]
)
def test_check_refuses_malformed_bodies(client, body):
    sign_in(client)
    answer = client.post("/check", json=body, headers={"X-CSRF-Token": token(client, "/change")})
    assert answer.status_code == 400


def test_gunicorns_access_log_holds_no_query_header_or_body():
    from danang_password_portal import gunicorn_conf
    from danang_password_portal.logs import ACCESS_LOG_FORMAT

    atoms = set(re.findall(r"%\(([^)]+)\)s", ACCESS_LOG_FORMAT))
    # client, time, method, path without query, status, size, duration
    assert atoms == {"h", "t", "m", "U", "s", "B", "M"}
    assert gunicorn_conf.access_log_format == ACCESS_LOG_FORMAT
    assert gunicorn_conf.workers == 1  # the sessions and limits live in one process's memory
    assert gunicorn_conf.control_socket_disable  # nothing may add a worker at run time
