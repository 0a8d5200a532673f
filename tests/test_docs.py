"""The README stays true: every setting and every command is documented; every UI string key exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import click
import pytest

from learn.cli import cli
from learn.settings import SETTINGS, Setting, Settings
from learn.strings_vi import STRINGS
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def readme_settings() -> dict[str, str]:
    """The rows of the README's settings table (the section "Settings"), by variable name."""
    section = README.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([A-Z_]+)` \|(.*)$", section, re.M)
    assert len(rows) == len(dict(rows))  # no variable twice
    return dict(rows)


def test_the_readme_table_lists_exactly_the_settings() -> None:
    assert sorted(readme_settings()) == sorted(s.name for s in SETTINGS)


@pytest.mark.parametrize("setting", [s for s in SETTINGS if s.choices], ids=lambda s: s.name)
def test_the_readme_gives_every_allowed_value_and_the_default(setting: Setting) -> None:
    row = readme_settings()[setting.name]
    default, meaning = row.split(" | ")[:2]
    assert f"`{setting.default}`" in default
    assert [c for c in setting.choices if f"`{c}`" not in meaning and f"`{c}`" not in default] == []


def test_the_code_reads_no_undocumented_setting() -> None:
    used = set()
    for path in (ROOT / "learn").rglob("*.py"):
        used |= set(re.findall(r"\bLEARN_[A-Z_]+\b", path.read_text(encoding="utf-8")))
    assert used == {s.name for s in SETTINGS}


def commands(group: click.Group, prefix: str = "learn") -> list[str]:
    names = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            names += commands(command, f"{prefix} {name}")
        else:
            names.append(f"{prefix} {name}")
    return names


@pytest.mark.parametrize("command", commands(cli))
def test_every_command_is_in_the_readme(command: str) -> None:
    assert f"`{command}" in README


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one() -> None:
    assert "make run" in README and "make test" in README
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_settings_defaults_and_overrides(tmp_path: Path) -> None:
    default = Settings.from_env({"HOME": "/home/ba"})
    assert default.home == Path("/home/ba/.local/share/hoc-so")
    assert default.database_url == "sqlite:////home/ba/.local/share/hoc-so/progress.sqlite3"
    assert default.content_dir == ROOT / "content" / "vi"
    assert default.vosk_model_dir == Path("/home/ba/.local/share/hoc-so/models/vosk-model-small-vn-0.4")
    custom = Settings.from_env({"LEARN_HOME": str(tmp_path), "LEARN_DATABASE_URL": "postgresql://x@y/z",
                                "LEARN_CONTENT_DIR": str(tmp_path / "c"), "LEARN_VOSK_MODEL": str(tmp_path / "m")})
    assert (custom.home, custom.database_url, custom.content_dir, custom.vosk_model_dir) == (
        tmp_path, "postgresql://x@y/z", tmp_path / "c", tmp_path / "m")
    assert custom.audio_cache_dir == tmp_path / "audio"
    assert not tmp_path.joinpath("c").exists()  # reading settings creates nothing


def test_every_string_key_used_by_the_app_exists() -> None:
    used: set[str] = set()
    for path in (ROOT / "learn").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_.]+)["']""", text))
        used |= set(re.findall(r"""key=["']([a-z_]+\.[a-z_]+)["']""", text))
        used |= set(re.findall(r"""^\s+key = ["']([a-z_]+\.[a-z_]+)["']""", text, re.M))
    assert used and used - set(STRINGS) == set()


def test_every_topic_has_a_name() -> None:
    from learn.lessons.model import TOPICS

    assert all(f"topic.{topic}" in STRINGS for topic in TOPICS)


def test_vietnamese_stays_in_the_catalog_and_content() -> None:
    """UI text lives in strings_vi.py, so it can be reviewed and one day translated (docstrings may cite it)."""
    vietnamese = re.compile(r"[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]", re.I)
    offenders = []
    for path in [p for d in ("learn", "progress_db") for p in (ROOT / d).rglob("*.py")]:
        if path.name.endswith("_vi.py"):  # the UI strings and the spoken-answer vocabulary
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef)) and n.body
                      and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                    and node.value != "đ" and vietnamese.search(node.value.replace("Học Số", ""))):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    assert offenders == []
