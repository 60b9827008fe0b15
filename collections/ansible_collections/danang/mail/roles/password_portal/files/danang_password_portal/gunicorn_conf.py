# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""gunicorn's settings for the page (``gunicorn -c python:danang_password_portal.gunicorn_conf``);
bind, certfile and keyfile come from the command line.

One worker process: the sessions (with the current passwords) and the rate limits live in its
memory; threads serve requests concurrently. The access log carries no body, header or query string.
"""

from danang_password_portal.logs import ACCESS_LOG_FORMAT

wsgi_app = "danang_password_portal.wsgi:application"
workers = 1
worker_class = "gthread"
threads = 16
accesslog = "-"
errorlog = "-"
access_log_format = ACCESS_LOG_FORMAT
limit_request_line = 2048
# gunicorn 25+ opens a control socket at $XDG_RUNTIME_DIR or ~/.gunicorn/gunicorn.ctl by default:
# every instance of one user would share that path (the lab runs two), and it can add workers,
# which would split the sessions. systemd (or the lab's script) starts and stops the page.
control_socket_disable = True
limit_request_fields = 50
