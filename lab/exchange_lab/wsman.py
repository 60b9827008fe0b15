# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""WS-Management SOAP envelopes ([MS-WSMV]): parse a request, build a response or a fault.

Only what a PSRP client sends is understood: the transfer actions (Create, Delete, Get) and the
shell actions (Command, Send, Receive, Signal). XML from the client is parsed with defusedxml.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from defusedxml.ElementTree import fromstring

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "wsa": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "wsman": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "wsmv": "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd",
    "wsmanfault": "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
    "wst": "http://schemas.xmlsoap.org/ws/2004/09/transfer",
    "cfg": "http://schemas.microsoft.com/wbem/wsman/1/config",
    "pwsh": "http://schemas.microsoft.com/powershell",
    "xml": "http://www.w3.org/XML/1998/namespace",
}
for _prefix, _uri in NS.items():
    if _prefix != "xml":
        ET.register_namespace(_prefix, _uri)

_TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer/"
_SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/"
CREATE, DELETE, GET = _TRANSFER + "Create", _TRANSFER + "Delete", _TRANSFER + "Get"
COMMAND, SEND, RECEIVE, SIGNAL = _SHELL + "Command", _SHELL + "Send", _SHELL + "Receive", _SHELL + "Signal"
RESPONSE_ACTION = {
    CREATE: _TRANSFER + "CreateResponse",
    DELETE: _TRANSFER + "DeleteResponse",
    GET: _TRANSFER + "GetResponse",
    COMMAND: _SHELL + "CommandResponse",
    SEND: _SHELL + "SendResponse",
    RECEIVE: _SHELL + "ReceiveResponse",
    SIGNAL: _SHELL + "SignalResponse",
}
FAULT_ACTION = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"

# Windows error codes a WinRM server returns in its WSManFault (pypsrp compares the first).
ERROR_OPERATION_TIMEOUT = 2150858793  # 0x80338029, pypsrp polls again
ERROR_SHELL_NOT_FOUND = 2150858843  # 0x8033805B
ERROR_INVALID_RESOURCE_URI = 2150858811  # 0x8033803B
ERROR_ACCESS_DENIED = 5
ERROR_UNSUPPORTED = 2150858780  # 0x8033801C, action not supported


class WSManFault(Exception):
    """A request the server answers with a SOAP fault (HTTP 500)."""

    def __init__(self, code: int, reason: str, subcode: str = "w:InternalError") -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.subcode = subcode


@dataclass
class WSManRequest:
    action: str
    resource_uri: str
    message_id: str
    body: ET.Element
    selectors: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    max_envelope_size: int = 153600
    operation_timeout: float = 20.0


def _duration_seconds(text: str | None, default: float) -> float:
    match = re.fullmatch(r"PT(?:(\d+)M)?(?:([\d.]+)S)?", (text or "").strip())
    if not match:
        return default
    return int(match.group(1) or 0) * 60 + float(match.group(2) or 0)


def parse_request(data: bytes) -> WSManRequest:
    """The parts of a WS-Management request the lab acts on; a malformed one is a fault."""
    try:
        root = fromstring(data)
    except Exception as exc:  # defusedxml raises several types for bad or hostile XML
        raise WSManFault(2150858817, f"The WS-Management service cannot process the request: {exc}") from None
    header = root.find("s:Header", NS)
    body = root.find("s:Body", NS)
    if header is None or body is None:
        raise WSManFault(
            2150858817, "The WS-Management service cannot process the request: no SOAP header or body."
        )

    def text(path: str) -> str:
        element = header.find(path, NS)
        return (element.text or "").strip() if element is not None else ""

    request = WSManRequest(
        action=text("wsa:Action"),
        resource_uri=text("wsman:ResourceURI"),
        message_id=text("wsa:MessageID"),
        body=body,
        max_envelope_size=int(text("wsman:MaxEnvelopeSize") or 153600),
        operation_timeout=_duration_seconds(text("wsman:OperationTimeout"), 20.0),
    )
    for selector in header.findall("wsman:SelectorSet/wsman:Selector", NS):
        request.selectors[selector.get("Name", "")] = (selector.text or "").strip()
    for option in header.findall("wsman:OptionSet/wsman:Option", NS):
        request.options[option.get("Name", "")] = (option.text or "").strip()
    return request


def _envelope(action: str, relates_to: str) -> tuple[ET.Element, ET.Element]:
    envelope = ET.Element(f"{{{NS['s']}}}Envelope")
    header = ET.SubElement(envelope, f"{{{NS['s']}}}Header")
    ET.SubElement(header, f"{{{NS['wsa']}}}Action").text = action
    ET.SubElement(header, f"{{{NS['wsa']}}}MessageID").text = f"uuid:{str(uuid.uuid4()).upper()}"
    ET.SubElement(
        header, f"{{{NS['wsa']}}}To"
    ).text = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
    ET.SubElement(header, f"{{{NS['wsa']}}}RelatesTo").text = relates_to
    return envelope, ET.SubElement(envelope, f"{{{NS['s']}}}Body")


def response(request: WSManRequest, *content: ET.Element) -> bytes:
    envelope, body = _envelope(
        RESPONSE_ACTION.get(request.action, request.action + "Response"), request.message_id
    )
    body.extend(content)
    return ET.tostring(envelope, encoding="utf-8", xml_declaration=False)


def fault(request: WSManRequest | None, error: WSManFault, machine: str) -> bytes:
    envelope, body = _envelope(FAULT_ACTION, request.message_id if request else "")
    s, w = NS["s"], NS["wsmanfault"]
    soap_fault = ET.SubElement(body, f"{{{s}}}Fault")
    code = ET.SubElement(soap_fault, f"{{{s}}}Code")
    ET.SubElement(code, f"{{{s}}}Value").text = "s:Receiver"
    ET.SubElement(ET.SubElement(code, f"{{{s}}}Subcode"), f"{{{s}}}Value").text = error.subcode
    reason = ET.SubElement(ET.SubElement(soap_fault, f"{{{s}}}Reason"), f"{{{s}}}Text")
    reason.set(f"{{{NS['xml']}}}lang", "en-US")
    reason.text = error.reason
    detail = ET.SubElement(soap_fault, f"{{{s}}}Detail")
    wsman_fault = ET.SubElement(detail, f"{{{w}}}WSManFault", Code=str(error.code), Machine=machine)
    ET.SubElement(wsman_fault, f"{{{w}}}Message").text = error.reason
    return ET.tostring(envelope, encoding="utf-8", xml_declaration=False)


def rsp(tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    element = ET.Element(f"{{{NS['rsp']}}}{tag}", attrib)
    element.text = text
    return element


def sub(parent: ET.Element, ns: str, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{NS[ns]}}}{tag}", attrib)
    element.text = text
    return element
