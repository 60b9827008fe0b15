# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/site.yml against the collection as users install it, in both labs.

The tarball is built and installed into a clean path (tests/collection/installed.py); the run's
ansible.cfg is the repository's without its collections_path and roles_path, and
ANSIBLE_COLLECTIONS_PATH names only the install path. The -vvv output proves every module of the
collection came from the installed copy, and a second run changes nothing.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

pytest.importorskip("ldap3")
pytest.importorskip("pypsrp")

import both_labs
from both_labs import REPO, SiteCity
from collection.installed import build_and_install

pytestmark = pytest.mark.integration
city, site_city = both_labs.city, both_labs.site_city  # the fixtures
MODULE_FILE = re.compile(r"Using module file (\S+)")


def installed_config() -> str:
    """The repository's ansible.cfg without the settings that point into the source tree."""
    lines = (REPO / "ansible.cfg").read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.startswith(("collections_path", "roles_path"))) + "\n"


def test_site_runs_from_the_installed_collection_only(site_city: SiteCity, tmp_path: Path) -> None:
    installed = build_and_install(tmp_path / "user", installed_config())
    env = dict(installed.env, ANSIBLE_LOG_PATH=str(site_city.log))
    # The town's copy of inventories/lab reaches the Exchange tests' own lab (ports, password).
    exchange_vars = tmp_path / "exchange-vars.json"
    exchange_vars.write_text(json.dumps(site_city.city.lab.playbook_vars), encoding="utf-8")

    def site(*extra: str) -> str:
        proc = subprocess.run(
            site_city.command("site.yml", "-e", f"@{exchange_vars}", *extra),
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=1200,
            check=False,
        )
        assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
        return proc.stdout

    first = site("-vvv")
    used = {Path(p) for p in MODULE_FILE.findall(first) if "/danang/mail/" in p}
    assert {p.stem for p in used} >= {
        "desired_state_info",
        "address_alloc",
        "addresses_in_use",
        "mailbox",
        "exchange_org",
    }
    assert all(p.is_relative_to(installed.collections_path) for p in used), used
    assert re.search(r"^localhost\s+:.*failed=0", first, re.MULTILINE)
    assert re.search(r"^localhost\s+:.*changed=0.*failed=0", site(), re.MULTILINE)
