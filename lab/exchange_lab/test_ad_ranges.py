"""AD's ranged retrieval in the lab's LDAP front (ad_ranges.py), without servers: which requests are
rewritten for slapd and how an entry's values are cut.

Sources: "Attribute Range Retrieval",
https://learn.microsoft.com/en-us/windows/win32/adsi/attribute-range-retrieval (``range=<low>-<high>``,
``*`` for the rest, zero-based, subject to the server's limit); MaxValRange, default 1,500 values:
https://learn.microsoft.com/en-us/troubleshoot/windows-server/active-directory/view-set-ldap-policy-using-ntdsutil
and MS-ADTS 3.1.1.3.4.6 LDAP Policies,
https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-adts/3f0137a1-63df-400c-bf97-e1040f055a99 .
"""

from __future__ import annotations

import io

from ldap3.operation.search import search_operation
from ldap3.protocol.rfc4511 import (
    LDAPMessage,
    MessageID,
    PartialAttribute,
    PartialAttributeList,
    ProtocolOp,
    SearchResultEntry,
    Vals,
)
from pyasn1.codec.ber import decoder, encoder

from exchange_lab.ad_ranges import (
    MAX_VAL_RANGE,
    SEARCH_ENTRY,
    SEARCH_REQUEST,
    cut,
    message_id_and_op,
    read_message,
    rewrite_entry,
    rewrite_request,
)

GROUP = "CN=Big,OU=DanangMail,DC=danang,DC=gov,DC=vn"
MEMBERS = [f"CN=u{i:04},OU=DanangMail,DC=danang,DC=gov,DC=vn".encode() for i in range(3200)]


def message(message_id: int, name: str, op) -> bytes:
    wrapped = LDAPMessage()
    wrapped["messageID"] = MessageID(message_id)
    protocol_op = ProtocolOp()
    protocol_op[name] = op
    wrapped["protocolOp"] = protocol_op
    return encoder.encode(wrapped)


def search(message_id: int, *attributes: str) -> bytes:
    op = search_operation(GROUP, "(objectClass=*)", 0, 0, list(attributes), 0, 0, False, None, False)
    return message(message_id, "searchRequest", op)


def entry(message_id: int, **attributes: list[bytes]) -> bytes:
    found = SearchResultEntry()
    found["object"] = GROUP
    found["attributes"] = PartialAttributeList()
    for position, (name, values) in enumerate(attributes.items()):
        attribute = PartialAttribute()
        attribute["type"] = name
        attribute["vals"] = Vals().setComponents(*values)
        found["attributes"].setComponentByPosition(position, attribute)
    return message(message_id, "searchResEntry", found)


def attributes(encoded: bytes) -> dict[str, list[bytes]]:
    decoded, _ = decoder.decode(encoded, asn1Spec=LDAPMessage())
    found = decoded["protocolOp"].getComponent()["attributes"]
    return {str(a["type"]): [bytes(v) for v in a["vals"]] for a in found}


def test_messages_are_framed_and_typed_without_decoding():
    small, large = search(7, "member"), entry(300, member=MEMBERS)  # short and long BER lengths
    stream = io.BytesIO(small + large + small[:5])
    assert read_message(stream) == small
    assert read_message(stream) == large
    assert read_message(stream) is None  # cut short: the connection ended
    assert message_id_and_op(small) == (7, SEARCH_REQUEST)
    assert message_id_and_op(large) == (300, SEARCH_ENTRY)


def test_a_range_request_asks_slapd_for_the_whole_attribute():
    rewritten, ranges = rewrite_request(search(3, "member;range=1500-*", "cn", "proxyAddresses;Range=0-9"))
    decoded, _ = decoder.decode(rewritten, asn1Spec=LDAPMessage())
    assert [str(a) for a in decoded["protocolOp"].getComponent()["attributes"]] == [
        "member",
        "cn",
        "proxyAddresses",
    ]
    assert ranges == {"member": (1500, None), "proxyaddresses": (0, 9)}
    plain = search(4, "member")
    assert rewrite_request(plain) == (plain, {})


def test_more_than_max_val_range_values_come_as_ranges_named_as_ad_names_them():
    assert MAX_VAL_RANGE == 1500
    assert cut(MEMBERS, 0, None) == ("0-1499", MEMBERS[:1500])
    assert cut(MEMBERS, 1500, None) == ("1500-2999", MEMBERS[1500:3000])
    assert cut(MEMBERS, 3000, None) == ("3000-*", MEMBERS[3000:])  # the last part ends with *
    assert cut(MEMBERS, 10, 19) == ("10-19", MEMBERS[10:20])
    assert cut(MEMBERS[:5], 0, 99) == ("0-*", MEMBERS[:5])


def test_an_entry_is_cut_unasked_beyond_max_val_range_and_to_the_asked_range():
    few = [b"smtp:a@danang.gov.vn"]
    assert attributes(rewrite_entry(entry(5, member=MEMBERS, proxyAddresses=few), {})) == {
        "member;range=0-1499": MEMBERS[:1500],
        "proxyAddresses": few,
    }
    asked = rewrite_entry(entry(6, member=MEMBERS), {"member": (3000, None)})
    assert attributes(asked) == {"member;range=3000-*": MEMBERS[3000:]}
    small = entry(8, member=MEMBERS[:10])
    assert rewrite_entry(small, {}) == small  # within the limit: byte for byte
