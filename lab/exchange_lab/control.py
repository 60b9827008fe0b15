# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lab's control endpoint (``/lab/...``, JSON) and ``LabControl``, its client for tests.

Tests use it to set the lab clock, to simulate what users do (log on, change their password, fill
their mailbox) and to inject faults; none of it is on the protocol path the backend uses.

Faults (POST /lab/faults, cleared by POST /lab/faults/clear):
- ``delay_seconds``: every PSRP/EWS request waits this long first (slow server);
- ``fail_nth_cmdlet``: the Nth cmdlet run from now on fails with a transient Exchange error,
  optionally only counting cmdlets named ``fail_cmdlet``;
- ``drop_next_pipeline``: the next Receive for a pipeline gets its TCP connection closed without
  an answer and the session (runspace pool) is lost, as when the server's app pool recycles;

Throttling and latency (POST /lab/throttling, ``throttling.SETTINGS``; back to Exchange's default
policy and no latency by POST /lab/throttling/reset or /lab/faults/clear): ``throttling.py``.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from datetime import datetime
from typing import Any

from exchange_lab.clock import to_filetime


class DropConnection(Exception):
    """Close the client's connection without an answer."""


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self.delay_seconds = 0.0
            self.fail_nth_cmdlet = 0
            self.fail_cmdlet: str | None = None
            self.drop_next_pipeline = False
            self._counted = 0

    def configure(self, settings: dict[str, Any]) -> None:
        known = {
            "delay_seconds",
            "fail_nth_cmdlet",
            "fail_cmdlet",
            "drop_next_pipeline",
        }
        unknown = set(settings) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        with self._lock:
            for name, value in settings.items():
                setattr(self, name, value)
            self._counted = 0

    def delay(self) -> None:
        if self.delay_seconds:
            time.sleep(self.delay_seconds)

    def cmdlet_fault(self, user: str, cmdlet: str) -> str | None:
        """The message of a fault this cmdlet run must fail with, if any."""
        with self._lock:
            if self.fail_nth_cmdlet and (
                self.fail_cmdlet is None or self.fail_cmdlet.lower() == cmdlet.lower()
            ):
                self._counted += 1
                if self._counted == self.fail_nth_cmdlet:
                    self.fail_nth_cmdlet = 0
                    return "The Microsoft Exchange Information Store service is temporarily unavailable."
        return None

    def maybe_drop(self, lab: Any, shell: Any, pipeline_id: Any) -> None:
        with self._lock:
            drop, self.drop_next_pipeline = self.drop_next_pipeline, False
        if drop:
            shell.close()
            with lab.shells_lock:
                lab.shells.pop(shell.shell_id, None)
            raise DropConnection()


def _parse_time(value: str | None, lab: Any) -> datetime:
    return datetime.fromisoformat(value) if value else lab.clock.now()


def _dn(lab: Any, identity: str) -> str:
    dns = lab.directory.resolve(identity)
    if len(dns) != 1:
        raise LookupError(f"{identity!r} names {len(dns)} directory entries")
    return dns[0]


def handle(lab: Any, method: str, path: str, body: bytes) -> tuple[int, bytes]:
    """Serve one control request; (HTTP status, JSON body)."""
    try:
        data = json.loads(body or b"{}")
        route = path.split("?", 1)[0].rstrip("/")
        if method == "GET" and route == "/lab/status":
            result: Any = {
                "clock": lab.clock.now().isoformat(),
                "shells": len(lab.shells),
                "shells_opened": lab.shells_opened,
                "mailboxes": len(lab.store.by_database()),
            }
        elif route == "/lab/clock":
            lab.clock.reset() if data.get("reset") else lab.clock.set(datetime.fromisoformat(data["now"]))
            result = {"clock": lab.clock.now().isoformat()}
        elif route == "/lab/logon":
            lab.directory.record_logon(_dn(lab, data["identity"]), _parse_time(data.get("when"), lab))
            result = {}
        elif route == "/lab/password":
            from exchange_lab.directory import ssha

            dn = _dn(lab, data["identity"])
            changes: dict[str, Any] = {"pwdLastSet": to_filetime(_parse_time(data.get("when"), lab))}
            if data.get("password"):
                changes["userPassword"] = ssha(data["password"])
            lab.directory.modify(dn, changes)
            lab.directory.forget_credentials()
            result = {}
        elif route == "/lab/mailbox-usage":
            ref = lab.directory.resolve_mailbox(data["identity"])
            if ref is None:
                raise LookupError(f"{data['identity']!r} is not a mailbox")
            lab.store.update(
                ref.exchange_guid,
                total_item_size=int(data["total_item_size"]),
                item_count=int(data.get("item_count", 0)),
            )
            result = {}
        elif route == "/lab/faults":
            lab.faults.configure(data)
            result = {}
        elif route == "/lab/faults/clear":
            lab.faults.clear()
            lab.throttling.reset()
            result = {}
        elif route == "/lab/throttling":
            lab.throttling.configure(data)
            result = {}
        elif route == "/lab/throttling/reset":
            lab.throttling.reset()
            result = {}
        else:
            return 404, json.dumps({"error": f"no control route {route}"}).encode()
    except (KeyError, ValueError, LookupError, TypeError) as exc:
        return 400, json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode()
    return 200, json.dumps(result).encode()


class LabControl:
    """Client of the control endpoint, e.g. ``LabControl("http://127.0.0.1:15985")``."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def _call(self, route: str, payload: dict[str, Any] | None = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(
            f"{self.base_url}/lab/{route}", data=data, method="GET" if data is None else "POST"
        )
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return json.loads(answer.read() or b"{}")
        except urllib.error.HTTPError as err:
            raise RuntimeError(f"lab control {route}: {err.read().decode(errors='replace')}") from None

    def status(self) -> dict[str, Any]:
        return self._call("status")

    def set_clock(self, when: datetime) -> None:
        self._call("clock", {"now": when.isoformat()})

    def reset_clock(self) -> None:
        self._call("clock", {"reset": True})

    def simulate_logon(self, identity: str, when: datetime | None = None) -> None:
        self._call("logon", {"identity": identity, "when": when.isoformat() if when else None})

    def simulate_password_change(
        self, identity: str, password: str | None = None, when: datetime | None = None
    ) -> None:
        self._call(
            "password",
            {"identity": identity, "password": password, "when": when.isoformat() if when else None},
        )

    def set_mailbox_usage(self, identity: str, total_item_size: int, item_count: int = 0) -> None:
        self._call(
            "mailbox-usage",
            {"identity": identity, "total_item_size": total_item_size, "item_count": item_count},
        )

    def inject_fault(self, **settings: Any) -> None:
        self._call("faults", settings)

    def clear_faults(self) -> None:
        """No fault, and throttling and latency back to their defaults."""
        self._call("faults/clear", {})

    def set_throttling(self, **settings: Any) -> None:
        """E.g. ``set_throttling(max_cmdlets=25, cmdlets_period=2)`` or ``set_throttling(latency=True)``."""
        self._call("throttling", settings)

    def reset_throttling(self) -> None:
        self._call("throttling/reset", {})
