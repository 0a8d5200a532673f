"""The `learn` command as a trainer or content author runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from learn import services
from learn.cli import cli
from learn.strings_vi import t
from progress_db.db import open_db
from tests.conftest import BROKEN, CONTENT, FIXTURES, ROOT
from tests.support.cli import runner  # also imported from here by tests/test_sync.py, for now


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"LEARN_HOME": str(tmp_path / "home"), "LEARN_CONTENT_DIR": str(CONTENT)}


def run(env: dict[str, str], *args: str):
    return runner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_content_check_passes_on_good_lessons(env: dict[str, str]) -> None:
    # a lesson that keeps the rules for authors too (the playable fixture lessons do not: see test_content_rules)
    result = run({**env, "LEARN_CONTENT_DIR": str(FIXTURES / "rules" / "vi")}, "content", "check")
    assert result.exit_code == 0 and result.stdout.strip() == "1 lessons OK"


def test_content_check_prints_every_problem_with_file_and_line(env: dict[str, str]) -> None:
    result = run(env, "content", "check", str(BROKEN))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    bad = BROKEN / "smartphone" / "bad-topic.md"
    assert lines[:9] == [
        f"{bad}:2: id 'Bad Id' must be an ASCII slug: lowercase letters, digits and hyphens",
        f"{bad}:4: topic must be one of smartphone, payments, scams, vneid, zalo, selling-online, public-services "
        "(got 'farming')",
        f"{bad}:5: minutes must be a whole number from 3 to 5 (got 12)",
        f"{bad}:6: summary is empty",
        f"{bad}:9: a lesson asks at least 3 questions (has 1)",
        f"{bad}:9: a lesson has at least 3 steps (has 1)",
        f"{bad}:14: feedback 'wrong' is missing",
        f"{bad}:16: a choice question needs 2 to 4 options (has 1)",
        f"{bad}:18: answer must be the number of the correct option, 1 to 1 (got 3)",
    ]
    assert lines[9].startswith(f"{BROKEN / 'smartphone' / 'no-front-matter.md'}:1: the file must start with")
    assert lines[10] == "Error: 10 problem(s) in 2 file(s)"


def test_content_check_on_a_missing_folder_is_a_usage_error(env: dict[str, str]) -> None:
    result = run(env, "content", "check", "/no/such/folder")
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_content_list_json_has_one_object_per_lesson(env: dict[str, str]) -> None:
    result = run(env, "content", "list", "--json")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert rows == [
        {"id": "test-unlock", "title": "Mở khóa máy", "topic": "smartphone", "minutes": 3, "steps": 3,
         "questions": 3, "prerequisites": [], "path": "smartphone/01-unlock.md"},
        {"id": "test-sms", "title": "Tin nhắn lạ", "topic": "scams", "minutes": 4, "steps": 3, "questions": 3,
         "prerequisites": ["test-unlock"], "path": "scams/01-sms.md"},
    ]


def test_content_list_of_the_repository_lessons(tmp_path: Path) -> None:
    result = run({"LEARN_HOME": str(tmp_path)}, "content", "list", "--json")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert {"phone-unlock", "pay-electricity-bill", "scam-fake-police", "vneid-intro"} <= {r["id"] for r in rows}
    assert all(r["questions"] >= 3 and 3 <= r["minutes"] <= 5 for r in rows)


def test_db_migrate_status_and_demo_init(env: dict[str, str], tmp_path: Path) -> None:
    from progress_db.migrations import available

    names = [m.name for m in available()]
    status = run(env, "db", "status").stdout.split()
    assert status[1::3] == names and set(status[2::3]) == {"pending"}
    assert names[:4] == ["initial", "spoken_answers", "runs_and_pin_lock", "utterances"]
    assert run(env, "db", "migrate").stdout.strip() == f"applied {len(names)} migration(s): {', '.join(names)}"
    assert run(env, "db", "migrate").stdout.strip() == "applied 0 migration(s)"
    assert set(run(env, "db", "status").stdout.split()[2::3]) == {"applied"}
    env = {**env, "LEARN_CONTENT_DIR": str(ROOT / "content" / "vi")}
    for _ in range(2):  # running it twice creates nothing twice
        result = run(env, "demo", "init")
        assert result.exit_code == 0
    open_db(f"sqlite:///{tmp_path / 'home' / 'progress.sqlite3'}")
    villages = services.villages()
    assert [v.name for v in villages] == ["Bản Mường", "Bản Suối Lìn", "Thôn Đông", "Thôn Tây"]
    assert {v.commune for v in villages} == {"Xã Hòa Bình"}


def test_demo_init_with_a_broken_demo_file_explains(env: dict[str, str], tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / "demo-commune.yaml").write_text("commune: Xã Thử\nvilage: [Thôn A]\n", encoding="utf-8")
    result = runner().invoke(cli, ["demo", "init"], env={**env, "LEARN_CONTENT_DIR": str(content)})
    assert result.exit_code == 1 and "demo-commune.yaml needs 'commune' (a name) and 'villages' (a list of names)" \
        in result.stderr


def test_an_unusable_data_folder_is_a_clear_error(env: dict[str, str], tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    result = runner().invoke(cli, ["db", "migrate"], env={**env, "LEARN_HOME": str(blocker)})
    said = t("cli.error", message=t("cli.database", url=f"sqlite:///{blocker}/progress.sqlite3", detail=""))
    assert result.exit_code == 1 and said in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_init_without_a_demo_file_explains(env: dict[str, str]) -> None:
    result = runner().invoke(cli, ["demo", "init"], env=env)
    assert result.exit_code == 1 and "no demo commune file at" in result.stderr


def test_serve_rejects_a_bad_port(env: dict[str, str]) -> None:
    result = runner().invoke(cli, ["serve", "--port", "99999"], env=env)
    assert result.exit_code == 2 and "99999 is not in the range 1<=x<=65535" in result.stderr


def test_say_writes_an_mp3_and_reuses_the_cache(env: dict[str, str], tmp_path: Path) -> None:
    from learn.voice.audio import decode_pcm, duration

    out = tmp_path / "hello.mp3"
    result = run(env, "say", "Xin chào bác", "-o", str(out), "--engine", "espeak")
    assert result.exit_code == 0 and result.stdout.startswith(f"{out}: ") and "voice espeak/vi" in result.stdout
    assert duration(decode_pcm(out)) > 0.5
    again = run(env, "say", "Xin chào bác", "-o", str(out), "--engine", "espeak", "--slow")
    assert "(from cache)" not in again.stdout
    assert "(from cache)" in run(env, "say", "Xin chào bác", "-o", str(out), "--engine", "espeak").stdout


def test_say_refuses_text_with_nothing_to_say(env: dict[str, str], tmp_path: Path) -> None:
    result = runner().invoke(cli, ["say", "?!", "-o", str(tmp_path / "x.mp3")], env=env)
    assert result.exit_code == 1 and "nothing to say in '?!'" in result.stderr
    assert not (tmp_path / "x.mp3").exists()


def clips_needed(lesson_id: str) -> int:
    from learn import services
    from learn.lessons.catalog import Catalog

    return len(services.narrated_texts(Catalog.load(CONTENT).lessons[lesson_id]))


def test_narrate_prerenders_once_then_reuses(env: dict[str, str]) -> None:
    n = clips_needed("test-sms")
    first = run(env, "narrate", "--engine", "espeak", "--lesson", "test-sms", "--speed", "normal")
    assert first.exit_code == 0 and first.stdout.startswith(f"{n} made, 0 reused, 0 failed")
    second = run(env, "narrate", "--engine", "espeak", "--lesson", "test-sms", "--speed", "normal")
    assert second.stdout.startswith(f"0 made, {n} reused, 0 failed")


def test_narrate_unknown_lesson_is_a_usage_error(env: dict[str, str]) -> None:
    result = runner().invoke(cli, ["narrate", "--lesson", "nope"], env=env)
    assert result.exit_code == 2 and "no lesson with id nope" in result.stderr


def test_narrate_without_espeak_reports_failures(env: dict[str, str]) -> None:
    result = runner().invoke(cli, ["narrate", "--engine", "espeak", "--lesson", "test-sms", "--speed", "slow"],
                             env={**env, "PATH": "/nonexistent"})
    assert result.exit_code == 1 and f"0 made, 0 reused, {clips_needed('test-sms')} failed" in result.stdout
    assert "espeak: not available" in result.stderr


def test_listen_without_a_model_says_how_to_install_one(env: dict[str, str]) -> None:
    clip = ROOT.parent / "shared" / "audio" / "vi-tts" / "d02.wav"
    if not clip.exists():
        pytest.skip("../shared/audio clips are not present")
    result = runner().invoke(cli, ["listen", str(clip), "--choices", "Một|Hai"], env=env)
    assert result.exit_code == 1
    assert "no Vosk model: run `learn models download vi` or set LEARN_VOSK_MODEL" in result.stderr


def test_models_check_without_a_model(env: dict[str, str]) -> None:
    result = runner().invoke(cli, ["models", "check"], env=env)
    assert result.exit_code == 1 and "no usable model at" in result.stderr
    assert "learn models download vi" in result.stderr


def test_models_download_offline_fails_cleanly(env: dict[str, str], tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("learn.voice.models.MODELS", {"vi": __import__("learn.voice.models", fromlist=["ModelSpec"])
                        .ModelSpec("m", "http://127.0.0.1:9/none.zip", "0" * 64, 10)})
    result = runner().invoke(cli, ["models", "download", "vi"], env=env)
    assert result.exit_code == 1 and "could not download http://127.0.0.1:9/none.zip" in result.stderr


def db_of(env: dict[str, str]) -> None:
    """Bind this test to the database the commands wrote (LEARN_HOME's SQLite file)."""
    open_db(f"sqlite:///{Path(env['LEARN_HOME']) / 'progress.sqlite3'}")


def failed(result, message: str) -> bool:
    """The command stopped with exit status 1 and this one Vietnamese line, no traceback."""
    return result.exit_code == 1 and result.stderr.strip() == t("cli.error", message=message)


def test_communes_are_added_with_their_villages_listed_and_renamed(env: dict[str, str]) -> None:
    assert run(env, "communes", "list").stdout.strip() == t("commune.none")
    made = run(env, "communes", "add", "  Xã   Hòa Bình ", "--village", "Thôn Đông", "--village", " Bản  Mường")
    assert made.exit_code == 0
    assert made.stdout.strip() == t("commune.added_villages", name="Xã Hòa Bình", count=2,
                                    villages="Thôn Đông, Bản Mường")
    assert run(env, "communes", "add", "Phường Một").stdout.strip() == t("commune.added", name="Phường Một")
    assert run(env, "communes", "list").stdout.splitlines() == [
        t("commune.row", name="Phường Một", villages=0), t("commune.row", name="Xã Hòa Bình", villages=2)]
    renamed = run(env, "communes", "rename", "xã hòa bình", "Xã  Hòa Bình Mới")
    assert renamed.stdout.strip() == t("commune.renamed", old="Xã Hòa Bình", new="Xã Hòa Bình Mới")
    db_of(env)
    assert sorted((v.commune, v.name) for v in services.villages()) == [
        ("Xã Hòa Bình Mới", "Bản Mường"), ("Xã Hòa Bình Mới", "Thôn Đông")]  # the villages stayed with it


def test_bad_or_duplicate_commune_names_are_refused_in_vietnamese_and_add_nothing(env: dict[str, str]) -> None:
    run(env, "communes", "add", "Xã Hòa Bình", "--village", "Thôn Đông")
    run(env, "communes", "add", "Xã Bên")
    before = run(env, "communes", "list").stdout
    for args, message in [
        (["add", "xã hòa bình"], t("commune.exists", name="Xã Hòa Bình")),
        (["add", "Xã <b>"], t("learner.name_invalid", char="<")),
        (["add", "   "], t("learner.name_empty")),
        (["add", "Xã Mới", "--village", "Thôn Một", "--village", "Thôn <Hai>"], t("learner.name_invalid", char="<")),
        (["add", "Xã Mới", "--village", "Thôn Một", "--village", "thôn  một"],
         t("commune.village_twice", name="thôn một")),
        (["rename", "Xã Không Có", "Xã Khác"], t("commune.unknown", name="Xã Không Có")),
        (["rename", "Xã Bên", "XÃ HÒA BÌNH"], t("commune.exists", name="Xã Hòa Bình")),
        (["rename", "Xã Bên", "Xã " + "A" * 60], t("learner.name_too_long", limit=60)),
    ]:
        result = runner().invoke(cli, ["communes", *args], env=env)
        assert failed(result, message), (args, result.stderr)
    assert run(env, "communes", "list").stdout == before


def test_users_add_checks_everything_before_asking_for_the_password(env: dict[str, str]) -> None:
    run(env, "communes", "add", "Xã Thử")
    run(env, "users", "add", "lan", "--role", "staff", "--commune", "Xã Thử", "--password", "mat-khau-dai")
    for args, message in [
        (["x", "--role", "trainer", "--commune", "Xã Thử"], t("account.username_invalid")),
        (["LAN", "--role", "trainer", "--commune", "Xã Thử"], t("account.username_taken")),
        (["mai", "--role", "boss", "--commune", "Xã Thử"], t("account.role_invalid")),
        (["mai", "--role", "trainer"], t("account.commune_needed")),
        (["mai", "--role", "staff", "--commune", "Xã Khác"], t("account.commune_unknown", commune="Xã Khác")),
    ]:
        result = runner().invoke(cli, ["users", "add", *args], env=env, input="mat-khau-dai\nmat-khau-dai\n")
        assert failed(result, message), (args, result.stderr)
        assert result.stdout == ""  # refused before the password was asked for
    short = runner().invoke(cli, ["users", "add", "mai", "--role", "trainer", "--commune", "Xã Thử",
                                  "--password", "ngan"], env=env)
    assert failed(short, t("account.password_short", minimum=8))


def test_users_add_asks_again_for_a_short_or_mistyped_password(env: dict[str, str]) -> None:
    from learn.services import accounts

    run(env, "communes", "add", "Xã Thử")
    result = runner().invoke(cli, ["users", "add", "mai", "--role", "Trainer", "--commune", "Xã Thử",
                                   "--name", "Chị Mai"], env=env,
                             input="ngan\nmat-khau-dai\nmat-khau-khac\nmat-khau-dai\nmat-khau-dai\n")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count(t("cli.password", minimum=8)) == 3 and result.stdout.count(t("cli.password_again")) == 2
    assert result.stdout.rstrip().endswith(t("cli.user_created_for", username="mai", role=t("dashboard.role.trainer"),
                                             commune="Xã Thử"))
    assert result.stderr.splitlines() == [t("cli.error", message=t("account.password_short", minimum=8)),
                                          t("cli.error", message=t("cli.password_mismatch"))]
    assert "mat-khau" not in result.stdout  # typed hidden
    db_of(env)
    signed_in = accounts.login("mai", "mat-khau-dai")
    assert (signed_in.name, signed_in.role, signed_in.commune) == ("Chị Mai", "trainer", "Xã Thử")
    admin = runner().invoke(cli, ["users", "add", "tinh", "--role", "admin", "--password", "mat-khau-dai"], env=env)
    assert admin.stdout.strip() == t("cli.user_created", username="tinh", role=t("dashboard.role.admin"))


def test_a_domain_error_with_only_a_general_message_keeps_its_detail(env: dict[str, str], tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / "demo-commune.yaml").write_text("commune: Xã Thử\n", encoding="utf-8")
    result = runner().invoke(cli, ["demo", "init"], env={**env, "LEARN_CONTENT_DIR": str(content)})
    assert failed(result, t("cli.detail", message=t("error.invalid"),
                            detail="demo-commune.yaml needs 'commune' (a name) and 'villages' (a list of names)"))


def test_a_refused_backup_is_one_vietnamese_line(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "junk.db").write_text("junk")
    result = runner().invoke(cli, ["db", "restore", "--yes", str(tmp_path / "junk.db")], env=env)
    assert result.exit_code == 1 and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(t("cli.error", message=t("cli.backup", detail=f"{tmp_path / 'junk.db'} is not")))
