"""The room rule of the README ("Layout"): which top-level folder may import which.

Read from the source with `ast`, so a new module that breaks the rule fails here whatever it imports
at run time (an import inside a function counts too).
"""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest

from tests.support.database import REPO_ROOT

# Room → the project rooms its modules may import (beyond their own room). Everything else of the
# repository (tools/, bench/, tests/, alembic/) is outside the installed code and may import any room;
# sandbox/ speaks external protocols only and imports no room at all.
ALLOWED_IMPORTS: dict[str, frozenset[str]] = {
    "domain": frozenset(),
    "settings": frozenset(),
    "db": frozenset({"domain"}),
    "services": frozenset({"db", "domain", "settings"}),
    "api": frozenset({"services", "db", "domain", "settings"}),
    "workers": frozenset({"services", "db", "domain", "settings"}),
    "sandbox": frozenset(),
}
PROJECT_ROOMS = frozenset(ALLOWED_IMPORTS) | {"tools", "bench", "tests", "alembic"}


def modules_of(room: str) -> list[Path]:
    single = REPO_ROOT / f"{room}.py"
    return [single] if single.exists() else sorted((REPO_ROOT / room).rglob("*.py"))


def imported_rooms(path: Path) -> set[str]:
    """The project rooms `path` imports (absolute imports; this project uses no relative ones)."""
    rooms: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        rooms.update(name.split(".")[0] for name in names if name.split(".")[0] in PROJECT_ROOMS)
    return rooms


@pytest.mark.parametrize("room", sorted(ALLOWED_IMPORTS))
def test_each_room_imports_only_the_rooms_it_may(room: str) -> None:
    allowed = ALLOWED_IMPORTS[room] | {room}
    offending = {
        str(path.relative_to(REPO_ROOT)): sorted(imported_rooms(path) - allowed)
        for path in modules_of(room)
        if imported_rooms(path) - allowed
    }
    assert offending == {}


def test_the_rule_sees_a_forbidden_import(tmp_path: Path) -> None:
    module = tmp_path / "probe.py"
    module.write_text("def f() -> None:\n    from workers.broker import broker\n")
    assert imported_rooms(module) == {"workers"}


def test_only_notify_writes_notifications() -> None:
    """Producers call services.notify.notify, which pairs the rows with the push worker's wake-up; a
    direct call of create_notifications would write rows that nobody is told about."""
    callers = {
        str(path.relative_to(REPO_ROOT))
        for room in ("api", "services", "workers", "db")
        for path in modules_of(room)
        if "create_notifications(" in path.read_text()
    }
    assert callers == {"db/notifications.py", "services/notify.py"}


def test_nothing_outside_docs_cites_a_document_outside_the_repository() -> None:
    """Comments cite docs/ (docs/README.md says how), never the brief the project started from."""
    outside = re.compile(
        r"shared/docs|(?<![\w/.-])(domain|expo|clients?|client-behaviour|architecture|stack-notes|style)\.md"
    )
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    citing = {
        name
        for name in tracked
        if not name.startswith("docs/")
        and name != "tests/test_rooms.py"  # whose pattern names them
        and (REPO_ROOT / name).suffix in {".py", ".md", ".sh", ".toml", ".ini", ""}
        and (REPO_ROOT / name).is_file()
        and outside.search((REPO_ROOT / name).read_text(errors="replace"))
    }
    assert citing == set()
