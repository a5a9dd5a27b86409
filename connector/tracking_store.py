"""TrackingStateStore: the in-flight orders persisted in sqlite, so a restarted connector knows what it had out.

An order is written before its create request leaves (so an order whose answer was lost across a crash is still
looked for), and on every change; it is deleted once done and reported. One row per order, the InFlightOrder's
JSON, keyed by (connector name, client order id), so several connectors can share a file.
"""
from __future__ import annotations

import json
import sqlite3
from typing import Any


class TrackingStateStore:
    def __init__(self, path: str, connector_name: str):
        self.path = path
        self.connector_name = connector_name
        self._db = sqlite3.connect(path, isolation_level=None)  # autocommit: every save is durable at once
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS in_flight_orders (connector TEXT NOT NULL, "
                         "client_order_id TEXT NOT NULL, state TEXT NOT NULL, updated_ms INTEGER NOT NULL, "
                         "PRIMARY KEY (connector, client_order_id))")
        self._db.execute("CREATE TABLE IF NOT EXISTS connector_state (connector TEXT NOT NULL, key TEXT NOT NULL, "
                         "value TEXT NOT NULL, PRIMARY KEY (connector, key))")

    def save(self, client_order_id: str, state: dict[str, Any], updated_ms: int) -> None:
        self._db.execute("INSERT OR REPLACE INTO in_flight_orders VALUES (?, ?, ?, ?)",
                         (self.connector_name, client_order_id, json.dumps(state), updated_ms))

    def delete(self, client_order_id: str) -> None:
        self._db.execute("DELETE FROM in_flight_orders WHERE connector = ? AND client_order_id = ?",
                         (self.connector_name, client_order_id))

    def load(self) -> dict[str, dict[str, Any]]:
        rows = self._db.execute("SELECT client_order_id, state FROM in_flight_orders WHERE connector = ?",
                                (self.connector_name,))
        return {client_order_id: json.loads(state) for client_order_id, state in rows}

    def set_value(self, key: str, value: str) -> None:
        """Other state that must survive a restart (the perpetual half: the last funding payment seen)."""
        self._db.execute("INSERT OR REPLACE INTO connector_state VALUES (?, ?, ?)", (self.connector_name, key, value))

    def get_value(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM connector_state WHERE connector = ? AND key = ?",
                               (self.connector_name, key)).fetchone()
        return row[0] if row else None

    def close(self) -> None:
        self._db.close()
