# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One facts type for every system: the modules report the common keys, then the system's own."""

from __future__ import annotations

from ansible_collections.danang.mail.plugins.module_utils.backends.contract import AccountFacts

COMMON = {
    "dn",
    "shared",
    "enabled",
    "mailbox",
    "quota_mb",
    "used_mb",
    "last_login",
    "last_access",
    "password_changed",
    "must_change_password",
    "locked",
    "created",
    "reclaimed",
}


def facts(**own: object) -> AccountFacts:
    return AccountFacts(
        address="dungnv@danang.gov.vn",
        dn="uid=dungnv,ou=users,dc=danang.gov.vn,dc=local",
        shared=False,
        enabled=True,
        mailbox=True,
        quota_mb=2048,
        used_mb=1.5,
        last_login="2026-11-29T04:59:13Z",
        last_access="2026-11-29T04:59:13Z",
        password_changed=None,
        must_change_password=True,
        locked=False,
        own=dict(own),
    )


def test_as_dict_is_flat_without_the_address() -> None:
    obm = facts(uid_number=1001).as_dict()
    assert set(obm) == COMMON | {"uid_number"} and obm["uid_number"] == 1001
    exchange = facts(database="DB01", sam_account_name="dungnv").as_dict()
    assert set(exchange) == COMMON | {"database", "sam_account_name"}
    assert "address" not in exchange and "own" not in exchange
