# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""No secret in any output (R-46): the real playbooks, as an operator runs
them at -vvv with and without --check --diff, against both labs, and every byte they leave - stdout,
stderr, the Ansible log, the R-47 reports - is searched for every secret the labs know: the service
passwords in .lab/obm/secrets and .lab/exchange/secrets, and every initial and reset password in the
decrypted credentials files.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("ldap3")
pytest.importorskip("pypsrp")

import both_labs
from ansible_collections.danang.mail.plugins.module_utils.passwords import password_problems
from both_labs import REPO, SiteCity

pytestmark = pytest.mark.integration
city, site_city = both_labs.city, both_labs.site_city  # the fixtures


def lab_secrets(*directories: Path) -> dict[str, str]:
    found = {}
    for directory in directories:
        for path in sorted((directory / "secrets").iterdir()):
            value = path.read_text(encoding="utf-8").split()[0]
            found[f"{directory.name}/secrets/{path.name}"] = value
    return found


def drift(paths: list[Path]) -> None:
    """Change the role's rendered files as a hand edit would, so that --check --diff has a diff to
    show for each: the whole file, passwords included, when nothing stops it."""
    for path in paths:
        path.write_text(path.read_text(encoding="utf-8") + "# edited by hand\n", encoding="utf-8")


def test_no_secret_in_any_output_of_the_playbooks(site_city: SiteCity) -> None:
    obm_dir = site_city.obm.lab_dir
    lab_inventory = REPO / "inventories" / "lab" / "hosts.yml"
    rendered = [
        obm_dir / "saslauthd" / "saslauthd.conf",
        *sorted((obm_dir / "postfix/etc/ldap").glob("*.cf")),
        obm_dir / "rspamd" / "etc" / "override.d" / "worker-controller.inc",
    ]
    # saslauthd; Postfix: domains, aliases, mailboxes, reclaimed; rspamd's controller
    assert len(rendered) == 6
    outputs: dict[str, str] = {}

    def keep(name: str, proc) -> None:
        outputs[f"{name} stdout"] = proc.stdout
        outputs[f"{name} stderr"] = proc.stderr

    personal = {
        "CB-2017-000101": ("1985-04-12", "0905123456"),
        "CB-2017-000103": ("1990-01-31", "0914765432"),
    }
    site_city.write_personal_data(
        "".join(f'{h}: {{birth_date: {b}, phone: "{p}"}}\n' for h, (b, p) in personal.items())
    )
    drift(rendered)
    keep(
        "lab_up --check --diff -vvv",
        site_city.run("lab/lab_up.yml", "--check", "--diff", "-vvv", inventory=lab_inventory),
    )
    keep("lab_up --diff -vvv", site_city.run("lab/lab_up.yml", "--diff", "-vvv", inventory=lab_inventory))
    keep("site --check --diff -vvv", site_city.run("site.yml", "--check", "--diff", "-vvv"))
    keep("site --diff -vvv", site_city.run("site.yml", "--diff", "-vvv"))
    keep(
        "password_policy -vvv (a reset)",
        site_city.run(
            "password_policy.yml",
            "--diff",
            "-vvv",
            "-e",
            '{"danang_mail_password_resets": ["CB-2017-000101"]}',
        ),
    )

    secrets = lab_secrets(obm_dir, site_city.city.lab.lab_dir)
    issued = site_city.credentials()
    assert len(issued) >= 50, "the run issued the city's initial passwords"
    assert any(entry.get("reset") for entries in issued.values() for entry in entries)
    for holder, entries in issued.items():
        for index, entry in enumerate(entries):
            secrets[f"password of {holder} ({index})"] = entry["password"]
    for holder, entry in site_city.pending().items():
        secrets[f"pending password of {holder}"] = entry["password"]
    for holder, (birth, phone) in personal.items():
        secrets[f"birth date of {holder}"], secrets[f"phone of {holder}"] = birth, phone
        for entry in issued[holder]:  # read from the inventory's vault file
            assert not password_problems(entry["password"], birth_date=birth, phone=phone)
    outputs["ansible log"] = site_city.log.read_text(encoding="utf-8")
    reports = sorted(site_city.reports_dir.iterdir())
    assert reports, "password_policy wrote its R-47 reports"
    for path in reports:
        outputs[f"report {path.name}"] = path.read_text(encoding="utf-8")

    leaks = sorted(
        f"{name} in {where}"
        for name, value in secrets.items()
        for where, text in outputs.items()
        if value in text
    )
    assert not leaks, "\n".join(leaks)
