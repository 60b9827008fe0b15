"""The lab's output objects as Exchange 2016 sends them, and the client reading them (no server).

Source of every shape checked here: the Get-Mailbox capture from an Exchange 2016 server (15.1,
Build 2507.6) in 3gstudent/3gstudent.github.io,
``_posts/2022-10-1-pypsrp在Exchange Powershell下的优化.md`` — 228 properties, about 15 KB; type names
ending ADObject, ADRawEntry, ConfigurableObject; ``<S N="ProhibitSendQuota">Unlimited</S>``;
``<S N="RecoverableItemsQuota">30 GB (32,212,254,720 bytes)</S>``; ``<S N="Identity">test.com/Users/
Administrator</S>``; ``<DT N="WhenCreated">2022-10-19T18:10:53-07:00</DT>`` beside
``<DT N="WhenCreatedUTC">2022-10-20T01:10:53Z</DT>``; multi-valued properties as their collection
type wrapping ``<LST>``. Fractions: .NET writes a DateTime's ticks (up to 7 digits) in CLIXML
(PowerShell's serializer uses XmlConvert round-trip format, src/System.Management.Automation/engine/
serialization.cs in PowerShell/PowerShell).
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta, timezone

from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.clixml import to_record
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.render import size_mb
from ansible_collections.danang.mail.plugins.module_utils.times import dotnet_time
from psrpcore.types import PSCryptoProvider, serialize
from pypsrp.serializer import Serializer

from exchange_lab.clock import CITY_ZONE, zone_from_offset
from exchange_lab.cmdlets.mailbox_template import MAILBOX_PROPERTIES
from exchange_lab.cmdlets.objects import mailbox_object, statistics_object
from exchange_lab.cmdlets.organization import DATABASES

EXCHANGE_GUID = uuid.UUID("9b9387fe-e1b1-4695-97bd-b0a0bebe7ce2")
ENTRY = {
    "dn": "CN=Nguyen Van Dung (dungnv),OU=DanangMail,DC=danang,DC=gov,DC=vn",
    "cn": ["Nguyen Van Dung (dungnv)"],
    "displayname": ["Nguyễn Văn Dũng"],
    "mailnickname": ["dungnv"],
    "samaccountname": ["dungnv"],
    "userprincipalname": ["dungnv@danang.gov.vn"],
    "proxyaddresses": ["SMTP:dungnv@danang.gov.vn", "smtp:dung.nv@danang.gov.vn"],
    "mail": ["dungnv@danang.gov.vn"],
    "useraccountcontrol": ["512"],
    "msexchmailboxguid": [EXCHANGE_GUID.bytes_le],
    "objectguid": [uuid.UUID("c07d2fbc-48f5-4a90-b7d7-5ec79d2844b4").bytes_le],
    "msexchrecipienttypedetails": ["1"],
    "mdbusedefaults": ["FALSE"],
    "mdboverhardquotalimit": ["2097152"],  # KB: 2 GB
    "whencreated": ["20261129045913.0Z"],
    "whenchanged": ["20261129045913.0Z"],
    "msexchwhenmailboxcreated": ["20261129045914.0Z"],
    "legacyexchangedn": ["/o=DaNang/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=x"],
}
ROW = {
    "exchange_guid": str(EXCHANGE_GUID),
    "database": "DB01",
    "display_name": "Nguyễn Văn Dũng",
    "legacy_dn": ENTRY["legacyexchangedn"][0],
    "type_details": 1,
    "item_count": 3,
    "total_item_size": 159_449_088,
    "last_logon_time": "2026-11-29T03:00:00.123456+00:00",
    "disconnect_date": None,
    "disconnect_reason": None,
}


def _clixml(obj: object) -> str:
    return ET.tostring(serialize(obj, PSCryptoProvider()), encoding="unicode")


def _props(xml: str) -> dict[str, ET.Element]:
    return {p.get("N"): p for p in ET.fromstring(xml).find("Props")}


def _client_record(xml: str) -> dict:
    """What the client makes of it: pypsrp's deserializer, then clixml.to_record."""
    return to_record(Serializer().deserialize(xml))


def test_a_mailbox_has_every_property_of_exchange_2016_in_its_order_and_size():
    xml = _clixml(mailbox_object(ENTRY, DATABASES["DB01"], CITY_ZONE))
    props = _props(xml)
    assert list(props) == [name for name, _value in MAILBOX_PROPERTIES] and len(props) == 228
    assert 12_000 < len(xml.encode()) < 20_000  # the capture: 15,345 bytes
    names = [t.text for t in ET.fromstring(xml).find("TN")]
    assert names[-4:] == [
        "Microsoft.Exchange.Data.Directory.ADObject",
        "Microsoft.Exchange.Data.Directory.ADRawEntry",
        "Microsoft.Exchange.Data.ConfigurableObject",
        "System.Object",
    ]
    assert props["Identity"].text == "danang.gov.vn/DanangMail/Nguyen Van Dung (dungnv)"
    assert props["OrganizationalUnit"].text == "danang.gov.vn/DanangMail"
    assert (props["ExchangeGuid"].tag, props["ExchangeGuid"].text) == ("G", str(EXCHANGE_GUID))
    assert (props["UseDatabaseQuotaDefaults"].tag, props["UseDatabaseQuotaDefaults"].text) == ("B", "false")
    assert props["ProhibitSendReceiveQuota"].text == "2 GB (2,147,483,648 bytes)"
    assert (props["ProhibitSendQuota"].tag, props["ProhibitSendQuota"].text) == ("S", "Unlimited")
    assert props["RecoverableItemsQuota"].text == "30 GB (32,212,254,720 bytes)"
    assert props["LitigationHoldDate"].tag == "Nil"
    audit = props["AuditAdmin"]
    assert audit.tag == "Obj" and [s.text for s in audit.find("LST")][:2] == ["Update", "Move"]


def test_mailbox_times_are_the_servers_local_time_with_offset_and_the_utc_ones_utc():
    props = _props(_clixml(mailbox_object(ENTRY, DATABASES["DB01"], CITY_ZONE)))
    assert props["WhenCreated"].text == "2026-11-29T11:59:13+07:00"
    assert props["WhenCreatedUTC"].text == "2026-11-29T04:59:13Z"
    assert props["WhenMailboxCreated"].text == "2026-11-29T11:59:14+07:00"
    west = _props(_clixml(mailbox_object(ENTRY, DATABASES["DB01"], zone_from_offset("-07:00"))))
    assert west["WhenCreated"].text == "2026-11-28T21:59:13-07:00"  # the capture's server: UTC-7
    assert zone_from_offset("Z") is UTC and zone_from_offset("+07:00") == timezone(timedelta(hours=7))


def test_statistics_times_carry_offset_and_fractions():
    xml = _clixml(statistics_object(ROW, ENTRY, DATABASES["DB01"], CITY_ZONE))
    props = _props(xml)
    assert props["LastLogonTime"].text == "2026-11-29T10:00:00.123456+07:00"
    assert props["TotalItemSize"].text == "152.1 MB (159,449,088 bytes)"
    assert props["DisconnectDate"].tag == "Nil"


def test_the_client_reads_the_real_shapes():
    record = _client_record(_clixml(mailbox_object(ENTRY, DATABASES["DB01"], CITY_ZONE)))
    assert record["EmailAddresses"] == ["SMTP:dungnv@danang.gov.vn", "smtp:dung.nv@danang.gov.vn"]
    assert record["AuditOwner"] == [] and record["ObjectClass"][-1] == "user"
    assert (
        size_mb(record["ProhibitSendReceiveQuota"]) == 2048 and size_mb(record["ProhibitSendQuota"]) is None
    )
    assert dotnet_time(record["WhenCreated"]) == datetime(2026, 11, 29, 4, 59, 13, tzinfo=UTC)
    stat = _client_record(_clixml(statistics_object(ROW, ENTRY, DATABASES["DB01"], CITY_ZONE)))
    assert dotnet_time(stat["LastLogonTime"]) == datetime(2026, 11, 29, 3, 0, 0, 123456, tzinfo=UTC)
    assert size_mb(stat["TotalItemSize"]) == 152.062
