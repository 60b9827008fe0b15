# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tests' own instance of the self-service password page: ``portal-tests`` on port 28443.

``make lab``'s page (``.lab/portal``, 18443) serves the lab city; the tests run their own, rendered
for a test city by the real role (``lab/lab_up.yml --tags portal``: lab/roles/portal_lab, which runs
danang.mail.password_portal in lab mode) - one playbook run - and started by its control script
``.lab/portal-tests/bin/portal-lab``. API::

    from portal_lab import portal_for

    def test_x(site_city):                           # both_labs.SiteCity (or an object with its
        with portal_for(site_city) as portal:        # domain, city, obm, root, command(), env())
            ...

    portal.url        # "https://127.0.0.1:28443" (no trailing slash)
    portal.ca_file    # the lab CA the page's certificate is checked against (str)
    portal.logs       # every log file the page writes (start/error log, access log): Paths
    portal.config_file, portal.personal_data_file   # the page's settings and personal data (0600)
    portal.get("/")   # urllib's response, the certificate checked against the lab CA
    portal.stop(); portal.start(); portal.restart(); portal.pid()
    portal.first_run                  # the rendering run: lab_runs.PlaybookRun (recap, output)
    portal.run("--check", "-v")       # the role again, the same way

``portal_for(site)`` renders the page with one run of the role (a few seconds) and starts it; the
block's end stops it, so each block gets a fresh process (sessions and failure limits live in its
memory). It points the page at the city's mail domain, the session's Exchange lab
(``exchange-tests``) with the city's managed OU, the shared OBM lab (the page's own identity) and
the city's ``personal_data.vault.yml`` when the test wrote one (``site.write_personal_data``).
A run inside the block restarts the page only when its settings changed.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lab_runs import PlaybookRun, checked

REPO = Path(__file__).resolve().parents[2]
NAME = "portal-tests"
HOST = "127.0.0.1"
PORT = 28443
LINK = REPO / ".lab" / NAME


@dataclass
class Portal:
    site: Any  # both_labs.SiteCity
    lab_dir: Path  # the instance's real directory (under /var/lib/danang-mail-lab)
    first_run: PlaybookRun  # the run that rendered it (portal_for's)

    @property
    def url(self) -> str:
        return f"https://{HOST}:{PORT}"

    @property
    def ca_file(self) -> str:
        return str(self.lab_dir / "tls" / "ca.crt")

    @property
    def config_file(self) -> Path:
        return self.lab_dir / "etc" / "config.yml"

    @property
    def personal_data_file(self) -> Path:
        return self.lab_dir / "etc" / "personal_data.yml"

    @property
    def start_log(self) -> Path:
        """What gunicorn and the page write on stderr (the error log), from the last start on."""
        return self.lab_dir / "log" / "portal.log"

    @property
    def access_log(self) -> Path:
        return self.lab_dir / "log" / "portal-access.log"

    @property
    def logs(self) -> list[Path]:
        return [self.start_log, self.access_log]

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)

    def get(self, path: str = "/", timeout: float = 10) -> Any:
        """urllib's response to GET ``path``, the certificate checked against the lab CA."""
        url = self.url + "/" + path.lstrip("/")
        return urllib.request.urlopen(url, context=self.ssl_context(), timeout=timeout)

    def ctl(self, action: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.lab_dir / "bin" / "portal-lab"), action],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def stop(self) -> None:
        proc = self.ctl("stop")
        assert proc.returncode == 0, proc.stderr

    def start(self) -> None:
        proc = self.ctl("start")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        wait_for_port()

    def restart(self) -> None:
        proc = self.ctl("restart")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        wait_for_port()

    def pid(self) -> int:
        return int((self.lab_dir / "run" / "gunicorn.pid").read_text().split()[0])

    def run(self, *extra: str) -> PlaybookRun:
        """The role again for this city (``lab/lab_up.yml --tags portal``); fails the test when it fails."""
        return run_portal_playbook(self.site, self.lab_dir, *extra)


def lab_state_dir(obm_lab: Any) -> Path:
    """The clone's lab state directory, where the OBM lab's real directory is (lab.yml)."""
    return Path(obm_lab.lab_dir).parent


def portal_variables(site: Any, lab_dir: Path) -> dict[str, Any]:
    """What lab_up.yml --tags portal needs on top of the city's own variables (site.variables())."""
    return {
        # the copied inventory would compute other paths from its own location (lab.yml)
        "lab_repo_dir": str(REPO),
        "lab_state_dir": str(lab_state_dir(site.obm)),
        "portal_lab_name": NAME,
        "portal_lab_dir": str(lab_dir),
        "portal_lab_port": PORT,
    }


def run_portal_playbook(site: Any, lab_dir: Path, *extra: str) -> PlaybookRun:
    variables = site.root / "portal-vars.json"
    variables.write_text(json.dumps(portal_variables(site, lab_dir)), encoding="utf-8")
    proc = subprocess.run(
        site.command("lab/lab_up.yml", "--tags", "portal", "-e", f"@{variables}", *extra),
        cwd=REPO,
        env=site.env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return checked("lab_up.yml --tags portal", proc)


def wait_for_port(timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((HOST, PORT), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def port_open() -> bool:
    try:
        with socket.create_connection((HOST, PORT), timeout=1):
            return True
    except OSError:
        return False


@contextlib.contextmanager
def portal_for(site: Any, *extra: str) -> Iterator[Portal]:
    """The tests' page rendered for ``site``, running while the block runs, stopped after it (see
    the module's doc); ``extra``: more ansible-playbook arguments for the rendering run (``-v``)."""
    lab_dir = lab_state_dir(site.obm) / NAME
    portal = Portal(site, lab_dir, run_portal_playbook(site, lab_dir, *extra))
    try:
        yield portal
    finally:
        portal.ctl("stop")
