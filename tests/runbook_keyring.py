"""A keyring backend for the runbook test's subprocesses (PYTHON_KEYRING_BACKEND): entries in the JSON
file named by RUNBOOK_KEYRING_FILE, standing in for the operator's OS keyring. Tests only."""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend


class RunbookFileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def _path(self) -> Path:
        return Path(os.environ["RUNBOOK_KEYRING_FILE"])

    def _load(self) -> dict:
        path = self._path()
        return json.loads(path.read_text()) if path.exists() else {}

    def get_password(self, service, username):
        return self._load().get(f"{service}\0{username}")

    def set_password(self, service, username, password):
        entries = self._load()
        entries[f"{service}\0{username}"] = password
        self._path().write_text(json.dumps(entries))

    def delete_password(self, service, username):
        entries = self._load()
        del entries[f"{service}\0{username}"]
        self._path().write_text(json.dumps(entries))
