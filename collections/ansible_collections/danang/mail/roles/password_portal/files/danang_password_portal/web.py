# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every response shares: the language, the CSRF token, the security headers, the error pages.

The CSRF token is a random value (``secrets``) kept in Flask's session cookie, which Flask signs with
``web.secret_key`` (itsdangerous); every POST must send it back (form field ``csrf_token`` or header
``X-CSRF-Token``), compared in constant time. The cookie is HttpOnly, Secure and SameSite=Strict.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import traceback
from typing import Any

from flask import Flask, Response, g, render_template, request, session
from werkzeug.exceptions import HTTPException

from .messages import DEFAULT_LANGUAGE, LANGUAGES, problem, text

LOG = logging.getLogger("danang_password_portal")
LANG_COOKIE = "danang_portal_lang"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Strict-Transport-Security": "max-age=31536000",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}


def language() -> str:
    """``?lang=`` first (it also sets the cookie), then the cookie, then Vietnamese."""
    if "lang" not in g:
        asked = request.args.get("lang", "")
        cookie = request.cookies.get(LANG_COOKIE, "")
        g.lang = asked if asked in LANGUAGES else cookie if cookie in LANGUAGES else DEFAULT_LANGUAGE
    return g.lang


def csrf_token() -> str:
    token = session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def csrf_ok() -> bool:
    expected = session.get("csrf")
    sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD, "")
    if not isinstance(expected, str) or not expected or not sent:
        return False
    return hmac.compare_digest(sent.encode("utf-8", "replace"), expected.encode("utf-8"))


def page(template: str, status: int = 200, **values: Any) -> Response:
    lang = language()
    help_contact = g.settings.help_contact
    body = render_template(
        template,
        lang=lang,
        t=lambda key: text(lang, key, help_contact=help_contact),
        problem_text=lambda code: problem(lang, code),
        csrf_token=csrf_token(),
        # the language links reload the page shown; after a POST that is the sign-in page
        here=request.path if request.method == "GET" else "/",
        **values,
    )
    return Response(body, status=status, mimetype="text/html")


def log_exception(what: str, error: BaseException) -> None:
    """The exception's type and where it happened, never its message: a backend's message may quote
    what it was given (a password)."""
    frames = "".join(traceback.format_list(traceback.extract_tb(error.__traceback__)))
    LOG.error("%s: %s\n%s", what, type(error).__name__, frames.rstrip())


def install(app: Flask) -> None:
    """The hooks shared by every route of ``app``."""

    @app.before_request
    def _check_csrf() -> Any:
        if request.method == "POST" and not csrf_ok():
            LOG.warning("refused a POST to %s without a valid CSRF token", request.path)
            if request.is_json:
                return {"error": "csrf"}, 400
            return page("message.html", 400, key="csrf")
        return None

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.update(SECURITY_HEADERS)
        response.vary.add("Cookie")
        asked = request.args.get("lang", "")
        if asked in LANGUAGES:
            response.set_cookie(
                LANG_COOKIE, asked, max_age=365 * 86400, secure=True, httponly=True, samesite="Strict"
            )
        return response

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Any:
        key = "not_found" if error.code in (404, 405) else "error"
        return page("message.html", error.code or 500, key=key)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Any:
        log_exception(f"{request.method} {request.path} failed", error)
        return page("message.html", 500, key="error")
