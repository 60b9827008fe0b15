# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""danang.mail.password_policy ``notices_path`` (R-44, R-47): the warnings and the list recorded for
danang.mail.notify once each, only when enforcing outside check mode; never a password."""

from __future__ import annotations

import datetime
import importlib
from pathlib import Path

import pytest
import time_machine
from ansible_collections.danang.mail.plugins import modules
from ansible_collections.danang.mail.plugins.module_utils import journal
from ansible_collections.danang.mail.plugins.module_utils.model import CITY_TIMEZONE
from ansible_collections.danang.mail.plugins.module_utils.password_policy import PasswordFacts
from ansible_collections.danang.mail.plugins.modules import password_policy
from fake_system import OBM, person

DUNG, OANH = "dungnv@danang.gov.vn", "oanhtt@danang.gov.vn"
NOW = datetime.datetime(2027, 6, 1, 9, tzinfo=CITY_TIMEZONE)


@pytest.fixture
def policy(run_module, town, fake_systems, tmp_path):
    fake_systems["obm"].password_facts = {
        DUNG: PasswordFacts(DUNG, "obm", True, False, None, NOW - datetime.timedelta(days=100), False),
        OANH: PasswordFacts(OANH, "obm", True, False, None, NOW - datetime.timedelta(days=214), False),
    }
    where = town(person("CB-1", "Nguyễn Văn Dũng"), person("CB-2", "Trần Thị Oanh"))
    notices = tmp_path / "reports" / "password-notices.yml"
    notices.parent.mkdir()

    def run(*, check=False, **extra):
        args = {**where, **OBM, "backend": ["obm"], "mode": "enforce", "notices_path": str(notices), **extra}
        with time_machine.travel(NOW, tick=False):
            return run_module(password_policy, args, check=check)

    return run, notices, fake_systems["obm"]


def test_recorded_once_when_enforcing(policy) -> None:
    run, notices, _fake = policy
    assert run(mode="audit")["notices"] and not notices.exists()
    planned = run(check=True)
    assert [n["kind"] for n in planned["notices"]] == ["password_warn", "r47_list"] and not notices.exists()
    done = run(resets=[])
    assert done["rc"] == 0 and [n["key"] for n in done["notices"]] == [n["key"] for n in planned["notices"]]
    lines = journal.read(str(notices))[1]
    assert lines[0]["key"] == "password-warn:dungnv@danang.gov.vn:2027-05-21"
    assert [row["address"] for row in lines[1]["rows"]] == [OANH]
    assert run()["notices"] == [] and len(journal.read(str(notices))[1]) == 2


def test_a_reset_password_never_reaches_the_notices(policy) -> None:
    run, notices, fake = policy
    result = run(resets=["CB-2"])
    assert result["rc"] == 0 and result["resets"] == ["CB-2"] and fake.passwords[OANH]
    text = Path(notices).read_text(encoding="utf-8")
    assert "password_warn" in text and OANH not in text  # reset: not on the R-47 list
    assert fake.passwords[OANH] not in text and 'password"' not in text


@pytest.mark.parametrize("module", ["password_policy", "forwarding", "report"])
def test_a_system_without_its_required_options_stops_before_anything_is_read(
    run_module, town, fake_systems, tmp_path, module
) -> None:
    """Every module with a list of systems names what the chosen system lacks (the shared check)."""
    where = town(person("CB-1", "Nguyễn Văn Dũng"))
    args = {"backend": ["exchange"], **({} if module == "forwarding" else where)}
    if module == "report":
        args["output_dir"] = str(tmp_path)
    result = run_module(importlib.import_module(f"{modules.__name__}.{module}"), args)
    expected = "missing required arguments with backend exchange: exchange_server, ad_uri"
    assert result["rc"] == 1 and result["msg"] == expected
    assert fake_systems["exchange"].called() == []
