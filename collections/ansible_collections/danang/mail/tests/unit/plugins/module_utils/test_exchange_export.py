# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Exchange export before a purge (R-23): its cmdlets against the published signatures and the
lab's binder, and the share setting (tests/integration/test_reclaim_exchange.py proves the
behaviour against the lab).

Sources: learn.microsoft.com/powershell/module/exchange/new-mailboxexportrequest (``-FilePath``: "the
network share path of the .pst file", e.g. ``\\\\SERVER01\\PST Files\\exported.pst``; ``-Name``
unique per mailbox, identity ``<alias>\\<name>``), …/get-mailboxexportrequest (``-Name``),
…/get-mailboxexportrequeststatistics, …/remove-mailboxexportrequest; the signatures in
shared/reference/exchange-cmdlets.json.
"""

from __future__ import annotations

import dataclasses

import pytest
from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
from ansible_collections.danang.mail.plugins.module_utils.backends.contract import BackendError
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.ad import ADUser
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.config import config_from_params
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.export import (
    EXPORT_NAME,
    export_path,
    queue_invocation,
    remove_invocation,
    share_problem,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import Invocation
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.read import Seen
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.reclaim import ExchangeReclaim
from cmdlet_signatures import assert_binds_in_lab, assert_matches_signature

DUNG = Account("dungnv@danang.gov.vn", "person", "CB-0042", "Nguyễn Văn Dũng", "stttt", first_name="Dũng")
SHARE = "\\\\fs01.danang.gov.vn\\PST Files\\reclaimed"


@pytest.mark.parametrize(
    "invocation",
    [
        queue_invocation(SHARE, DUNG.address),
        Invocation.of("Get-MailboxExportRequest", {"Name": EXPORT_NAME}),
        Invocation.of("Get-MailboxExportRequestStatistics", {"Identity": f"dungnv\\{EXPORT_NAME}"}),
        remove_invocation("dungnv", DUNG.address),
    ],
    ids=str,
)
def test_every_export_cmdlet_matches_exchange_and_the_lab(invocation) -> None:
    assert_matches_signature(invocation)
    assert_binds_in_lab(invocation)


def test_one_pst_per_address_on_the_share() -> None:
    assert export_path(SHARE, DUNG.address) == f"{SHARE}\\dungnv@danang.gov.vn.pst"
    assert export_path(SHARE + "\\", DUNG.address) == f"{SHARE}\\dungnv@danang.gov.vn.pst"
    assert queue_invocation(SHARE, DUNG.address).params == {
        "Mailbox": DUNG.address,
        "FilePath": f"{SHARE}\\dungnv@danang.gov.vn.pst",
        "Name": EXPORT_NAME,
    }


@pytest.mark.parametrize("share", ["\\\\fs01\\pst", SHARE, "\\\\fs01\\pst\\"])
def test_a_unc_share_is_accepted(share) -> None:
    assert share_problem(share) is None


@pytest.mark.parametrize(
    "share", ["C:\\pst", "/srv/pst", "\\\\fs01", "\\\\fs01\\", "fs01\\pst", "\\\\a\\b:c"]
)
def test_anything_but_a_unc_share_is_refused_when_the_module_starts(share) -> None:
    assert "is not a UNC path" in str(share_problem(share))
    params = {
        "exchange_server": "ex",
        "ad_uri": "ldap://dc",
        "exchange_username": "u",
        "exchange_password": "p",
    }
    with pytest.raises(BackendError, match="exchange_export_share"):
        config_from_params({**params, "exchange_export_share": share})


def test_a_purge_with_export_but_no_share_deletes_nothing() -> None:
    """Refused before any cmdlet: the unused session would fail the test if it were used."""
    unused = None
    dn = "CN=Dung,OU=DanangMail,DC=danang,DC=gov,DC=vn"
    user = ADUser(dn, "dungnv", DUNG.address, 0x202, 1, None, None, "Dũng", "Nguyễn", DUNG.address, None)
    seen = Seen(done=True)
    seen.mailboxes[DUNG.address] = {"DistinguishedName": dn, "RecipientTypeDetails": "UserMailbox"}
    seen.users[dn.lower()] = dataclasses.replace(
        user, policy_lock="danang.mail reclaimed 2026-12-07T02:30:00Z"
    )
    reclaim = ExchangeReclaim(unused, unused, seen, batch_size=50, clock=unused, read=unused)
    (result,) = reclaim.purge([DUNG], "/srv/export")
    assert (result.ok, result.error) == (
        False,
        "export asked but exchange_export_share is not set: nothing was deleted",
    )
