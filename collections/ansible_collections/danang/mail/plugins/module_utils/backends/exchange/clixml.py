# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What pypsrp deserializes, as plain Python records: Exchange's objects as dicts of their
properties, nested objects as their ToString, multi-valued properties as lists."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

try:
    from pypsrp.complex_objects import GenericComplexObject, ListMeta
    from pypsrp.serializer import Serializer

    HAS_PYPSRP = True
except ImportError:  # the transport reports it (PYPSRP_IMPORT_ERROR)
    HAS_PYPSRP = False


def plain(value: Any) -> Any:
    """A deserialized PSRP value as plain Python: objects become dicts of their properties, nested
    objects their ``ToString()`` (ADObjectId → name, ByteQuantifiedSize → "2 GB (... bytes)")."""
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if HAS_PYPSRP and isinstance(value, GenericComplexObject):
        if value.to_string is not None:
            return value.to_string
        if value.property_sets:
            items = [plain(_collection_items(item)) for item in value.property_sets]
            return items[0] if len(items) == 1 and isinstance(items[0], list) else items
        return {**plain(value.adapted_properties), **plain(value.extended_properties)}
    return value


def _collection_items(item: Any) -> Any:
    """pypsrp leaves the ``<LST>`` of a collection type it does not know (Exchange's
    ProxyAddressCollection, MultiValuedProperty`1[…]) as raw CLIXML: its items, by pypsrp's deserializer."""
    if isinstance(item, str) and item.lstrip().startswith("<LST"):
        holder = ET.Element("Obj", RefId="0")  # pypsrp reads a list from the object holding it
        holder.append(ET.fromstring(item))
        return Serializer().deserialize(holder, ListMeta())
    return item


def to_record(value: Any) -> dict[str, Any]:
    """An output object of a Get-* cmdlet as a dict of its properties."""
    if HAS_PYPSRP and isinstance(value, GenericComplexObject):
        return {**plain(value.adapted_properties), **plain(value.extended_properties)}
    if isinstance(value, dict):
        return plain(value)
    return {"value": plain(value)}
