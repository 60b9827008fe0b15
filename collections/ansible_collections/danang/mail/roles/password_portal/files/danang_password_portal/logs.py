# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Logging without passwords.

The page logs sign-ins (address, client), refusals, limits and change outcomes; never a form value
or a body. Exceptions are logged by type and stack frames only (``web.log_exception``), since a
backend's message may quote what it was given. Werkzeug's request logger (the development server's)
is silenced; gunicorn's access log writes ``ACCESS_LOG_FORMAT`` (``gunicorn_conf``): method, path
without the query string, status, size, duration - no body, no header, no query.
"""

from __future__ import annotations

import logging
import sys

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'


def configure_logging(level: int = logging.INFO) -> None:
    """The portal's messages to stderr (gunicorn's error log, systemd's journal)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    logger = logging.getLogger("danang_password_portal")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
