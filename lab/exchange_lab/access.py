# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether one mailbox user may open, or send as, another mailbox: what EWS asks of the entries
the permission cmdlets keep (``cmdlets/permissions.py``: ``mailbox_acl/<ExchangeGuid>``, and
``ad_acl/<objectGUID>`` for Send As).

As Windows evaluates an ACL, a matching deny entry wins over any allow. Only entries naming the
user itself count: the lab's AD has no group membership in security descriptors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .cmdlets.objects import first
from .directory import guid_from_bytes

SEND_AS = "Send-As"


def _object_guid(lab: Any, dn: str) -> str | None:
    entry = lab.directory.read(dn, ["objectGUID"])
    return guid_from_bytes(first(entry, "objectGUID")) if entry else None


def _allowed(aces: list[dict[str, Any]], who: str | None, grants: Callable[[dict[str, Any]], bool]) -> bool:
    mine = [ace for ace in aces if who is not None and ace.get("user") == who and grants(ace)]
    return any(not ace.get("deny") for ace in mine) and not any(ace.get("deny") for ace in mine)


def full_access(lab: Any, user: Any, mailbox: Any) -> bool:
    """``user`` holds FullAccess on ``mailbox`` (both ``directory.MailboxRef``)."""
    aces = lab.store.config(f"mailbox_acl/{mailbox.exchange_guid}", [])
    return _allowed(aces, _object_guid(lab, user.dn), lambda ace: "FullAccess" in ace.get("rights", []))


def send_as(lab: Any, user: Any, mailbox: Any) -> bool:
    """``user`` holds the Send As extended right on ``mailbox``'s AD user."""
    target = _object_guid(lab, mailbox.dn)
    aces = lab.store.config(f"ad_acl/{target}", []) if target else []
    return _allowed(aces, _object_guid(lab, user.dn), lambda ace: ace.get("extended") == SEND_AS)
