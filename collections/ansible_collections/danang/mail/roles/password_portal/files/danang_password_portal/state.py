# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the portal keeps in memory: signed-in sessions and the rate limits.

Both live in the one gunicorn worker process (threads share them; a second process would not see
them, so the role runs one). Nothing is written to disk: a restart signs everybody out and forgets
the counts. ``clock`` is any monotonic seconds counter (tests pass their own).
"""

from __future__ import annotations

import math
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Optional

from ansible_collections.danang.mail.plugins.module_utils.password_change import Holder

Clock = Callable[[], float]
MAX_SESSIONS = 5000  # a city's worth of people signed in at once; the oldest go first beyond it
MAX_LIMITER_KEYS = 100000


@dataclass
class SignedIn:
    """One signed-in person. ``password`` is the current password, needed to change it (and to put
    it back): it is only ever here, and the entry is dropped when the session ends."""

    holder: Holder
    password: str
    expires: float


class SessionStore:
    """Sessions by a random id (``secrets.token_urlsafe``), each ending ``lifetime`` seconds after
    sign-in, however active. An expired session is dropped when it is next asked for, at the next
    sign-in, and - with ``sweep_every`` - by a thread that looks every ``sweep_every`` seconds, so a
    password does not outlive its session on an idle server."""

    def __init__(self, lifetime: int, clock: Clock, sweep_every: Optional[float] = None) -> None:
        self._lifetime = lifetime
        self._clock = clock
        self._sessions: dict[str, SignedIn] = {}
        self._lock = threading.Lock()
        self._sweep_every = sweep_every
        self._sweeper_pid = 0

    def start(self, holder: Holder, password: str) -> str:
        session_id = secrets.token_urlsafe(32)
        now = self._clock()
        with self._lock:
            self._start_sweeper()
            self._drop_expired(now)
            while len(self._sessions) >= MAX_SESSIONS:
                del self._sessions[next(iter(self._sessions))]  # dicts keep insertion order: oldest
            self._sessions[session_id] = SignedIn(holder, password, now + self._lifetime)
        return session_id

    def get(self, session_id: Optional[str]) -> Optional[SignedIn]:
        if not session_id:
            return None
        with self._lock:
            entry = self._sessions.get(session_id)
            if entry is not None and entry.expires <= self._clock():
                del self._sessions[session_id]
                return None
            return entry

    def end(self, session_id: Optional[str]) -> None:
        with self._lock:
            entry = self._sessions.pop(session_id or "", None)
        if entry is not None:
            entry.password = ""  # drop the last reference this process's code holds

    def __len__(self) -> int:
        with self._lock:
            self._drop_expired(self._clock())
            return len(self._sessions)

    def sweep(self) -> None:
        with self._lock:
            self._drop_expired(self._clock())

    def _start_sweeper(self) -> None:
        # Started with the first session of the serving process: gunicorn may load the page before
        # it forks its worker, and a thread does not survive the fork.
        if self._sweep_every and self._sweeper_pid != os.getpid():
            self._sweeper_pid = os.getpid()
            threading.Thread(target=self._sweep_forever, name="session-sweeper", daemon=True).start()

    def _sweep_forever(self) -> None:
        while True:
            time.sleep(self._sweep_every or 1)
            self.sweep()

    def _drop_expired(self, now: float) -> None:
        for session_id in [key for key, entry in self._sessions.items() if entry.expires <= now]:
            self._sessions.pop(session_id).password = ""


class SlidingWindow:
    """At most ``limit`` events per key in any ``window`` seconds (the events' times are kept)."""

    def __init__(self, limit: int, window: int, clock: Clock) -> None:
        self._limit = limit
        self._window = window
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> int:
        """0 and the event counted when ``key`` is below its limit; otherwise the seconds until it is
        not. Checking and counting are one step, so concurrent requests cannot all slip under it."""
        now = self._clock()
        with self._lock:
            events = self._current(key, now)
            if len(events) >= self._limit:
                return max(1, math.ceil(events[0] + self._window - now))
            self._record(key, now)
            return 0

    def refund(self, key: str) -> None:
        """Take back the last event of ``key``: counted up front, it turned out not to count (a
        successful sign-in is no failure)."""
        with self._lock:
            events = self._events.get(key)
            if events:
                events.pop()

    def _record(self, key: str, now: float) -> None:
        if key not in self._events:
            if len(self._events) >= MAX_LIMITER_KEYS:
                self._prune(now)
            self._events[key] = deque()
        self._current(key, now).append(now)

    def _current(self, key: str, now: float) -> deque[float]:
        events = self._events.get(key)
        if events is None:
            return deque()  # not stored: asking about an address must not grow the table
        while events and events[0] <= now - self._window:
            events.popleft()
        return events

    def _prune(self, now: float) -> None:
        stale = now - self._window
        for key in [k for k, events in self._events.items() if not events or events[-1] <= stale]:
            del self._events[key]
        while len(self._events) >= MAX_LIMITER_KEYS:  # all current: the oldest key goes
            del self._events[next(iter(self._events))]
