# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SOAP 1.1 plumbing of the lab's EWS endpoint: safe parsing, the errors EWS answers with, and the
small schema checks that stand in for Exchange's XSD validation of the parts the lab reads.

Requests are parsed with DTDs, entities and network access refused (a DOCTYPE alone is refused, as
Exchange's XML reader does), so a hostile request cannot expand or fetch anything.
"""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
MNS = "http://schemas.microsoft.com/exchange/services/2006/messages"
TNS = "http://schemas.microsoft.com/exchange/services/2006/types"
ENS = "http://schemas.microsoft.com/exchange/services/2006/errors"
NSMAP = {"s": SOAP, "m": MNS, "t": TNS}

# Exchange 2016 CU23 as it reports itself; exchangelib keeps its requested version for "V2017_07_11".
SERVER_VERSION = {
    "MajorVersion": "15",
    "MinorVersion": "1",
    "MajorBuildNumber": "2507",
    "MinorBuildNumber": "6",
    "Version": "V2017_07_11",
}
REQUEST_VERSIONS = frozenset(
    {
        "Exchange2007",
        "Exchange2007_SP1",
        "Exchange2010",
        "Exchange2010_SP1",
        "Exchange2010_SP2",
        "Exchange2013",
        "Exchange2013_SP1",
        "Exchange2016",
        "V2015_10_05",
        "V2016_01_06",
        "V2016_04_13",
        "V2016_07_13",
        "V2016_10_10",
        "V2017_01_07",
        "V2017_04_14",
        "V2017_07_11",
    }
)

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)


class SchemaError(Exception):
    """The request breaks the EWS schema: Exchange answers with an ErrorSchemaValidation fault."""


class Fault(Exception):
    """An error Exchange reports as a SOAP fault (impersonation, authorisation, unknown operation)."""

    def __init__(self, code: str, text: str):
        super().__init__(text)
        self.code = code
        self.text = text


class ResponseError(Exception):
    """An error Exchange reports in the operation's response message (ResponseClass="Error")."""

    def __init__(self, code: str, text: str):
        super().__init__(text)
        self.code = code
        self.text = text


def invalid_child(parent: etree._Element | str, child: etree._Element) -> SchemaError:
    parent_name = parent if isinstance(parent, str) else etree.QName(parent).localname
    return SchemaError(
        f"The element '{parent_name}' has invalid child element '{etree.QName(child).localname}'."
    )


def _invalid_value(elem: etree._Element, value: str, datatype: str) -> SchemaError:
    name = etree.QName(elem).localname
    return SchemaError(
        f"The '{name}' element is invalid - The value '{value}' is invalid for type '{datatype}'."
    )


def m(tag: str) -> str:
    return f"{{{MNS}}}{tag}"


def t(tag: str) -> str:
    return f"{{{TNS}}}{tag}"


def parse(body: bytes) -> etree._Element:
    if not body.strip():
        raise SchemaError("The request is empty.")
    try:
        doc = etree.fromstring(body, _PARSER).getroottree()
    except etree.XMLSyntaxError as e:
        raise SchemaError(f"The request is not well-formed XML: {e.msg}") from None
    if doc.docinfo.doctype or doc.docinfo.internalDTD is not None:
        raise SchemaError("For security reasons DTD is prohibited in this XML document.")
    return doc.getroot()


def children(elem: etree._Element, order: Iterable[str], ns: str = TNS) -> dict[str, etree._Element]:
    """The element's children by local name, checked like an xs:sequence of optional elements:
    names from ``order`` only, each at most once, in that order."""
    order = list(order)
    found: dict[str, etree._Element] = {}
    last = -1
    for child in elem:
        if not isinstance(child.tag, str):
            continue
        qname = etree.QName(child)
        if qname.namespace != ns or qname.localname not in order or order.index(qname.localname) <= last:
            raise invalid_child(elem, child)
        index = order.index(qname.localname)
        last = index
        found[qname.localname] = child
    return found


def require(found: dict[str, etree._Element], parent: str, *names: str) -> None:
    for name in names:
        if name not in found:
            raise SchemaError(f"The element '{parent}' has incomplete content. Expected: '{name}'.")


def boolean(elem: etree._Element) -> bool:
    text = (elem.text or "").strip()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise _invalid_value(elem, text, "Boolean")


def integer(elem: etree._Element) -> int:
    text = (elem.text or "").strip()
    try:
        return int(text)
    except ValueError:
        raise _invalid_value(elem, text, "Int") from None


def text(elem: etree._Element | None) -> str:
    return "" if elem is None else (elem.text or "")


def sub(parent: etree._Element, tag: str, value: str | None = None, **attrs: str) -> etree._Element:
    elem = etree.SubElement(parent, tag, attrs)
    if value is not None:
        elem.text = value
    return elem


def response_message(tag: str, error: ResponseError | None = None) -> etree._Element:
    """A ``<m:…ResponseMessage>`` (or single ``<m:…Response>``) with its ResponseClass and code."""
    elem = etree.Element(m(tag), ResponseClass="Error" if error else "Success", nsmap={"m": MNS, "t": TNS})
    if error:
        sub(elem, m("MessageText"), error.text)
        sub(elem, m("ResponseCode"), error.code)
        sub(elem, m("DescriptiveLinkKey"), "0")
    else:
        sub(elem, m("ResponseCode"), "NoError")
    return elem


def envelope(content: etree._Element) -> bytes:
    env = etree.Element(etree.QName(SOAP, "Envelope"), nsmap={"s": SOAP})
    header = sub(env, etree.QName(SOAP, "Header"))
    etree.SubElement(header, t("ServerVersionInfo"), SERVER_VERSION, nsmap={"h": TNS})
    sub(env, etree.QName(SOAP, "Body")).append(content)
    return etree.tostring(env, xml_declaration=True, encoding="utf-8")


def fault(code: str, text: str, violation: str | None = None) -> bytes:
    """A SOAP fault as Exchange sends it (HTTP 500): the code in ``detail`` is what clients read."""
    env = etree.Element(etree.QName(SOAP, "Envelope"), nsmap={"s": SOAP})
    body = sub(env, etree.QName(SOAP, "Body"))
    flt = sub(body, etree.QName(SOAP, "Fault"))
    faultcode = etree.SubElement(flt, "faultcode", nsmap={"a": TNS})
    faultcode.text = f"a:{code}"
    sub(flt, "faultstring", text).set("{http://www.w3.org/XML/1998/namespace}lang", "en-US")
    detail = sub(flt, "detail")
    etree.SubElement(detail, f"{{{ENS}}}ResponseCode", nsmap={"e": ENS}).text = code
    etree.SubElement(detail, f"{{{ENS}}}Message", nsmap={"e": ENS}).text = text
    if violation:
        xml = etree.SubElement(detail, t("MessageXml"), nsmap={"t": TNS})
        sub(xml, t("Violation"), violation)
    return etree.tostring(env, xml_declaration=True, encoding="utf-8")
