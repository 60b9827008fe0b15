# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exchange's remote PowerShell throttling budget and the lab's per-cmdlet latency model.

Throttling (the user's budget of the throttling policy; defaults = Exchange 2016/2019's default
policy, ``msExchPowerShellThrottlingPolicyState`` ``v~0~con~18~cmds~-1~per~-1``, i.e.
PowerShellMaxConcurrency 18, PowerShellMaxCmdlets and PowerShellMaxCmdletsTimePeriod Unlimited):

- ``max_concurrency``: runspaces (shells) a user holds open at once; one more is refused at Create
  with the WS-Management quota fault "This user is allowed a maximum number of N concurrent shells";
- ``max_cmdlets`` per ``cmdlets_period`` seconds: every cmdlet of an admitted pipeline is charged
  to the user when it is admitted; once the window holds ``max_cmdlets``, the next pipeline's
  Command request is refused with the WS-Management fault ERROR_WSMAN_QUOTA_USER, "The user load
  quota of X requests per Y seconds has been exceeded. ... at least Z milliseconds" (Z: until the
  window frees a cmdlet). Nothing of a refused pipeline runs. The gate is on the request (the
  fault names the next request), so a pipeline admitted with room left runs whole.

Latency (OFF by default, so tests stay fast): server time per cmdlet, slept before a pipeline runs
and outside the directory lock, so that runspaces in parallel overlap as on Exchange. ``DEFAULT_LATENCY``
holds estimates of an on-premises server's time per cmdlet (New-Mailbox about a second: it writes AD
and creates the mailbox; see docs in lab/exchange_lab/README.md); every value is settable.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from exchange_lab.wsman import WSManFault

ERROR_WSMAN_QUOTA_MAX_SHELLS = 0x803381A5  # wsmerror.h, as in PowerShell's cimChildJobBase.cs
ERROR_WSMAN_QUOTA_USER = 0x803381A7
QUOTA_SUBCODE = "w:QuotaLimit"  # [MS-WSMV] 3.1.4.5.2.1

DEFAULT_MAX_CONCURRENCY = 18
# Seconds of server time per cmdlet when the latency model is on (``"*"``: any other cmdlet).
DEFAULT_LATENCY: dict[str, float] = {
    "New-Mailbox": 1.0,
    "Remove-Mailbox": 0.5,
    "Set-Mailbox": 0.3,
    "Set-User": 0.3,
    "Enable-Mailbox": 0.8,
    "Disable-Mailbox": 0.5,
    "Get-Mailbox": 0.2,
    "Get-User": 0.2,
    "Get-MailboxStatistics": 0.3,
    "*": 0.1,
}
SETTINGS = ("max_concurrency", "max_cmdlets", "cmdlets_period", "latency", "latency_seconds")


class Throttling:
    """One lab's policy, the users' cmdlet windows and the latency model (thread-safe)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.max_concurrency = DEFAULT_MAX_CONCURRENCY
            self.max_cmdlets = 0  # 0: Unlimited
            self.cmdlets_period = 0.0
            self.latency = False
            self.latency_seconds = dict(DEFAULT_LATENCY)
            self._charged: dict[str, deque[float]] = {}

    def configure(self, settings: dict[str, Any]) -> None:
        unknown = set(settings) - set(SETTINGS)
        if unknown:
            raise ValueError(f"unknown throttling settings: {sorted(unknown)}")
        with self._lock:
            for name, value in settings.items():
                if name == "latency_seconds":
                    self.latency_seconds.update({str(k): float(v) for k, v in value.items()})
                else:
                    setattr(self, name, type(getattr(self, name))(value))
            self._charged.clear()

    def admit_shell(self, open_shells: int) -> None:
        """Refuse one more shell of a user who holds ``open_shells`` (PowerShellMaxConcurrency)."""
        if self.max_concurrency and open_shells >= self.max_concurrency:
            raise WSManFault(
                ERROR_WSMAN_QUOTA_MAX_SHELLS,
                "The WS-Management service cannot process the request. This user is allowed a maximum "
                f"number of {self.max_concurrency} concurrent shells, which has been exceeded. Close "
                "existing shells or raise the quota for this user.",
                QUOTA_SUBCODE,
            )

    def admit_pipeline(self, user: str, cmdlets: int) -> None:
        """Charge a pipeline of ``cmdlets`` to the user, or refuse it while the user's window is full
        (PowerShellMaxCmdlets)."""
        if not self.max_cmdlets:
            return
        with self._lock:
            window = self._window(user)
            if len(window) < self.max_cmdlets:
                window.extend([self._clock()] * cmdlets)
                return
            # The window frees a place when its (len - max + 1)th oldest cmdlet leaves it.
            leaves = window[len(window) - self.max_cmdlets] + self.cmdlets_period
            wait_ms = max(1, int((leaves - self._clock()) * 1000) + 1)
        raise WSManFault(
            ERROR_WSMAN_QUOTA_USER,
            "The WS-Management service cannot process the request. The user load quota of "
            f"{self.max_cmdlets} requests per {self.cmdlets_period:g} seconds has been exceeded. Send "
            "future requests at a slower rate or raise the quota for this user. The next request from "
            f"this user will not be approved for at least {wait_ms} milliseconds.",
            QUOTA_SUBCODE,
        )

    def _window(self, user: str) -> deque[float]:
        window = self._charged.setdefault(user.lower(), deque())
        oldest = self._clock() - self.cmdlets_period
        while window and window[0] <= oldest:
            window.popleft()
        return window

    def server_time(self, cmdlets: Iterable[str]) -> float:
        """Seconds the latency model spends on a pipeline of these cmdlets (0 when it is off)."""
        if not self.latency:
            return 0.0
        table = self.latency_seconds
        by_lower = {k.lower(): v for k, v in table.items()}
        return sum(by_lower.get(c.lower(), table.get("*", 0.0)) for c in cmdlets)
