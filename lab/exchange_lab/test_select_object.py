"""``Get-Mailbox | Select-Object -Property …`` as PowerShell answers it (no server).

Source: src/Microsoft.PowerShell.Commands.Utility/commands/utility/Select-Object.cs in
PowerShell/PowerShell — ProcessParameter ("allow 'Select-Object -Property noexist-name' to return a
PSObject with property noexist-name, unless noexist-name itself contains wildcards") and
SetPSCustomObject (type name ``"Selected." + InputObject.BaseObject.GetType()``).
"""

from __future__ import annotations

import pytest

from exchange_lab.clock import CITY_ZONE
from exchange_lab.cmdlets.errors import CmdletError
from exchange_lab.cmdlets.objects import mailbox_object
from exchange_lab.cmdlets.organization import DATABASES
from exchange_lab.cmdlets.select import select_object
from exchange_lab.test_objects import ENTRY, _client_record, _clixml


@pytest.fixture(scope="module")
def mailbox():
    return mailbox_object(ENTRY, DATABASES["DB01"], CITY_ZONE)


def test_selected_properties_in_the_order_asked_with_the_objects_spelling(mailbox):
    (selected,) = select_object(
        [("Property", ["primarysmtpaddress", "EmailAddresses", "NoSuchProperty", "CustomAttribute1?"])],
        [mailbox],
    )
    names = [p.name for p in selected.PSObject.extended_properties]
    assert names[:3] == ["PrimarySmtpAddress", "EmailAddresses", "NoSuchProperty"]
    assert sorted(names[3:]) == [f"CustomAttribute1{n}" for n in range(6)]  # the wildcard's matches
    assert selected.PSObject.type_names == [
        "Selected.Microsoft.Exchange.Data.Directory.Management.Mailbox",
        "System.Management.Automation.PSCustomObject",
        "System.Object",
    ]
    record = _client_record(_clixml(selected))
    assert record["NoSuchProperty"] is None and record["PrimarySmtpAddress"] == "dungnv@danang.gov.vn"
    assert record["EmailAddresses"] == ["SMTP:dungnv@danang.gov.vn", "smtp:dung.nv@danang.gov.vn"]


def test_a_wildcard_matching_nothing_gives_nothing_and_positional_property_binds(mailbox):
    (selected,) = select_object([(None, ["Alias", "Zzz*"])], [mailbox])
    assert _client_record(_clixml(selected)) == {"Alias": "dungnv"}


def test_a_selected_read_is_a_fraction_of_the_whole_object(mailbox):
    (selected,) = select_object([("Property", ["PrimarySmtpAddress", "EmailAddresses", "Name"])], [mailbox])
    assert len(_clixml(selected)) * 10 < len(_clixml(mailbox))


def test_unmodelled_parameters_are_refused_and_no_property_passes_objects_through(mailbox):
    with pytest.raises(CmdletError, match="parameter name 'First'"):
        select_object([("First", 1)], [mailbox])
    assert select_object([], [mailbox]) == [mailbox]
