# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""OBM's reclaim marker (R-23) without servers: how the read sees it, and ENABLE clearing it."""

from __future__ import annotations

import pytest

pytest.importorskip("ldap3")

from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.apply import ObmWriter
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.config import ObmConfig
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.layout import Entry
from ansible_collections.danang.mail.plugins.module_utils.backends.obm.read import (
    CyrusFacts,
    Seen,
    observe,
)
from ansible_collections.danang.mail.plugins.module_utils.plan import ENABLE, Change

CONFIG = ObmConfig(
    ldap_uri="ldap://127.0.0.1:3389",
    ldap_bind_dn="uid=ldapadmin,ou=sysusers,dc=local",
    ldap_bind_password="x",
    imap_admin_password="y",
)
ADDRESS = "dungnv@danang.gov.vn"
PERSON = Account(ADDRESS, "person", "CB-1", "Nguyễn Văn Dũng", "stttt")


def entry(access: str) -> Entry:
    values = {
        "objectclass": ("inetOrgPerson", "obmUser"),
        "mail": (ADDRESS,),
        "mailaccess": (access,),
        "createtimestamp": ("20261102020000Z",),
        "description": ("reclaimed: ask the centre",),
    }
    return Entry(f"uid=dungnv,ou=users,dc={ADDRESS.split('@')[1]},dc=local", values)


def test_the_marker_is_disabled_and_reclaimed_in_the_read() -> None:
    observed, facts = observe({ADDRESS: entry("RECLAIMED")}, CyrusFacts(set(), {}, {}), CONFIG)
    assert observed[ADDRESS].enabled is False
    assert (facts[ADDRESS].reclaimed, facts[ADDRESS].created) == (True, "2026-11-02T02:00:00Z")
    _observed, plain = observe({ADDRESS: entry("REJECT")}, CyrusFacts(set(), {}, {}), CONFIG)
    assert plain[ADDRESS].reclaimed is False


@pytest.mark.parametrize(("access", "cleared"), [("RECLAIMED", True), ("REJECT", False)])
def test_enable_of_a_reclaimed_account_removes_the_bounce_text(access: str, cleared: bool) -> None:
    seen = Seen(entries={ADDRESS: entry(access)})
    writer = ObmWriter(CONFIG, directory=None, cyrus=None, seen=seen)  # type: ignore[arg-type]
    step = writer.step(Change(ENABLE, ADDRESS, PERSON, {"enabled": False}, {"enabled": True}), None)
    assert step.ldap["mailAccess"] == "PERMIT"
    assert ("description" in step.ldap and step.ldap["description"] is None) is cleared
