# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The self-service password page (R-40, R-42, R-43): sign in with the current or initial password,
choose a new one checked against the rules as it is typed, have it set on every mail system.

GET / -> POST /sign-in -> GET /change -> POST /check (JSON, as you type) -> POST /change -> the
outcome; the session ends with the change, whatever its outcome. ``service`` does the work
(``password_change.PasswordService``); this module holds the flow, the limits and the texts.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.password_change import (
    CHANGED,
    INCONSISTENT,
    REFUSED,
    ROLLED_BACK,
    ChangeResult,
    Holder,
    PasswordService,
)
from flask import Flask, Response, g, redirect, request, session

from . import web
from .messages import PROBLEMS, problem
from .settings import Settings
from .state import Clock, SessionStore, SignedIn, SlidingWindow

LOG = logging.getLogger("danang_password_portal")
MAX_ADDRESS = 254
MAX_PASSWORD = 256  # longer is refused before any directory is asked
OUTCOMES = (CHANGED, REFUSED, ROLLED_BACK, INCONSISTENT)
_LOGGABLE_ADDRESS = re.compile(r"^[a-z0-9._+-]{1,64}@[a-z0-9.-]{1,189}$")


@dataclass
class Portal:
    """The process's state, reachable as ``app.extensions["danang_password_portal"]``."""

    settings: Settings
    service: PasswordService
    sessions: SessionStore
    address_failures: SlidingWindow
    client_failures: SlidingWindow
    checks: SlidingWindow
    changes: SlidingWindow


def _shown_address(address: str) -> str:
    """The address for a log line, or a placeholder: people type their password into the wrong field."""
    return address if _LOGGABLE_ADDRESS.match(address) else "<not an address>"


def _client() -> str:
    return request.remote_addr or "-"


def _too_many(response: Response, retry_after: int) -> Response:
    response.status_code = 429
    response.headers["Retry-After"] = str(retry_after)
    return response


def create_app(
    settings: Settings,
    service: PasswordService,
    *,
    clock: Clock = time.monotonic,
    sweep_every: Optional[float] = None,
) -> Flask:
    """The WSGI application. ``clock``: monotonic seconds, for session expiry and the rate limits;
    ``sweep_every``: seconds between two looks for expired sessions (``state.SessionStore``)."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_NAME="danang_portal",
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        MAX_CONTENT_LENGTH=16 * 1024,
        MAX_FORM_PARTS=20,
    )
    window = settings.window_seconds
    portal = Portal(
        settings,
        service,
        SessionStore(settings.session_seconds, clock, sweep_every),
        SlidingWindow(settings.address_failures, window, clock),
        SlidingWindow(settings.client_failures, window, clock),
        SlidingWindow(settings.check_requests, window, clock),
        SlidingWindow(settings.change_attempts, window, clock),
    )
    app.extensions["danang_password_portal"] = portal

    @app.before_request
    def _settings() -> None:
        g.settings = settings

    web.install(app)

    def signed_in() -> Optional[SignedIn]:
        return portal.sessions.get(session.get("sid"))

    def end_session() -> None:
        portal.sessions.end(session.get("sid"))
        session.clear()

    def expired() -> Response:
        session.pop("sid", None)
        session["notice"] = "expired"
        return redirect("/", 303)

    def sign_in_page(status: int = 200, error: bool = False, notice: str = "") -> Response:
        return web.page("sign_in.html", status, error=error, notice=notice)

    def change_page(entry: SignedIn, problems: list[str], status: int = 200, notice: str = "") -> Response:
        return web.page("change.html", status, address=entry.holder.address, problems=problems, notice=notice)

    def candidate_problems(entry: SignedIn, new: str, confirm: Optional[str]) -> list[str]:
        codes = [code for code in portal.service.problems(entry.holder, new) if code in PROBLEMS["en"]]
        if new and new == entry.password:
            codes.append("same")
        if confirm is not None and confirm != new:
            codes.append("mismatch")
        return codes

    @app.get("/")
    def index() -> Response:
        if signed_in() is not None:
            return redirect("/change", 303)
        return sign_in_page(notice=session.pop("notice", ""))

    @app.post("/sign-in")
    def sign_in() -> Response:
        address = request.form.get("address", "").strip().lower()
        password = request.form.get("password", "")
        client = _client()
        # Every attempt counts as a failure until it succeeds: concurrent guesses cannot pass the limit
        # (the directory's own lockout, ppolicy's 10, stays out of a stranger's reach).
        wait = portal.address_failures.hit(address)
        if not wait:
            wait = portal.client_failures.hit(client)
            if wait:
                portal.address_failures.refund(address)
        if wait:
            LOG.warning("sign-in limited for %s from %s (%d s)", _shown_address(address), client, wait)
            return _too_many(sign_in_page(error=True), wait)
        holder: Optional[Holder] = None
        if 0 < len(address) <= MAX_ADDRESS and 0 < len(password) <= MAX_PASSWORD:
            try:
                holder = portal.service.sign_in(address, password)
            except Exception as error:  # a directory down: the same answer, not counted as a guess
                web.log_exception(f"sign-in of {_shown_address(address)} failed", error)
                portal.address_failures.refund(address)
                portal.client_failures.refund(client)
                return sign_in_page(error=True)
        if holder is None:
            LOG.info("sign-in refused for %s from %s", _shown_address(address), client)
            return sign_in_page(error=True)
        portal.address_failures.refund(address)
        portal.client_failures.refund(client)
        end_session()  # a new session id at every sign-in
        session["sid"] = portal.sessions.start(holder, password)
        LOG.info("signed in: %s from %s (systems %s)", holder.address, client, ",".join(holder.systems))
        return redirect("/change", 303)

    @app.get("/change")
    def change_form() -> Response:
        entry = signed_in()
        if entry is None:
            return expired()
        return change_page(entry, [])

    @app.post("/check")
    def check() -> Any:
        entry = signed_in()
        if entry is None:
            return {"signed_in": False}, 401
        wait = portal.checks.hit(_client())
        if wait:
            return {"error": "too_many"}, 429, {"Retry-After": str(wait)}
        body = request.get_json(silent=True)
        new = body.get("password") if isinstance(body, dict) else None
        confirm = body.get("confirm") if isinstance(body, dict) else None
        if not isinstance(new, str) or len(new) > MAX_PASSWORD or not isinstance(confirm, (str, type(None))):
            return {"error": "bad_request"}, 400
        lang = web.language()
        codes = candidate_problems(entry, new, confirm or None)
        return {"problems": [{"code": code, "text": problem(lang, code)} for code in codes]}

    @app.post("/change")
    def change() -> Response:
        entry = signed_in()
        if entry is None:
            return expired()
        new = request.form.get("new_password", "")
        confirm = request.form.get("confirm_password", "")
        if len(new) > MAX_PASSWORD:
            return change_page(entry, [], 400, notice="error")
        problems = candidate_problems(entry, new, confirm)
        if problems:
            return change_page(entry, problems)
        wait = portal.changes.hit(entry.holder.address)
        if wait:
            return _too_many(change_page(entry, [], notice="too_many"), wait)
        holder, old = entry.holder, entry.password
        end_session()  # whatever the outcome: a new attempt starts with a new sign-in
        try:
            result = portal.service.change(holder, old, new)
        except Exception as error:  # the outcome is unknown: the person is sent to the help desk
            web.log_exception(f"change for {holder.address} failed", error)
            result = ChangeResult(INCONSISTENT, reason="the change raised an error")
        LOG.log(
            logging.INFO if result.ok else logging.WARNING,
            "change for %s: %s%s%s",
            holder.address,
            result.outcome,
            f" on {result.system}" if result.system else "",
            f" ({result.reason})" if result.reason else "",
        )
        problems = [code for code in result.problems if code in PROBLEMS["en"]]
        outcome = result.outcome if result.outcome in OUTCOMES else INCONSISTENT
        return web.page("result.html", outcome=outcome, problems=problems)

    @app.get("/favicon.ico")
    def favicon() -> Response:  # browsers ask for it; the page has none
        return Response(status=204)

    @app.post("/sign-out")
    def sign_out() -> Response:
        end_session()
        return redirect("/", 303)

    return app
