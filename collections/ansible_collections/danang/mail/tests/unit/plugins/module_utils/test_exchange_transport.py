# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The PSRP transport without a server: typed invocations, secrets kept out of text, and how error
records of one multi-statement pipeline are attributed to the invocation they belong to."""

from __future__ import annotations

import pytest

pytest.importorskip("pypsrp")

from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.clixml import to_record
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import (
    Invocation,
    PsError,
    Secret,
    attribute,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.transport import (
    ExchangeConnection,
    ExchangeError,
    ExchangeTransport,
    error_from_record,
    quota_wait,
)
from pypsrp.complex_objects import ErrorRecord, GenericComplexObject
from pypsrp.serializer import Serializer
from pypsrp.wsman import WSMan

BATCH = [
    Invocation.of(
        "New-Mailbox", {"Name": "Đỗ Thị O\u2019Anh (oanhdt)", "Alias": "oanhdt"}, "oanhdt@danang.gov.vn"
    ),
    Invocation.of("Set-Mailbox", {"Identity": "oanhdt@danang.gov.vn"}, "oanhdt@danang.gov.vn"),
    Invocation.of("New-Mailbox", {"Name": "An (an)", "Alias": "an"}, "an@danang.gov.vn"),
    Invocation.of("Set-Mailbox", {"Identity": "an@danang.gov.vn"}, "an@danang.gov.vn"),
]


def test_secrets_never_in_text() -> None:
    invocation = Invocation.of("New-Mailbox", {"Name": "x", "Password": Secret("Pw-1234567890!")})
    assert "Pw-" not in repr(invocation) and "Pw-" not in str(invocation)
    connection = ExchangeConnection("mail.danang.gov.vn", username="svc", password="Pw-1234567890!")
    assert "Pw-" not in repr(connection)


def test_errors_go_to_the_invocation_they_name() -> None:
    by_bound = PsError("already exists", bound=("an",), command="New-Mailbox")
    by_target = PsError("refused", target="oanhdt@danang.gov.vn", command="Set-Mailbox")
    by_text = PsError('The proxy address "SMTP:an@danang.gov.vn" is already being used')
    not_inside = PsError("dan@danang.gov.vn is unknown")  # "an@..." is not a token of it
    found, loose = attribute([by_bound, by_target, by_text, not_inside], BATCH)
    keys = {index: [BATCH[index].key for _e in errors] for index, errors in found.items()}
    assert keys == {2: ["an@danang.gov.vn"], 1: ["oanhdt@danang.gov.vn"], 3: ["an@danang.gov.vn"]}
    assert loose == [not_inside]


def test_deserialized_objects_become_plain_records() -> None:
    database = GenericComplexObject()
    database.to_string = "DB01"
    mailbox = GenericComplexObject()
    mailbox.adapted_properties = {
        "Alias": "an",
        "Database": database,
        "EmailAddresses": ["SMTP:an@danang.gov.vn"],
    }
    assert to_record(mailbox) == {
        "Alias": "an",
        "Database": "DB01",
        "EmailAddresses": ["SMTP:an@danang.gov.vn"],
    }


# Get-Mailbox as Exchange 2016 serialises it (abridged; the shape of the capture published in
# 3gstudent/3gstudent.github.io, _posts/---2022-10-1-pypsrp在Exchange Powershell下的优化.md): EmailAddresses
# is a ProxyAddressCollection object wrapping <LST>, without ToString.
PROXY = (
    "Microsoft.Exchange.Data.ProxyAddress, Microsoft.Exchange.Data, Version=15.0.0.0, Culture=neutral, "
    "PublicKeyToken=31bf3856ad364e35"
)
EXCHANGE_MAILBOX = f"""<Obj RefId="0"><TN RefId="0">
<T>Microsoft.Exchange.Data.Directory.Management.Mailbox</T><T>System.Object</T></TN>
<ToString>An</ToString><Props><S N="Alias">an</S>
<Obj N="EmailAddresses" RefId="1"><TN RefId="1"><T>Microsoft.Exchange.Data.ProxyAddressCollection</T>
<T>Microsoft.Exchange.Data.ProxyAddressBaseCollection`1[[{PROXY}]]</T>
<T>Microsoft.Exchange.Data.MultiValuedProperty`1[[{PROXY}]]</T>
<T>Microsoft.Exchange.Data.MultiValuedPropertyBase</T><T>System.Object</T></TN>
<LST><S>SMTP:an@danang.gov.vn</S><S>smtp:an.nguyen@danang.gov.vn</S><S>X500:/o=First Organization</S></LST>
</Obj>
<Obj N="ExtensionCustomAttribute1" RefId="2"><TN RefId="2">
<T>Microsoft.Exchange.Data.MultiValuedProperty`1[[System.String]]</T><T>System.Object</T></TN><LST /></Obj>
</Props></Obj>"""


def test_exchanges_proxy_address_collection_becomes_a_list_of_addresses() -> None:
    """pypsrp's own deserializer leaves the collection's <LST> as raw XML; the record has the list."""
    mailbox = Serializer().deserialize(EXCHANGE_MAILBOX)
    assert isinstance(mailbox.adapted_properties["EmailAddresses"], GenericComplexObject)  # what pypsrp gives
    assert to_record(mailbox) == {
        "Alias": "an",
        "EmailAddresses": [
            "SMTP:an@danang.gov.vn",
            "smtp:an.nguyen@danang.gov.vn",
            "X500:/o=First Organization",
        ],
        "ExtensionCustomAttribute1": [],
    }


def test_error_record_reduction() -> None:
    record = ErrorRecord()
    record.details_message = None
    exception = GenericComplexObject()
    exception.adapted_properties = {"Message": "The user an already exists."}
    record.exception = exception
    record.fq_error = "ADObjectAlreadyExists,Microsoft.Exchange.Management.RecipientTasks.NewMailbox"
    record.invocation_name = "New-Mailbox"
    record.invocation_bound_parameters = {"Name": "An (an)", "Alias": "an", "Password": "x"}
    record.target_object = None
    error = error_from_record(record)
    assert error.message == "The user an already exists." and error.command == "New-Mailbox"
    assert set(error.bound) == {"an (an)", "an"}  # only identifying parameters, never the password
    assert attribute([error], BATCH)[0] == {2: [error]}


# Exchange's throttling fault as a WinRM server sends it (the text: c7solutions.com/2010/01/
# restrictive-throttling-policies-in-aspx; the code ERROR_WSMAN_QUOTA_USER 0x803381A7: wsmerror.h as
# copied in PowerShell/PowerShell src/Microsoft.PowerShell.Commands.Management/cimSupport/
# cmdletization/cim/cimChildJobBase.cs; the subcode: [MS-WSMV] 3.1.4.5.2.1 wsman:QuotaLimit).
QUOTA_FAULT = """<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"
 xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"><s:Body><s:Fault>
<s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>w:QuotaLimit</s:Value></s:Subcode></s:Code>
<s:Reason><s:Text xml:lang="en-US">The WS-Management service cannot process the request.</s:Text></s:Reason>
<s:Detail><f:WSManFault Code="2150859175" Machine="ex1.danang.gov.vn"><f:Message>The WS-Management
service cannot process the request. The user load quota of 100 requests per 60 seconds has been
exceeded. Send future requests at a slower rate or raise the quota for this user. The next request
from this user will not be approved for at least 1500 milliseconds.</f:Message></f:WSManFault>
</s:Detail></s:Fault></s:Body></s:Envelope>"""


def test_the_user_load_quota_fault_is_recognised_with_its_millisecond_hint() -> None:
    fault = WSMan._parse_wsman_fault(QUOTA_FAULT)
    assert quota_wait(fault) == 1.5
    other = WSMan._parse_wsman_fault(QUOTA_FAULT.replace("2150859175", "5").replace("user load", "x"))
    assert quota_wait(other) is None
    assert quota_wait(ValueError("The user load quota of 1 requests per 1 seconds")) is None


def test_a_throttled_request_waits_as_asked_and_is_sent_again_beyond_the_retries() -> None:
    """Throttling is not a failure: the waits Exchange asks for do not use up ``retries``."""
    sleeps: list[float] = []
    transport = ExchangeTransport(ExchangeConnection("127.0.0.1", retries=0), sleep=sleeps.append)
    answers: list[object] = [WSMan._parse_wsman_fault(QUOTA_FAULT)] * 3 + ["started"]

    def call() -> object:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert transport._retry("start a pipeline", call) == "started"
    assert sleeps == [1.5, 1.5, 1.5] and transport.throttle_waits == 3
    answers[:] = [WSMan._parse_wsman_fault(QUOTA_FAULT.replace("user load", "x").replace("2150859175", "5"))]
    with pytest.raises(ExchangeError, match="cannot start a pipeline"):
        transport._retry("start a pipeline", call)


def test_an_error_goes_to_the_cmdlet_its_error_id_names() -> None:
    create = Invocation.of("New-Mailbox", {"Name": "Dũng (dungnv)", "Alias": "dungnv"}, "dungnv@x.vn")
    settings = Invocation.of("Set-Mailbox", {"Identity": "dungnv@x.vn"}, "dungnv@x.vn")
    error = PsError(
        message="The operation couldn't be performed because object 'dungnv@x.vn' couldn't be found.",
        error_id="[Server=EX1] [FailureCategory=Cmdlet-X] 66DC,"
        "Microsoft.Exchange.Management.RecipientTasks.SetMailbox",
    )
    found, loose = attribute([error], [create, settings])
    assert found == {1: [error]} and loose == []
