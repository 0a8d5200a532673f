"""Settings come from one table (learn.settings.SETTINGS): a value a setting cannot take stops every command at
start with a message naming the setting and what it may be; `learn settings` says what each one is and where it
came from, never a secret."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import click
import pytest

from learn.cli import cli
from learn.settings import SETTINGS, Settings, SettingsError, hide_password
from tests.support.cli import runner

TTS_TYPO = "LEARN_TTS must be 'auto', 'gtts', 'espeak' or 'off', not 'espek'"


def clean(tmp_path: Path, **given: str) -> dict[str, str | None]:
    """An environment for the CLI with no LEARN_* variable but ``given`` (None unsets what the test runner has)."""
    return {**{s.name: None for s in SETTINGS}, "LEARN_HOME": str(tmp_path / "home"), **given}


def test_the_table_fills_every_field_of_settings_once() -> None:
    assert sorted(s.field for s in SETTINGS) == sorted(f.name for f in fields(Settings))
    assert len({s.name for s in SETTINGS}) == len(SETTINGS)


def test_a_typo_in_a_closed_set_is_refused_naming_the_setting_and_its_values() -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"HOME": "/home/ba", "LEARN_TTS": "espek"})
    assert str(refused.value) == TTS_TYPO
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"HOME": "/home/ba", "LEARN_JOIN_CODE": "yes"})
    assert str(refused.value) == "LEARN_JOIN_CODE must be 'off' or 'required', not 'yes'"


def test_every_wrong_setting_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env({"HOME": "/home/ba", "LEARN_TTS": "espek", "LEARN_JOIN_CODE": "Yes",
                           "LEARN_DATABASE_URL": "mysql://hocso:pw-secret@db/hocso",
                           "LEARN_PUBLIC_URL": "hocso.example.vn"})
    assert refused.value.problems == [
        "LEARN_DATABASE_URL must start with sqlite:/// (a file) or postgresql:// (a server), "
        "not 'mysql://hocso:***@db/hocso'",
        TTS_TYPO,
        "LEARN_JOIN_CODE must be 'off' or 'required', not 'Yes'",
        "LEARN_PUBLIC_URL must be an address that starts with https:// or http://, such as "
        "https://hocso.example.vn, not 'hocso.example.vn'",
    ]


def test_values_are_read_in_any_case_and_blank_means_the_default() -> None:
    read = Settings.from_env({"HOME": "/home/ba", "LEARN_TTS": " Espeak ", "LEARN_JOIN_CODE": "REQUIRED",
                              "LEARN_PUBLIC_URL": "https://hocso.example.vn/", "LEARN_SYNC_KEY": ""})
    assert (read.tts, read.join_code_required, read.public_url, read.sync_key) == (
        "espeak", True, "https://hocso.example.vn", None)
    blank = Settings.from_env({"HOME": "/home/ba", "LEARN_TTS": "  ", "LEARN_HOME": " "})
    assert (blank.tts, blank.home) == ("auto", Path("/home/ba/.local/share/hoc-so"))
    xdg = Settings.from_env({"HOME": "/home/ba", "XDG_DATA_HOME": "/data"})
    assert (xdg.home, xdg.vosk_model_dir) == (Path("/data/hoc-so"),
                                              Path("/data/hoc-so/models/vosk-model-small-vn-0.4"))


def test_passwords_are_hidden_wherever_they_are_in_a_url() -> None:
    assert hide_password("postgresql://hocso:p@ss@db-host:5432/hocso") == "postgresql://hocso:***@db-host:5432/hocso"
    assert hide_password("postgresql://db/hocso?user=a&password=secret") == "postgresql://db/hocso?user=a&password=***"
    assert hide_password("postgresql://db/hocso") == "postgresql://db/hocso"
    assert hide_password("postgresql://u:secret@[db") == "postgresql:***"


def commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


@pytest.mark.parametrize("command", commands(cli), ids=" ".join)
def test_every_command_refuses_to_start_with_a_typo(tmp_path: Path, command: tuple[str, ...]) -> None:
    result = runner().invoke(cli, list(command), env=clean(tmp_path, LEARN_TTS="espek"))
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == f"Error: {TTS_TYPO}"
    assert not (tmp_path / "home").exists()  # nothing was done


def test_learn_serve_refuses_to_start_with_a_typo(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEARN_")}
    env.update(LEARN_HOME=str(tmp_path / "home"), LEARN_TTS="espek")
    done = subprocess.run([str(Path(sys.executable).parent / "learn"), "serve", "--host", "127.0.0.1", "--port",
                           "8599"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1] == f"Error: {TTS_TYPO}"
    assert not (tmp_path / "home").exists()


def test_learn_settings_says_each_value_and_where_it_came_from(tmp_path: Path) -> None:
    result = runner().invoke(cli, ["settings"], env=clean(
        tmp_path, LEARN_TTS="ESPEAK", LEARN_SYNC_KEY="commune:Xa:0f0f-very-secret",
        LEARN_DATABASE_URL="postgresql://hocso:pw-secret@db-host/hocso?password=pw-secret"))
    assert result.exit_code == 0, result.stderr
    home = tmp_path / "home"
    assert [line.split(None, 2) for line in result.stdout.splitlines()] == [
        ["LEARN_HOME", "environment", str(home)],
        ["LEARN_DATABASE_URL", "environment", "postgresql://hocso:***@db-host/hocso?password=***"],
        ["LEARN_CONTENT_DIR", "default", str(Path(__file__).resolve().parent.parent / "content" / "vi")],
        ["LEARN_VOSK_MODEL", "default", str(home / "models" / "vosk-model-small-vn-0.4")],
        ["LEARN_TTS", "environment", "espeak"],
        ["LEARN_JOIN_CODE", "default", "off"],
        ["LEARN_PUBLIC_URL", "default", "none"],
        ["LEARN_SHARED_DEVICES", "default", "local"],
        ["LEARN_SYNC_KEY", "environment", "(set, hidden)"],
        ["LEARN_UNREVIEWED_VOICES", "default", "own"],
        ["LEARN_KEEP_VOICE_DAYS", "default", "30"],
    ]
    assert "secret" not in result.stdout + result.stderr
    unset = runner().invoke(cli, ["settings"], env=clean(tmp_path, LEARN_JOIN_CODE="required"))
    lines = dict(line.split(None, 1) for line in unset.stdout.splitlines())
    assert lines["LEARN_SYNC_KEY"].split() == ["default", "none"]
    assert lines["LEARN_JOIN_CODE"].split() == ["environment", "required"]
    assert lines["LEARN_DATABASE_URL"].split() == ["default", f"sqlite:///{home / 'progress.sqlite3'}"]
    verbose = runner().invoke(cli, ["settings", "--verbose"], env=clean(tmp_path)).stdout.splitlines()
    tts = verbose.index(next(line for line in verbose if line.startswith("LEARN_TTS ")))
    assert verbose[tts + 1:tts + 3] == [
        "    narration engines: auto (gTTS online, else espeak-ng), gtts, espeak or off", "    default: auto"]
