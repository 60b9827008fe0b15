# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test towns in the labs: a desired state allocated into a mail domain of its own, so that tests
never share addresses with the lab city or with each other."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path

import yaml
from ansible_collections.danang.mail.plugins.module_utils import (
    allocation,
    desired_state,
    ledger,
    ledger_file,
    model,
)
from ansible_collections.danang.mail.plugins.module_utils.workdays import WorkingCalendar


def copy_lab_inventory(dest: Path) -> None:
    """A copy of inventories/lab for a test, without its credentials/: after ``make lab`` that holds
    the lab's hand-over files, encrypted with the lab's vault password, which a test's run (another
    vault password) cannot read."""
    repo = Path(__file__).resolve().parents[2]
    shutil.copytree(repo / "inventories" / "lab", dest, ignore=shutil.ignore_patterns("credentials"))


def password_for(holder: str) -> str:
    """A distinct R-42 password per holder, known to the test (the module draws random ones)."""
    return f"Kt-{uuid.uuid5(uuid.NAMESPACE_URL, holder).hex[:10]}#A9"


def task_result(stdout: str, task: str) -> dict:
    """The module result of the task whose name starts with ``task`` in ``ansible-playbook -v``
    output (ANSIBLE_CALLBACK_RESULT_FORMAT=json)."""
    after = stdout.split(f"TASK [{task}", 1)[1]
    return json.JSONDecoder().raw_decode(after.split("[localhost] => ", 1)[1])[0]


def working_morning(day: datetime.date) -> datetime.datetime:
    """09:00 in Da Nang on the first working day from ``day`` (the daily runs skip days off)."""
    calendar = WorkingCalendar()
    while not calendar.is_working_day(day):
        day += datetime.timedelta(days=1)
    return datetime.datetime(day.year, day.month, day.day, 9, tzinfo=model.CITY_TIMEZONE)


def allocate_into(
    desired_dir: Path, domain: str, today: datetime.date, taken: Iterable[str] = ()
) -> tuple[model.DesiredState, ledger.Ledger]:
    """Load ``desired_dir``, allocate its addresses in ``domain`` through the project's allocator
    into its ledger (started on the first call), never issuing one of ``taken``; returns the state
    and the re-read ledger."""
    state = desired_state.load_desired_state(desired_dir)
    path = str(desired_dir / "ledger.yml")
    book = ledger.load_ledger(path, new=not os.path.exists(path))
    allocated = allocation.allocate(
        state.address_requests(), book.entries, domain=domain, today=today, taken=taken
    )
    ledger_file.write_text_atomically(path, ledger.appended_text(book, allocated.entries))
    return state, ledger.load_ledger(path)


def add_obm_domain(conn, domain: str, base_dn: str) -> str:
    """The subtree OBM keeps per mail domain (obm.md): dc=<domain> with its OUs and mail server
    entry. ``conn`` is an ldap3 connection bound as the directory's administrator."""
    base = f"dc={domain},{base_dn}"
    assert conn.add(base, ["dcObject", "organization"], {"dc": domain, "o": domain}), conn.result
    for ou in ("users", "groups", "mailShare", "servicesConfiguration"):
        assert conn.add(f"ou={ou},{base}", ["organizationalUnit"], {"ou": ou}), conn.result
    assert conn.add(
        f"cn=mailServer,ou=servicesConfiguration,{base}",
        ["obmMailServer"],
        {"cn": "mailServer", "myDestination": domain, "obmDomain": domain},
    ), conn.result
    return base


def add_person(desired_dir: Path, agency: str, person: dict) -> None:
    """A new person in ``agency``'s file (a request that allocation has not seen yet)."""
    path = desired_dir / "agencies" / f"{agency}.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["people"].append(person)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
