"""Open-connection accounting, fed by the uvicorn protocol subclass in server.py."""

from __future__ import annotations

from typing import Any

Address = Any  # (host, port) as uvicorn reports it in scope["client"]


class ConnectionTracker:
    """Counts open TCP connections, overall and per project that used them.

    Expo's guidance is "at most 6 concurrent connections"; a project's count is the number of open
    connections that have carried at least one of its requests.
    """

    def __init__(self) -> None:
        self.enabled = False  # only meaningful when the server reports connection open/close
        self.open_total = 0
        self.max_open = 0
        self._projects_of: dict[Address, set[str]] = {}
        self._open_by_project: dict[str, int] = {}
        self._max_by_project: dict[str, int] = {}

    def opened(self, address: Address) -> None:
        self.open_total += 1
        self.max_open = max(self.max_open, self.open_total)
        self._projects_of[address] = set()

    def closed(self, address: Address) -> None:
        projects = self._projects_of.pop(address, None)
        if projects is None:
            return
        self.open_total -= 1
        for project in projects:
            self._open_by_project[project] -= 1

    def used_by(self, address: Address, project: str) -> None:
        projects = self._projects_of.get(address)
        if projects is None or project in projects:
            return
        projects.add(project)
        count = self._open_by_project.get(project, 0) + 1
        self._open_by_project[project] = count
        if count > self._max_by_project.get(project, 0):
            self._max_by_project[project] = count

    def max_for(self, project: str) -> int:
        return self._max_by_project.get(project, 0)

    def reset_peaks(self) -> None:
        # Connections that are still open stay counted: they still exist after a reset.
        self.max_open = self.open_total
        self._max_by_project = dict(self._open_by_project)
