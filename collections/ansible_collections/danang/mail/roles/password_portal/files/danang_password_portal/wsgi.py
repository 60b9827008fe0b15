# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``application`` for gunicorn: the config file named by ``DANANG_PASSWORD_PORTAL_CONFIG``."""

from __future__ import annotations

import atexit
import os
import sys

from ansible_collections.danang.mail.plugins.module_utils.model import ValidationFailed
from flask import Flask

from .app import create_app
from .logs import configure_logging
from .settings import load_config

CONFIG_VARIABLE = "DANANG_PASSWORD_PORTAL_CONFIG"
SWEEP_SECONDS = 10  # an expired session's password is gone within this much more


def load_application(path: str) -> Flask:
    """The page for the config file ``path``; raises ``ValidationFailed`` naming the file and field."""
    config, settings = load_config(path)
    # imported here: it brings the directory and Exchange clients, which the config check above needs not
    from ansible_collections.danang.mail.plugins.module_utils import self_service

    problems = self_service.config_problems(config, path)
    if problems:
        raise ValidationFailed(problems)
    service = self_service.open_service(config)
    atexit.register(service.close)
    return create_app(settings, service, sweep_every=SWEEP_SECONDS)


def _application() -> Flask:
    configure_logging()
    path = os.environ.get(CONFIG_VARIABLE, "")
    if not path:
        sys.exit(f"{CONFIG_VARIABLE} must name the portal's config file")
    try:
        return load_application(path)
    except ValidationFailed as error:
        sys.exit(f"the portal's config is not valid:\n{error}")


application = _application()
