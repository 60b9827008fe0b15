# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The mailbox databases' side of the lab (what Exchange keeps in its stores, not in AD).

- ``mailboxes``: one row per mailbox ever created, keyed by ExchangeGuid: the database it lives in,
  the AD user it was last connected to, the disconnect date once disabled or removed (a
  disconnected mailbox that Connect-Mailbox can attach again), size, item count and last logon
  (Get-MailboxStatistics).
- ``config``: organisation objects as JSON (transport config, remote and accepted domains,
  transport rules), each under a key.

SQLite in ``state/store.sqlite3``, so 20,000 mailboxes cost no rewrite of a whole file per change.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS mailboxes (
    exchange_guid TEXT PRIMARY KEY,
    database TEXT NOT NULL,
    user_dn TEXT,
    display_name TEXT NOT NULL,
    alias TEXT NOT NULL,
    legacy_dn TEXT NOT NULL,
    type_details INTEGER NOT NULL,
    created TEXT NOT NULL,
    disconnect_date TEXT,
    disconnect_reason TEXT,
    total_item_size INTEGER NOT NULL DEFAULT 0,
    item_count INTEGER NOT NULL DEFAULT 0,
    last_logon_time TEXT
);
CREATE INDEX IF NOT EXISTS mailboxes_user ON mailboxes(user_dn);
CREATE TABLE IF NOT EXISTS config (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

_COLUMNS = (
    "exchange_guid",
    "database",
    "user_dn",
    "display_name",
    "alias",
    "legacy_dn",
    "type_details",
    "created",
    "disconnect_date",
    "disconnect_reason",
    "total_item_size",
    "item_count",
    "last_logon_time",
)


class MailboxStore:
    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    # -- mailboxes -----------------------------------------------------------------------------
    def add(self, **row: Any) -> None:
        names = [c for c in _COLUMNS if c in row]
        with self._lock:
            self._db.execute(
                f"INSERT OR REPLACE INTO mailboxes ({', '.join(names)}) "
                f"VALUES ({', '.join('?' * len(names))})",
                [row[n] for n in names],
            )

    def update(self, exchange_guid: str, **values: Any) -> None:
        assignments = ", ".join(f"{name} = ?" for name in values if name in _COLUMNS)
        with self._lock:
            self._db.execute(
                f"UPDATE mailboxes SET {assignments} WHERE exchange_guid = ?",
                [*values.values(), exchange_guid],
            )

    def delete(self, exchange_guid: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM mailboxes WHERE exchange_guid = ?", [exchange_guid])

    def get(self, exchange_guid: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM mailboxes WHERE exchange_guid = ?", [exchange_guid]
            ).fetchone()
        return dict(row) if row else None

    def by_database(self, database: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            if database is None:
                rows = self._db.execute("SELECT * FROM mailboxes ORDER BY display_name").fetchall()
            else:
                rows = self._db.execute(
                    "SELECT * FROM mailboxes WHERE database = ? COLLATE NOCASE ORDER BY display_name",
                    [database],
                ).fetchall()
        return [dict(r) for r in rows]

    def connected_counts(self) -> dict[str, int]:
        """Connected mailboxes per database (where New-Mailbox puts the next one)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT database, COUNT(*) FROM mailboxes WHERE disconnect_date IS NULL GROUP BY database"
            ).fetchall()
        return {row[0]: row[1] for row in rows}

    def disconnected(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM mailboxes WHERE disconnect_date IS NOT NULL").fetchall()
        return [dict(r) for r in rows]

    # -- organisation configuration ------------------------------------------------------------------
    def config(self, key: str, default: Any) -> Any:
        with self._lock:
            row = self._db.execute("SELECT value FROM config WHERE key = ?", [key]).fetchone()
        return json.loads(row["value"]) if row else default

    def set_config(self, key: str, value: Any) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO config (key, value) VALUES (?, ?)", [key, json.dumps(value)]
            )
