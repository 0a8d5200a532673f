"""The test suite's own structure: what tests share lives in tests/support/ (helpers, and fixtures registered as
plugins in tests/conftest.py), never in another test module. Importing a test module runs its module-level code
(a skip, a marker, a parametrisation) in the importer and hides where a fixture comes from."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def imported(source: str, package: str) -> Iterator[str]:
    """Every module name an import in ``source`` (a module of ``package``) may refer to, at any depth (imports
    inside functions count); ``from a import b`` yields both ``a`` and ``a.b``."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")
            base = ".".join([*parts[:len(parts) - node.level + 1], *([node.module] if node.module else [])]) \
                if node.level else node.module or ""
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def imports_of_test_modules(path: Path) -> set[str]:
    """The test modules (``tests.test_*``) that the file at ``path`` imports, other than itself."""
    relative = path.relative_to(TESTS.parent).with_suffix("")
    package = ".".join(relative.parts[:-1])
    itself = ".".join(relative.parts)
    names = imported(path.read_text(encoding="utf-8"), package)
    return {".".join(name.split(".")[:2]) for name in names
            if name.split(".")[0] == "tests" and len(name.split(".")) > 1
            and name.split(".")[1].startswith("test_")} - {itself}


def test_no_test_module_imports_another() -> None:
    files = [p for p in sorted(TESTS.rglob("*.py")) if "fixtures" not in p.relative_to(TESTS).parts]
    assert len(files) > 20 and TESTS / "conftest.py" in files  # the whole suite is looked at
    offenders = {str(p.relative_to(TESTS.parent)): sorted(found)
                 for p in files if (found := imports_of_test_modules(p))}
    assert offenders == {}, "move what they share to tests/support/ (a fixture: a plugin listed in conftest.py)"


def test_every_way_of_importing_a_test_module_is_seen() -> None:
    source = '''
import tests.test_cli
from tests.test_app import MAIN, button
from tests import test_reports, conftest
from .test_trainers import mai
from . import test_care


def later():
    from tests.test_browser import run_server
'''
    found = {name for name in imported(source, "tests") if name.split(".")[-1].startswith("test_")}
    assert found == {"tests.test_cli", "tests.test_app", "tests.test_reports", "tests.test_trainers",
                     "tests.test_care", "tests.test_browser"}
    helpers = set(imported("from .doubles import ScriptedRecognizer\nfrom ..conftest import CONTENT\n",
                           "tests.support"))
    assert helpers == {"tests.support.doubles", "tests.support.doubles.ScriptedRecognizer",
                       "tests.conftest", "tests.conftest.CONTENT"}
