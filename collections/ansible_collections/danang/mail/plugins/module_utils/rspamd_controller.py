# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""rspamd's controller over HTTP (Ansible's ``open_url``): learn a message as spam, read statistics.

The controller (roles/obm_server, "Filtering") wants its password in the ``Password`` header of every
request. ``POST /learnspam`` with the raw message answers 200 ``{"success": true}`` when learned,
208 when the message was learned before (rspamd keeps the digests it learned), 204 without a body
when it learned nothing from it (too little text), 4xx with ``{"error": ...}`` when it will not
learn it, 401 for a wrong password (measured with Debian's rspamd 3.4). The password never goes to
another machine without TLS (``transport_security``).
"""

from __future__ import annotations

import json
import urllib.error
from typing import Any, Optional
from urllib.parse import urlsplit

from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import open_url
from ansible_collections.danang.mail.plugins.module_utils.backends.transport_security import is_loopback

LEARNED = "learned"
ALREADY_LEARNED = "already learned"


class ControllerError(Exception):
    """The controller cannot be used at all (unreachable, wrong password, server error)."""


class MessageRefused(Exception):
    """The controller will not learn this one message; the text says why."""


class RspamdController:
    """The controller at ``url`` (``http://127.0.0.1:11334``), authenticated with ``password``."""

    def __init__(
        self,
        url: str,
        password: str,
        *,
        ca_file: Optional[str] = None,
        validate_certs: bool = True,
        timeout: float = 60,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ControllerError(f"rspamd_url must be http(s)://host:port, not {url!r}")
        if parts.scheme == "http" and not is_loopback(parts.hostname):
            raise ControllerError(
                f"{url}: refusing to send the controller's password without TLS to a host that is not "
                "a loopback address; use https"
            )
        self.url = url.rstrip("/")
        self._password = password
        self.timeout = timeout
        self.ca_file, self.validate_certs = ca_file, validate_certs

    def _request(self, path: str, body: Optional[bytes] = None) -> tuple[int, dict[str, Any]]:
        try:
            with open_url(
                f"{self.url}{path}",
                data=body,
                method="POST" if body is not None else "GET",
                headers={"Password": self._password},
                timeout=self.timeout,
                validate_certs=self.validate_certs,
                ca_path=self.ca_file,
                follow_redirects="none",
            ) as answer:
                status, text = answer.status, answer.read()
        except urllib.error.HTTPError as exc:
            status, text = exc.code, exc.read()
        except (OSError, ValueError, UrlsConnectionError) as exc:
            raise ControllerError(f"{self.url}{path}: {getattr(exc, 'reason', exc)}") from None
        try:
            data = json.loads(text or b"{}")
        except ValueError:
            data = {"error": text[:200].decode("utf-8", "replace")}
        if status in (401, 403):
            raise ControllerError(f"{self.url}{path}: the controller refused the password (HTTP {status})")
        if status >= 500:
            raise ControllerError(f"{self.url}{path}: HTTP {status}: {data.get('error', '')}")
        return status, data if isinstance(data, dict) else {"value": data}

    def learn_spam(self, message: bytes) -> str:
        """``LEARNED`` or ``ALREADY_LEARNED``; ``MessageRefused`` when rspamd will not learn it."""
        status, data = self._request("/learnspam", message)
        if status == 208:
            return ALREADY_LEARNED
        if status == 200 and data.get("success"):
            return LEARNED
        if status == 204:
            raise MessageRefused("HTTP 204: rspamd learned nothing from it (too little text)")
        raise MessageRefused(f"HTTP {status}: {data.get('error', data)}")

    def stat(self) -> dict[str, Any]:
        """``GET /stat``: counters, ``learned`` among them."""
        status, data = self._request("/stat")
        if status != 200:
            raise ControllerError(f"{self.url}/stat: HTTP {status}: {data.get('error', '')}")
        return data
