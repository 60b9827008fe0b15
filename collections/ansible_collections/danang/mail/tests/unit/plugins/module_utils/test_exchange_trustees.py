# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who gets FullAccess and Send As on Exchange: only the holder's own account (R-71, R-46), without
servers.

``-User`` of Add-MailboxPermission and Add-ADPermission is a SecurityPrincipalIdParameter
(shared/reference/exchange-cmdlets.json): "any value that uniquely identifies the user", an email
address or a distinguished name among them (learn.microsoft.com/powershell/module/exchange/
add-mailboxpermission, -User; MicrosoftDocs/office-docs-powershell, exchange/exchange-ps/
ExchangePowerShell/Add-MailboxPermission.md). An address finds whatever object holds it, inside the
managed OU or not: when the holder's own account could not be made because a mailbox made by hand
elsewhere holds the address, a grant by address goes to that stranger. So a grant names the DN of
an account verified as the holder's, and there is none before that account exists.
"""

from __future__ import annotations

import datetime

import pytest
from cmdlet_signatures import assert_binds_in_lab, assert_matches_signature

pytest.importorskip("ldap3")

from ansible_collections.danang.mail.plugins.module_utils.accounts import Account
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.apply import ExchangeWriter
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.config import config_from_params
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import (
    Invocation,
    Outcome,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.read import Seen
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.render import (
    ExchangeStep,
    exchange_name,
    render,
)
from ansible_collections.danang.mail.plugins.module_utils.plan import CREATE, UPDATE, Change

OU = "OU=DanangMail,DC=danang,DC=gov,DC=vn"
DOMAIN = "@danang.gov.vn"
AN_ID, BINH_ID = "CB-2017-000101", "CB-2017-000102"
AN, BINH = f"annv{DOMAIN}", f"binhtt{DOMAIN}"
AN_DN = f"CN=Nguyễn Văn An (annv),{OU}"
SHARE = Account(
    f"stttt{DOMAIN}",
    "agency",
    "agency/stttt",
    "Sở Thông tin và Truyền thông",
    "stttt",
    access=(AN, BINH),
    access_holders=((AN, AN_ID), (BINH, BINH_ID)),
)
SHARE_DN = f"CN=Sở Thông tin và Truyền thông (stttt),{OU}"
BINH_ACCOUNT = Account(
    BINH, "person", BINH_ID, "Trần Thị Bình", "stttt", first_name="Bình", last_name="Trần Thị"
)
NOW = datetime.datetime(2026, 12, 1, 2, 0, tzinfo=datetime.UTC)


class Transport:
    """Records what would be sent; every invocation succeeds."""

    def __init__(self) -> None:
        self.sent: list[Invocation] = []

    def run(self, invocations: list[Invocation], batch_size: int = 0) -> list[Outcome]:
        self.sent += invocations
        return [Outcome(invocation) for invocation in invocations]


def _record(address: str, dn: str, holder: str, kind: str = "UserMailbox") -> dict[str, str]:
    return {
        "PrimarySmtpAddress": address,
        "DistinguishedName": dn,
        "CustomAttribute3": holder,
        "RecipientTypeDetails": kind,
    }


def _writer(mailboxes: list[dict[str, str]]) -> tuple[ExchangeWriter, Transport]:
    config = config_from_params(
        {"exchange_server": "x", "exchange_username": "a@x", "exchange_password": "p", "ad_uri": "ldap://x"}
    )
    seen = Seen(mailboxes={r["PrimarySmtpAddress"]: r for r in mailboxes})
    transport = Transport()
    writer = ExchangeWriter(
        config,
        transport,
        None,
        seen,
        clock=lambda: NOW,
        reread=dict,  # type: ignore[arg-type]
    )
    writer.prepare([])
    return writer, transport


def _share_update(writer: ExchangeWriter) -> ExchangeStep:
    want = render(SHARE)
    after = {"full_access": want["full_access"], "send_as": want["send_as"]}
    return writer.step(Change(UPDATE, SHARE.address, SHARE, {"full_access": [], "send_as": []}, after), None)


def _grants(transport: Transport) -> list[tuple[str, object]]:
    return [(i.cmdlet, i.params["User"]) for i in transport.sent if i.cmdlet.startswith("Add-")]


def test_a_holder_whose_account_could_not_be_made_is_granted_nothing_and_the_share_fails_naming_it() -> None:
    writer, transport = _writer(
        [_record(SHARE.address, SHARE_DN, SHARE.holder_id, "SharedMailbox"), _record(AN, AN_DN, AN_ID)]
    )
    refused = "New-Mailbox: The proxy address SMTP:binhtt@danang.gov.vn is already being used"
    failed = ExchangeStep(Change(CREATE, BINH, BINH_ACCOUNT, {}, render(BINH_ACCOUNT)), error=refused)
    share = _share_update(writer)
    writer.finish([failed, share])
    assert _grants(transport) == [("Add-MailboxPermission", AN_DN), ("Add-ADPermission", AN_DN)]
    assert not [i for i in transport.sent if BINH in i.params.values()]  # nothing to the address
    assert share.error == (
        f"FullAccess and Send As for {BINH} not granted: no account of {BINH_ID} in the managed OU yet"
    )
    assert failed.error == refused


def test_an_account_made_in_the_run_is_granted_by_the_dn_new_mailbox_gave_it() -> None:
    writer, transport = _writer(
        [_record(SHARE.address, SHARE_DN, SHARE.holder_id, "SharedMailbox"), _record(AN, AN_DN, AN_ID)]
    )
    made = ExchangeStep(Change(CREATE, BINH, BINH_ACCOUNT, {}, render(BINH_ACCOUNT)))
    share = _share_update(writer)
    writer.finish([made, share])
    binh_dn = f"CN={exchange_name(BINH_ACCOUNT)},{OU}"
    assert sorted(_grants(transport)) == sorted(
        (cmdlet, dn) for cmdlet in ("Add-MailboxPermission", "Add-ADPermission") for dn in (AN_DN, binh_dn)
    )
    assert share.error is None


def test_an_account_in_the_managed_ou_that_stores_another_holder_is_not_the_holders() -> None:
    someone = _record(BINH, f"CN=Someone else (binhtt),{OU}", "CB-1999-000999")
    writer, transport = _writer(
        [
            _record(SHARE.address, SHARE_DN, SHARE.holder_id, "SharedMailbox"),
            _record(AN, AN_DN, AN_ID),
            someone,
        ]
    )
    share = _share_update(writer)
    writer.finish([share])
    assert [user for _cmdlet, user in _grants(transport)] == [AN_DN, AN_DN]
    assert share.error and f"for {BINH} not granted: no account of {BINH_ID}" in share.error


def test_a_holder_renamed_in_the_run_is_granted_by_its_new_dn() -> None:
    binh_dn = f"CN=Trần Bình (binhtt),{OU}"
    writer, transport = _writer(
        [
            _record(SHARE.address, SHARE_DN, SHARE.holder_id, "SharedMailbox"),
            _record(AN, AN_DN, AN_ID),
            _record(BINH, binh_dn, BINH_ID),
        ]
    )
    new_name = exchange_name(BINH_ACCOUNT)
    renamed = ExchangeStep(
        Change(UPDATE, BINH, BINH_ACCOUNT, {"name": "Trần Bình (binhtt)"}, {"name": new_name})
    )
    share = _share_update(writer)
    writer.finish([renamed, share])
    assert f"CN={new_name},{OU}" in {user for _cmdlet, user in _grants(transport)}
    assert binh_dn not in {user for _cmdlet, user in _grants(transport)} and share.error is None


def _sent_grants() -> list[Invocation]:
    writer, transport = _writer(
        [_record(SHARE.address, SHARE_DN, SHARE.holder_id, "SharedMailbox"), _record(AN, AN_DN, AN_ID)]
    )
    writer.finish(
        [ExchangeStep(Change(CREATE, BINH, BINH_ACCOUNT, {}, render(BINH_ACCOUNT))), _share_update(writer)]
    )
    return transport.sent


@pytest.mark.parametrize("invocation", _sent_grants(), ids=str)
def test_a_grant_by_dn_matches_exchanges_signature_and_binds_in_the_lab(invocation: Invocation) -> None:
    assert_matches_signature(invocation)
    assert_binds_in_lab(invocation)
