# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The portal's config file (written by the role, 0600): read with strict_yaml, the ``web`` section
checked here (the rest by ``self_service.config_problems``). Problems name the file, the section and
the field, and never quote a value: the file holds secrets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ansible_collections.danang.mail.plugins.module_utils import strict_yaml
from ansible_collections.danang.mail.plugins.module_utils.model import Problem, ValidationFailed

CONFIG_MAX_BYTES = 256 * 1024
PPOLICY_MAX_FAILURE = 10  # the OBM directory's pwdMaxFailure (per 15 minutes)
MIN_SECRET_KEY = 32


@dataclass(frozen=True)
class Settings:
    """The ``web`` section. Limits count per ``window_seconds``: failed sign-ins per address and per
    client address; rule checks (``/check``) per client; change attempts per address."""

    secret_key: str
    public_url: str
    help_contact: str
    session_seconds: int = 600
    address_failures: int = 5
    client_failures: int = 20
    window_seconds: int = 900
    check_requests: int = 600
    change_attempts: int = 5


# field -> (minimum, maximum) of the integer fields
_INTEGERS: dict[str, tuple[int, int]] = {
    "session_seconds": (60, 3600),
    # below ppolicy's lockout: a stranger guessing through the page can never lock the holder out
    "address_failures": (1, PPOLICY_MAX_FAILURE - 1),
    "client_failures": (1, 10000),
    "window_seconds": (60, 86400),
    "check_requests": (10, 100000),
    "change_attempts": (1, 100),
}
_TEXTS = ("secret_key", "public_url", "help_contact")


def web_problems(web: Any, source: str) -> list[Problem]:
    """Everything wrong with the ``web`` section of ``source``."""
    if not isinstance(web, Mapping):
        return [Problem(source, "web", "", "must be a mapping (secret_key, public_url, help_contact, ...)")]
    problems = [
        Problem(source, "web", str(key), "unknown field")
        for key in web
        if key not in _TEXTS and key not in _INTEGERS
    ]
    for field in _TEXTS:
        value = web.get(field)
        if not isinstance(value, str) or not value.strip():
            problems.append(Problem(source, "web", field, "must be a non-empty text"))
    secret = web.get("secret_key")
    if isinstance(secret, str) and secret.strip() and len(secret) < MIN_SECRET_KEY:
        message = f"must have at least {MIN_SECRET_KEY} characters"
        problems.append(Problem(source, "web", "secret_key", message))
    url = web.get("public_url")
    if isinstance(url, str) and url.strip() and not url.startswith("https://"):
        problems.append(Problem(source, "web", "public_url", "must start with https://"))
    for field, (low, high) in _INTEGERS.items():
        if field not in web:
            continue
        value = web[field]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            problems.append(Problem(source, "web", field, f"must be a whole number from {low} to {high}"))
    return problems


def parse_settings(config: Any, source: str) -> Settings:
    """The ``web`` section of a loaded config as ``Settings``; raises ``ValidationFailed``."""
    if not isinstance(config, Mapping):
        raise ValidationFailed([Problem(source, "", "", "must be a mapping with a web section")])
    if "web" not in config:
        raise ValidationFailed([Problem(source, "web", "", "is missing")])
    web = config["web"]
    problems = web_problems(web, source)
    if problems:
        raise ValidationFailed(problems)
    return Settings(**{key: web[key] for key in web})


def load_config(path: str) -> tuple[Mapping[str, Any], Settings]:
    """The whole config file (for ``self_service``) and its ``web`` section; raises ``ValidationFailed``
    naming ``path``."""
    config = strict_yaml.load_file(path, path, max_bytes=CONFIG_MAX_BYTES, dates=False)
    return config, parse_settings(config, path)
