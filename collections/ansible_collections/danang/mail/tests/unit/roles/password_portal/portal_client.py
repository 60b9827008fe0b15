# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers for the tests of the self-service page (roles/password_portal/files/danang_password_portal)
through Flask's test client, against ``Directory``: a ``PasswordService`` of people in memory whose
rule check is the collection's own (``passwords.password_problem_codes``) and whose change answers
what a test asks."""

from __future__ import annotations

import datetime
import re
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import pytest

FILES = Path(__file__).resolve().parents[4] / "roles" / "password_portal" / "files"
if str(FILES) not in sys.path:
    sys.path.insert(0, str(FILES))

from ansible_collections.danang.mail.plugins.module_utils.password_change import (  # noqa: E402
    CHANGED,
    ChangeResult,
    Holder,
)
from ansible_collections.danang.mail.plugins.module_utils.passwords import password_problem_codes  # noqa: E402
from danang_password_portal import create_app  # noqa: E402
from danang_password_portal.settings import Settings  # noqa: E402

ADDRESS = "dung.nguyenvan@danang.gov.vn"
INITIAL = "Ka7+mHe3/Tpy9dN"
NEW = "Sông Hàn 2026+cầu"
BIRTH = datetime.date(1985, 4, 12)
HELP = "Trung tâm IT: 0236 3821 000"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Clock:
    """Monotonic seconds that move only when a test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Directory:
    """People in memory: address -> (password, holder). ``outcome``: what ``change`` answers;
    ``fail``: an exception ``sign_in`` / ``change`` raise instead."""

    people: dict[str, tuple[str, Holder]] = field(default_factory=dict)
    birth_dates: dict[str, datetime.date] = field(default_factory=dict)
    outcome: ChangeResult = field(default_factory=lambda: ChangeResult(CHANGED))
    fail: Optional[Exception] = None
    gate: Optional[threading.Event] = None  # sign_in waits for it: requests held in flight
    sign_ins: list[str] = field(default_factory=list)
    changes: list[tuple[str, str, str]] = field(default_factory=list)

    def sign_in(self, address: str, password: str) -> Optional[Holder]:
        self.sign_ins.append(address)
        if self.gate is not None:
            self.gate.wait(30)
        if self.fail is not None:
            raise self.fail
        known = self.people.get(address)
        return known[1] if known is not None and known[0] == password else None

    def problems(self, holder: Holder, new_password: str) -> list[str]:
        birth = self.birth_dates.get(holder.address)
        return password_problem_codes(new_password, names=holder.names, birth_date=birth)

    def change(self, holder: Holder, old_password: str, new_password: str) -> ChangeResult:
        self.changes.append((holder.address, old_password, new_password))
        if self.fail is not None:
            raise self.fail
        if self.outcome.ok:
            self.people[holder.address] = (new_password, holder)
        return self.outcome


def settings(**values: object) -> Settings:
    base: dict[str, object] = {
        "secret_key": "k" * 40,
        "public_url": "https://mail-password.danang.gov.vn",
        "help_contact": HELP,
        "address_failures": 3,
        "client_failures": 5,
        "window_seconds": 900,
        "session_seconds": 600,
        "check_requests": 20,
        "change_attempts": 2,
    }
    base.update(values)
    return Settings(**base)  # type: ignore[arg-type]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def directory() -> Directory:
    holder = Holder(ADDRESS, ("exchange", "obm"), names=("Nguyễn Văn Dũng",), must_change=True)
    return Directory(people={ADDRESS: (INITIAL, holder)}, birth_dates={ADDRESS: BIRTH})


@pytest.fixture
def app(directory: Directory, clock: Clock):
    return create_app(settings(), directory, clock=clock)


@pytest.fixture
def client(app):
    return app.test_client()


def token(client, path: str = "/") -> str:
    """The CSRF token of the page at ``path`` (a GET starts the cookie session)."""
    found = _TOKEN.search(client.get(path).get_data(as_text=True))
    assert found, "no csrf_token field"
    return found.group(1)


def sign_in(client, address: str = ADDRESS, password: str = INITIAL, remote: str = "10.0.0.1"):
    return client.post(
        "/sign-in",
        data={"address": address, "password": password, "csrf_token": token(client)},
        environ_base={"REMOTE_ADDR": remote},
    )


def change(client, new: str = NEW, confirm: Optional[str] = None):
    return client.post(
        "/change",
        data={
            "new_password": new,
            "confirm_password": new if confirm is None else confirm,
            "csrf_token": token(client, "/change"),
        },
    )


def check(client, password: str, confirm: Optional[str] = None, remote: str = "10.0.0.1"):
    return client.post(
        "/check",
        json={"password": password, "confirm": confirm},
        headers={"X-CSRF-Token": token(client, "/change")},
        environ_base={"REMOTE_ADDR": remote},
    )
