# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The page's flow (R-40, R-42, R-43): sign in, rules checked as typed and on submit, the change and
its four outcomes told plainly in Vietnamese and English, the session ended after any change."""

from __future__ import annotations

import re
import time
import unicodedata

import pytest
from ansible_collections.danang.mail.plugins.module_utils.password_change import (
    CHANGED,
    INCONSISTENT,
    REFUSED,
    ROLLED_BACK,
    ChangeResult,
)
from ansible_collections.danang.mail.plugins.module_utils.passwords import PROBLEM_MESSAGES
from danang_password_portal.state import SessionStore
from portal_client import ADDRESS, HELP, INITIAL, NEW, change, check, sign_in, token

OUTCOME = re.compile(r'id="result" data-outcome="([a-z_]+)"')


def codes(html: str) -> list[str]:
    return re.findall(r'<li data-code="([a-z_]+)"', html)


def test_the_sign_in_page_is_vietnamese_by_default_and_fits_a_phone(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="vi">' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    for element in (
        'form id="sign-in"',
        'id="address"',
        'id="password"',
        'id="sign-in-submit"',
        'id="lang-en"',
    ):
        assert element in page
    assert "Đăng nhập" in page and "Đổi mật khẩu thư điện tử" in page
    assert page == unicodedata.normalize("NFC", page)


def test_english_by_link_kept_by_cookie_and_back(client):
    english = client.get("/?lang=en")
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert "Sign in" in client.get("/").get_data(as_text=True)  # the cookie
    assert "Đăng nhập" in client.get("/?lang=vi").get_data(as_text=True)
    assert '<html lang="vi">' in client.get("/").get_data(as_text=True)


def test_sign_in_leads_to_the_change_form(client, directory):
    answer = sign_in(client)
    assert answer.status_code == 303 and answer.headers["Location"] == "/change"
    page = client.get("/change").get_data(as_text=True)
    for element in (
        'form id="change"',
        'id="new-password"',
        'id="confirm-password"',
        'ul id="problems"',
        'id="change-submit"',
    ):
        assert element in page
    assert ADDRESS in page
    assert '<script src="/static/portal.js" defer></script>' in page
    assert client.get("/").headers["Location"] == "/change"  # signed in: the form, not the sign-in
    assert directory.sign_ins == [ADDRESS]


def test_the_address_is_trimmed_and_lower_cased(client):
    assert sign_in(client, address=f"  {ADDRESS.upper()} ").status_code == 303


def test_check_lists_the_rules_a_candidate_breaks_with_the_holders_data(client):
    sign_in(client)
    answer = check(client, "dung1985")
    assert answer.status_code == 200
    got = [p["code"] for p in answer.get_json()["problems"]]
    assert got == ["too_short", "no_upper", "no_special", "name", "birth_date"]
    texts = [p["text"] for p in answer.get_json()["problems"]]
    assert texts[3] == "Mật khẩu chứa một từ trong họ tên của bạn (từ 3 chữ cái trở lên) (R-43)."
    assert check(client, NEW).get_json() == {"problems": []}
    assert [p["code"] for p in check(client, NEW, "other").get_json()["problems"]] == ["mismatch"]
    assert [p["code"] for p in check(client, INITIAL).get_json()["problems"]] == ["same"]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_rule_code_has_a_text_with_its_r_id_in_both_languages(client, lang):
    from danang_password_portal.messages import PROBLEMS, TEXTS

    assert set(PROBLEMS[lang]) == set(PROBLEM_MESSAGES) | {"mismatch", "same"}
    assert set(TEXTS[lang]) == set(TEXTS["vi"])
    for code, rule in PROBLEM_MESSAGES.items():
        assert rule[-6:] in PROBLEMS[lang][code], code  # "(R-42)" / "(R-43)"
    for written in (*PROBLEMS[lang].values(), *TEXTS[lang].values()):
        assert written == unicodedata.normalize("NFC", written)
    client.get(f"/?lang={lang}")
    sign_in(client)
    shown = check(client, "12").get_json()["problems"]
    assert all(p["text"] == PROBLEMS[lang][p["code"]] for p in shown)


def test_check_needs_a_signed_in_session(client):
    answer = client.post("/check", json={"password": "x"}, headers={"X-CSRF-Token": token(client)})
    assert answer.status_code == 401


def test_change_checks_the_rules_again_on_submit(client, directory):
    sign_in(client)
    page = change(client, "dung1985").get_data(as_text=True)
    assert codes(page) == ["too_short", "no_upper", "no_special", "name", "birth_date"]
    assert codes(change(client, NEW, "Sông Hàn 2026+cầu!").get_data(as_text=True)) == ["mismatch"]
    assert codes(change(client, NEW, "").get_data(as_text=True)) == ["mismatch"]
    assert directory.changes == []  # nothing asked of the systems
    assert client.get("/change").status_code == 200  # still signed in


def test_a_change_ends_the_session(app, client, directory):
    sign_in(client)
    page = change(client).get_data(as_text=True)
    assert OUTCOME.search(page).group(1) == CHANGED
    assert directory.changes == [(ADDRESS, INITIAL, NEW)]
    assert len(app.extensions["danang_password_portal"].sessions) == 0
    assert client.get("/change").headers["Location"] == "/"
    assert "Phiên làm việc đã hết hạn" in client.get("/").get_data(as_text=True)
    assert (
        client.post("/check", json={"password": "x"}, headers={"X-CSRF-Token": token(client)}).status_code
        == 401
    )
    assert sign_in(client, password=NEW).status_code == 303


OUTCOME_TEXTS = {
    CHANGED: (
        "Mật khẩu đã được đổi trên mọi hệ thống thư",
        "Your password has been changed on every mail system",
    ),
    REFUSED: ("mật khẩu cũ vẫn dùng được", "the old password still works"),
    ROLLED_BACK: ("các thay đổi đã được hoàn lại", "the changes were undone"),
    INCONSISTENT: (f"xin gọi {HELP}", f"please call {HELP}"),
}


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("outcome", [CHANGED, REFUSED, ROLLED_BACK, INCONSISTENT])
def test_every_outcome_is_told_plainly(app, client, directory, outcome, lang):
    directory.outcome = ChangeResult(
        outcome, system=None if outcome == CHANGED else "obm", reason="ldap said no"
    )
    client.get(f"/?lang={lang}")
    sign_in(client)
    page = change(client).get_data(as_text=True)
    assert OUTCOME.search(page).group(1) == outcome
    assert OUTCOME_TEXTS[outcome][0 if lang == "vi" else 1] in page
    assert "ldap said no" not in page  # the reason is for the log
    assert len(app.extensions["danang_password_portal"].sessions) == 0


def test_a_refusal_by_the_rules_lists_them(client, directory):
    directory.outcome = ChangeResult(REFUSED, system="exchange", problems=("name",))
    sign_in(client)
    page = change(client).get_data(as_text=True)
    assert codes(page) == ["name"]


def test_a_change_that_raises_sends_the_person_to_the_help_desk(app, client, directory):
    sign_in(client)
    directory.fail = RuntimeError("pipeline lost")
    page = change(client).get_data(as_text=True)
    assert OUTCOME.search(page).group(1) == INCONSISTENT
    assert HELP in page
    assert len(app.extensions["danang_password_portal"].sessions) == 0


def test_the_session_expires(client, clock):
    sign_in(client)
    clock.now += 599
    assert client.get("/change").status_code == 200
    clock.now += 1
    assert client.get("/change").headers["Location"] == "/"
    assert "Phiên làm việc đã hết hạn" in client.get("/").get_data(as_text=True)


def test_an_expired_session_is_swept_on_an_idle_server(directory, clock):
    store = SessionStore(600, clock, sweep_every=0.01)
    holder = directory.people[ADDRESS][1]
    entry = store.get(store.start(holder, INITIAL))
    assert entry is not None and entry.password == INITIAL
    clock.now += 600  # nothing asks the store again: only its sweeper can drop the password
    for _poll in range(500):
        if entry.password == "":
            break
        time.sleep(0.01)
    assert entry.password == ""


def test_sign_out_ends_the_session(app, client):
    sign_in(client)
    answer = client.post("/sign-out", data={"csrf_token": token(client, "/change")})
    assert answer.status_code == 303
    assert len(app.extensions["danang_password_portal"].sessions) == 0
    assert client.get("/change").headers["Location"] == "/"


def test_pages_carry_no_inline_script(client):
    pages = [client.get("/").get_data(as_text=True)]
    sign_in(client)
    pages.append(client.get("/change").get_data(as_text=True))
    pages.append(change(client).get_data(as_text=True))
    for page in pages:
        assert re.findall(r"<script(?![^>]*\bsrc=)", page) == []
        assert re.findall(r"\son[a-z]+=", page) == []
        assert "style=" not in page
