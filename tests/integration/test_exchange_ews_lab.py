"""EWS on the running Exchange lab: a mailbox made with New-Mailbox over PSRP, its
inbox rules through exchangelib and read back by Get-InboxRule, a message sent and recorded, and
the EWS logon stamped in AD's lastLogonTimestamp (R-23). Uses the ``exchange_lab`` fixture."""

from __future__ import annotations

import json

import pytest
from exchangelib import DELEGATE, IMPERSONATION, Account, Configuration, Credentials, Message, Version
from exchangelib.properties import Actions, Address, Conditions, Rule
from exchangelib.version import EXCHANGE_2016
from ldap3 import BASE, Connection, Server
from pypsrp.complex_objects import ObjectMeta
from pypsrp.powershell import PowerShell, RunspacePool

pytestmark = pytest.mark.integration
PASSWORD = "Khoi-tao#2026abc"


def cmdlet(pool: RunspacePool, name: str, **params) -> list:
    ps = PowerShell(pool)
    ps.add_cmdlet(name)
    for key, value in params.items():
        ps.add_parameter(key, value)
    output = ps.invoke()
    assert ps.streams.error == [], [str(e) for e in ps.streams.error]
    return [o.adapted_properties for o in output]


def test_ews_on_the_lab(exchange_lab) -> None:
    lab = exchange_lab
    alias = lab.unique("ews")
    upn = f"{alias}@{lab.domain}"
    with RunspacePool(lab.wsman(), configuration_name=lab.configuration) as pool:
        pool.exchange_keys()
        created = cmdlet(
            pool,
            "New-Mailbox",
            Name=alias,
            Alias=alias,
            UserPrincipalName=upn,
            Password=pool.serialize(PASSWORD, ObjectMeta("SS")),
            OrganizationalUnit=lab.managed_ou,
            ResetPasswordOnNextLogon=False,
        )[0]
    address, dn = created["PrimarySmtpAddress"], created["DistinguishedName"]

    def account(user: str, password: str, access_type: str = DELEGATE) -> Account:
        config = Configuration(
            service_endpoint=f"{lab.base_url}/EWS/Exchange.asmx",
            credentials=Credentials(user, password),
            version=Version(build=EXCHANGE_2016),
        )
        return Account(address, config=config, autodiscover=False, access_type=access_type)

    own = account(upn, PASSWORD)
    own.create_rule(
        Rule(
            display_name="Chuyển tiếp",
            priority=1,
            is_enabled=True,
            conditions=Conditions(contains_subject_strings=["báo cáo"]),
            actions=Actions(forward_to_recipients=[Address(email_address="x@gmail.com")]),
        )
    )
    assert [r.display_name for r in account(lab.admin_upn, lab.admin_password, IMPERSONATION).rules] == [
        "Chuyển tiếp"
    ]
    with RunspacePool(lab.wsman(), configuration_name=lab.configuration) as pool:
        rules = cmdlet(pool, "Get-InboxRule", Mailbox=alias)
    assert [(r["Name"], r["ForwardTo"]) for r in rules] == [
        ("Chuyển tiếp", ['"x@gmail.com" [SMTP:x@gmail.com]'])
    ]

    subject = f"Giấy mời {alias}"
    Message(account=own, subject=subject, body="Kính gửi", to_recipients=["x@gmail.com"]).send()
    sent = [
        json.loads(p.read_text(encoding="utf-8")) for p in (lab.lab_dir / "state" / "sent").glob("*.json")
    ]
    assert [(m["sender"], m["to"]) for m in sent if m["subject"] == subject] == [(address, ["x@gmail.com"])]

    host, port = lab.ad_uri.rsplit(":", 1)
    with Connection(Server(f"{host}:{port}"), lab.admin_dn, lab.admin_password, auto_bind=True) as ldap:
        ldap.search(dn, "(objectClass=*)", BASE, attributes=["lastLogonTimestamp"])
        assert ldap.entries[0].lastLogonTimestamp.value is not None
