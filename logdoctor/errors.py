"""Errors a user can act on: each prints as one line and exits 2 (contract)."""

from __future__ import annotations


class LogdoctorError(Exception):
    """A usage error or unreadable input, shown as one line without a traceback."""

    exit_code = 2

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = path if line is None else f"{path}:{line}"
        super().__init__(f"{where}: {message}" if path else message)
