# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Exchange lab driven only through the real client libraries: pypsrp and ldap3.

One runspace pool (conftest's ``pool``) serves the module (as the backend keeps one); faults and
throttling get their own pools. Every mailbox has a unique name, so the tests run again on the same lab.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import requests
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import OK
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.organisation import _rule_changes
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.transport import ExchangeTransport
from exchange_city import connection
from ldap3 import BASE
from pypsrp.complex_objects import ObjectMeta, PSInvocationState
from pypsrp.exceptions import AuthenticationError, WSManFaultError
from pypsrp.powershell import PowerShell, RunspacePool

pytestmark = pytest.mark.integration
PASSWORD = "Khoi-tao#2026abc"


def run(pool, cmdlet: str, **params):
    """One cmdlet with typed parameters; (output, errors, PowerShell)."""
    ps = PowerShell(pool)
    ps.add_cmdlet(cmdlet)
    for name, value in params.items():
        ps.add_parameter(name, value)
    output = ps.invoke()
    return output, ps.streams.error, ps


def secure(pool, value: str):
    return pool.serialize(value, ObjectMeta("SS"))


def new_user_mailbox(lab, pool, **extra):
    alias = lab.unique("u")
    params = {
        "Name": f"Nguyễn Văn {alias}",
        "Alias": alias,
        "UserPrincipalName": f"{alias}@{lab.domain}",
        "Password": secure(pool, PASSWORD),
        "OrganizationalUnit": lab.managed_ou,
        "FirstName": "Văn",
        "LastName": "Nguyễn",
    }
    output, errors, _ = run(pool, "New-Mailbox", **{**params, **extra})
    assert errors == [], [str(e) for e in errors]
    return output[0].adapted_properties


def new_shared_mailbox(lab, pool):
    alias = lab.unique("s")
    params = {"Name": f"Hộp thư {alias}", "Alias": alias, "OrganizationalUnit": lab.managed_ou}
    output, errors, _ = run(pool, "New-Mailbox", Shared=True, **params)
    assert errors == [], [str(e) for e in errors]
    return output[0].adapted_properties


def ldap_entry(ldap, dn: str, *attributes: str) -> dict:
    ldap.search(dn, "(objectClass=*)", BASE, attributes=list(attributes))
    return {k: v for k, v in ldap.response[0]["raw_attributes"].items()}


def test_pool_opens_and_lists_databases(pool):
    output, errors, _ = run(pool, "Get-MailboxDatabase")
    assert errors == []
    assert [o.adapted_properties["Name"] for o in output] == ["DB01", "DB02"]
    assert output[0].adapted_properties["ProhibitSendQuota"] == "2 GB (2,147,483,648 bytes)"


def test_wrong_password_is_refused(exchange_lab):
    wsman = exchange_lab.wsman(password="not-the-password")
    with pytest.raises(AuthenticationError):
        RunspacePool(wsman, configuration_name=exchange_lab.configuration).open()


def test_mailbox_lifecycle(exchange_lab, pool, ldap):
    created = new_user_mailbox(exchange_lab, pool, ResetPasswordOnNextLogon=True)
    alias, dn = created["Alias"], created["DistinguishedName"]
    assert created["PrimarySmtpAddress"] == f"{alias}@{exchange_lab.domain}"
    assert created["RecipientTypeDetails"] == "UserMailbox"
    assert created["Database"] in ("DB01", "DB02")

    # -Identity by alias, address, UPN, name, DN and GUID all name the same mailbox.
    for identity in (
        alias,
        created["PrimarySmtpAddress"],
        created["UserPrincipalName"],
        created["Name"],
        dn,
        str(created["ExchangeGuid"]),
    ):
        output, errors, _ = run(pool, "Get-Mailbox", Identity=identity)
        assert errors == [] and output[0].adapted_properties["DistinguishedName"] == dn, identity

    # What LDAP readers see is what the cmdlet did.
    entry = ldap_entry(
        ldap, dn, "userAccountControl", "pwdLastSet", "whenCreated", "sAMAccountName", "mailNickname"
    )
    assert entry["userAccountControl"] == [b"512"]
    assert entry["pwdLastSet"] == [b"0"]  # ResetPasswordOnNextLogon $true
    assert entry["mailNickname"] == [alias.encode()]

    _, errors, _ = run(
        pool,
        "Set-Mailbox",
        Identity=alias,
        UseDatabaseQuotaDefaults=False,
        IssueWarningQuota="1.5GB",
        ProhibitSendQuota="2 GB",
        ProhibitSendReceiveQuota="2147483648",
        MaxSendSize="27MB",
        ForwardingSmtpAddress="smtp:someone@example.org",
        DeliverToMailboxAndForward=True,
    )
    assert errors == [], [str(e) for e in errors]
    mailbox = run(pool, "Get-Mailbox", Identity=alias)[0][0].adapted_properties
    assert mailbox["UseDatabaseQuotaDefaults"] is False
    assert mailbox["IssueWarningQuota"] == "1.5 GB (1,610,612,736 bytes)"
    assert mailbox["ProhibitSendReceiveQuota"] == "2 GB (2,147,483,648 bytes)"
    assert mailbox["MaxSendSize"] == "27 MB (28,311,552 bytes)"
    assert mailbox["ForwardingSmtpAddress"] == "smtp:someone@example.org"
    _, errors, _ = run(pool, "Set-Mailbox", Identity=alias, ForwardingSmtpAddress=None)
    assert (
        errors == []
        and run(pool, "Get-Mailbox", Identity=alias)[0][0].adapted_properties["ForwardingSmtpAddress"] is None
    )

    # Disable keeps the AD user and leaves a disconnected mailbox.
    _, errors, _ = run(pool, "Disable-Mailbox", Identity=alias, Confirm=False)
    assert errors == []
    _, errors, _ = run(pool, "Get-Mailbox", Identity=alias)
    assert "couldn't be found" in str(errors[0])
    user = run(pool, "Get-User", Identity=dn)[0][0].adapted_properties
    assert user["RecipientTypeDetails"] == "User" and user["FirstName"] == "Văn"
    stats = run(pool, "Get-MailboxStatistics", Database=created["Database"])[0]
    disconnected = [
        s.adapted_properties for s in stats if s.adapted_properties["MailboxGuid"] == created["ExchangeGuid"]
    ]
    assert disconnected and disconnected[0]["DisconnectDate"] is not None

    # Connect-Mailbox attaches the same mailbox again.
    _, errors, _ = run(
        pool,
        "Connect-Mailbox",
        Identity=str(created["ExchangeGuid"]),
        Database=created["Database"],
        User=dn,
        Alias=alias,
    )
    assert errors == [], [str(e) for e in errors]
    again = run(pool, "Get-Mailbox", Identity=alias)[0][0].adapted_properties
    assert again["ExchangeGuid"] == created["ExchangeGuid"] and again["UseDatabaseQuotaDefaults"] is True

    # Remove-Mailbox deletes the AD user too.
    _, errors, _ = run(pool, "Remove-Mailbox", Identity=alias, Confirm=False)
    assert errors == []
    assert ldap.search(dn, "(objectClass=*)", BASE) is False


def test_shared_mailbox_has_a_disabled_account(exchange_lab, pool, ldap):
    mailbox = new_shared_mailbox(exchange_lab, pool)
    assert mailbox["RecipientTypeDetails"] == "SharedMailbox"
    uac = int(ldap_entry(ldap, mailbox["DistinguishedName"], "userAccountControl")["userAccountControl"][0])
    assert uac & 0x2


@pytest.mark.parametrize(
    ("cmdlet", "params", "error_id", "text"),
    [
        (
            "Get-Mailbox",
            {"NoSuchParameter": "x"},
            "NamedParameterNotFound,Get-Mailbox",
            "A parameter cannot be found",
        ),
        (
            "Get-MailboxStatistics",
            {"Identity": "x", "Database": "DB01"},
            "AmbiguousParameterSet,Get-MailboxStatistics",
            "Parameter set cannot be resolved",
        ),
        (
            "New-Mailbox",
            {"Name": "x", "UserPrincipalName": "x@danang.gov.vn"},
            "MissingMandatoryParameter,New-Mailbox",
            "missing mandatory parameters: Password",
        ),
        (
            "New-Mailbox",
            {"Name": "x", "UserPrincipalName": "x@danang.gov.vn", "Password": PASSWORD},
            "ParameterArgumentTransformationError,New-Mailbox",
            'to type "System.Security.SecureString"',
        ),
        (
            "Set-Mailbox",
            {"Identity": "x", "ProhibitSendQuota": "lots"},
            "ParameterArgumentTransformationError,Set-Mailbox",
            "Cannot process argument transformation",
        ),
        (
            "Set-Mailbox",
            {"Identity": "x", "HiddenFromAddressListsEnabled": "true"},
            "ParameterArgumentTransformationError,Set-Mailbox",
            "Boolean parameters accept only Boolean values",
        ),
        ("Get-Process", {}, "CommandNotFoundException", "is not recognized as the name of a cmdlet"),
        ("Disable-Mailbox", {"Identity": "x"}, "HostException", "does not support user interaction"),
    ],
)
def test_binding_refusals_fail_the_pipeline(pool, cmdlet, params, error_id, text):
    output, errors, ps = run(pool, cmdlet, **params)
    assert ps.state == PSInvocationState.FAILED and output == []
    assert errors[-1].fq_error == error_id and text in str(errors[-1])


def test_script_text_is_refused_in_no_language_mode(pool):
    ps = PowerShell(pool)
    ps.add_script("Get-Mailbox | Remove-Mailbox -Confirm:$false")
    assert ps.invoke() == [] and ps.state == PSInvocationState.FAILED
    assert ps.streams.error[-1].fq_error == "ScriptsNotAllowed"
    assert "no-language mode" in str(ps.streams.error[-1])


def test_exchange_refusals_are_error_records(exchange_lab, pool):
    first = new_user_mailbox(exchange_lab, pool)
    _, errors, ps = run(
        pool,
        "New-Mailbox",
        Name=exchange_lab.unique("n"),
        Alias=first["Alias"],
        UserPrincipalName=f"{exchange_lab.unique('p')}@{exchange_lab.domain}",
        Password=secure(pool, PASSWORD),
        OrganizationalUnit=exchange_lab.managed_ou,
    )
    assert ps.state == PSInvocationState.COMPLETED and "already being used" in str(errors[0])
    _, errors, _ = run(
        pool,
        "Set-Mailbox",
        Identity=first["Alias"],
        IssueWarningQuota="5GB",
        ProhibitSendQuota="2GB",
        ProhibitSendReceiveQuota="4GB",
    )
    assert "must be less than or equal to" in str(errors[0])
    _, errors, ps = run(pool, "Set-Mailbox", Identity=first["Alias"], PrimarySmtpAddress="a@elsewhere.vn")
    assert ps.state == PSInvocationState.COMPLETED and "isn't an accepted domain" in str(errors[0])
    _, errors, _ = run(
        pool,
        "New-Mailbox",
        Name=exchange_lab.unique("n"),
        Alias="Nguyễn",
        UserPrincipalName=f"{exchange_lab.unique('p')}@{exchange_lab.domain}",
        Password=secure(pool, PASSWORD),
    )
    assert "isn't valid" in str(errors[0])
    _, errors, _ = run(
        pool,
        "New-Mailbox",
        Name=exchange_lab.unique("n"),
        SamAccountName="a" * 21,
        UserPrincipalName=f"{exchange_lab.unique('p')}@{exchange_lab.domain}",
        Password=secure(pool, PASSWORD),
    )
    assert "The maximum length is 20" in str(errors[0])


def test_non_terminating_error_lets_the_pipeline_go_on_unless_stop(pool):
    ps = PowerShell(pool)
    ps.add_cmdlet("Get-Mailbox").add_parameter("Identity", "nobody-here")
    ps.add_statement()
    ps.add_cmdlet("Get-AcceptedDomain")
    output = ps.invoke()
    assert ps.state == PSInvocationState.COMPLETED and len(ps.streams.error) == 1 and output

    ps = PowerShell(pool)
    ps.add_cmdlet("Get-Mailbox").add_parameter("Identity", "nobody-here").add_parameter("ErrorAction", "Stop")
    ps.add_statement()
    ps.add_cmdlet("Get-AcceptedDomain")
    assert ps.invoke() == [] and ps.state == PSInvocationState.FAILED


def test_batch_mode_runs_the_statements_after_an_error_of_any_kind(exchange_lab, pool):
    """Batch mode (statements of one pipeline, PowerShell.AddStatement): Exchange's task errors are
    non-terminating, and a terminating one (a binding error) ends only its statement; the error goes
    to the error stream and the next statement runs, unless -ErrorAction Stop turned an error into
    ActionPreferenceStopException (PowerShell/PowerShell, src/System.Management.Automation/engine/
    hostifaces/PowerShell.cs: BatchInvocationWorkItem, BatchInvocationCallback). Task error ids carry
    Exchange's prefix, as in the on-premises capture at
    learn.microsoft.com/en-us/answers/questions/385228 ("[Server=EMAIL,RequestId=d85a204a-…,
    TimeStamp=05.05.2021 11:47:43] [FailureCategory=Cmdlet-ADOperationException] 268CEFB0,
    Microsoft.Exchange.Management.RecipientTasks.EnableMailbox")."""
    first, second = new_user_mailbox(exchange_lab, pool), new_user_mailbox(exchange_lab, pool)
    ps = PowerShell(pool)
    ps.add_cmdlet("Set-Mailbox").add_parameter("Identity", first["Alias"])
    ps.add_parameter("CustomAttribute1", "c" * 1025).add_statement()  # binding: terminating
    ps.add_cmdlet("Get-Mailbox").add_parameter("Identity", "nobody-here").add_statement()  # not found
    ps.add_cmdlet("Set-Mailbox").add_parameter("Identity", first["Alias"])
    ps.add_parameter("Alias", second["Alias"]).add_statement()  # taken: already exists
    ps.add_cmdlet("Set-Mailbox").add_parameter("Identity", first["Alias"]).add_parameter(
        "CustomAttribute3", "ran"
    )
    ps.add_statement()
    ps.add_cmdlet("Get-Mailbox").add_parameter("Identity", first["Alias"])
    output = ps.invoke()
    assert ps.state == PSInvocationState.COMPLETED, [str(e) for e in ps.streams.error]
    assert output[0].adapted_properties["CustomAttribute3"] == "ran"
    ids = [e.fq_error for e in ps.streams.error]
    assert ids[0] == "ParameterBindingFailed,Set-Mailbox" and len(ids) == 3
    stamped = (
        r"^\[Server=EXLAB01,RequestId=[0-9a-f-]{36},"
        r"TimeStamp=\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d\d:\d\d [AP]M\] "
    )
    assert re.match(
        stamped + r"\[FailureCategory=Cmdlet-ManagementObjectNotFoundException\] [0-9A-F]{8},", ids[1]
    )
    assert re.match(stamped + r"\[FailureCategory=Cmdlet-\w+\] [0-9A-F]{8},.*SetMailbox$", ids[2])

    ps = PowerShell(pool)
    ps.add_cmdlet("Get-Mailbox").add_parameter("Identity", "nobody-here").add_parameter("ErrorAction", "Stop")
    ps.add_statement()
    ps.add_cmdlet("Set-Mailbox").add_parameter("Identity", first["Alias"]).add_parameter(
        "CustomAttribute3", "not"
    )
    ps.invoke()
    assert ps.state == PSInvocationState.FAILED
    assert (
        run(pool, "Get-Mailbox", Identity=first["Alias"])[0][0].adapted_properties["CustomAttribute3"]
        == "ran"
    )


def test_control_clock_logon_and_statistics(exchange_lab, pool, ldap):
    mailbox = new_user_mailbox(exchange_lab, pool)
    control = exchange_lab.control()
    when = datetime(2026, 1, 5, 8, 30, tzinfo=UTC)
    control.simulate_logon(mailbox["Alias"], when)
    control.set_mailbox_usage(mailbox["Alias"], 2_100_000_000, 1234)
    entry = ldap_entry(ldap, mailbox["DistinguishedName"], "lastLogonTimestamp")
    filetime = int((when - datetime(1601, 1, 1, tzinfo=UTC)).total_seconds()) * 10_000_000
    assert int(entry["lastLogonTimestamp"][0]) == filetime
    stats = run(pool, "Get-MailboxStatistics", Identity=mailbox["Alias"])[0][0].adapted_properties
    assert stats["ItemCount"] == 1234 and stats["StorageLimitStatus"] == "IssueWarning"
    assert stats["TotalItemSize"] == "1.956 GB (2,100,000,000 bytes)"
    assert str(stats["LastLogonTime"]).startswith("2026-01-05")


def test_faults_and_throttling(exchange_lab, pool):
    control = exchange_lab.control()
    try:
        control.inject_fault(fail_nth_cmdlet=1, fail_cmdlet="Get-AcceptedDomain")
        _, errors, ps = run(pool, "Get-AcceptedDomain")
        assert ps.state == PSInvocationState.COMPLETED and "temporarily unavailable" in str(errors[0])

        control.set_throttling(max_concurrency=1)
        with pytest.raises(WSManFaultError, match="maximum number of 1 concurrent shells"):
            RunspacePool(exchange_lab.wsman(), configuration_name=exchange_lab.configuration).open()
        control.clear_faults()

        other = RunspacePool(exchange_lab.wsman(), configuration_name=exchange_lab.configuration)
        other.open()
        control.inject_fault(drop_next_pipeline=True)
        with pytest.raises(requests.exceptions.ConnectionError):
            run(other, "Get-AcceptedDomain")
        # The session died with the connection, as when Exchange's app pool recycles.
        with pytest.raises(WSManFaultError, match="shell was not found"):
            run(other, "Get-AcceptedDomain")
    finally:
        control.clear_faults()


def test_organization_settings(exchange_lab, pool):
    name = exchange_lab.unique("d")
    _, errors, _ = run(
        pool, "New-AcceptedDomain", Name=name, DomainName=f"{name}.example.vn", DomainType="InternalRelay"
    )
    assert errors == []
    assert f"{name}.example.vn" in [
        d.adapted_properties["DomainName"] for d in run(pool, "Get-AcceptedDomain")[0]
    ]
    default = run(pool, "Get-RemoteDomain", Identity="Default")[0][0].adapted_properties
    assert default["AutoForwardEnabled"] is False
    _, errors, _ = run(pool, "Set-TransportConfig", MaxSendSize="27MB", MaxReceiveSize="27MB")
    assert errors == [] and run(pool, "Get-TransportConfig")[0][0].adapted_properties[
        "MaxSendSize"
    ].startswith("27 MB")
    _, errors, _ = run(
        pool,
        "New-TransportRule",
        Name=name,
        FromScope="InOrganization",
        SentToScope="NotInOrganization",
        MessageTypeMatches="AutoForward",
        RejectMessageEnhancedStatusCode="5.7.1",
        RejectMessageReasonText="Forwarding outside the city is not allowed (R-50).",
    )
    assert errors == []
    rule = run(pool, "Get-TransportRule", Identity=name)[0][0].adapted_properties
    assert rule["MessageTypeMatches"] == "AutoForward" and rule["State"] == "Enabled"


def test_a_disabled_transport_rule_is_enabled_again_by_the_clients_invocation(exchange_lab, pool):
    """State is not a Set-TransportRule parameter (shared/reference/exchange-cmdlets.json): the
    organisation plan re-enables the R-50 rule with Enable-TransportRule, as Exchange requires
    (learn.microsoft.com/powershell/module/exchange/enable-transportrule)."""
    name = exchange_lab.unique("r")
    assert run(pool, "New-TransportRule", Name=name, MessageTypeMatches="AutoForward")[1] == []
    assert run(pool, "Disable-TransportRule", Identity=name)[1] == []
    rule = run(pool, "Get-TransportRule", Identity=name)[0][0].adapted_properties
    assert rule["State"] == "Disabled"
    settings = SimpleNamespace(rule=lambda: {"MessageTypeMatches": "AutoForward"}, forward_rule_name=name)
    (change,) = _rule_changes(settings, rule)
    transport = ExchangeTransport(connection(exchange_lab))
    try:
        outcomes = transport.run(change.invocations)
    finally:
        transport.close()
    assert [(o.invocation.cmdlet, o.status) for o in outcomes] == [("Enable-TransportRule", OK)]
    assert run(pool, "Get-TransportRule", Identity=name)[0][0].adapted_properties["State"] == "Enabled"
