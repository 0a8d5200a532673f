"""Practice on a pretend phone (issue 18): the ```practice block as read and checked (broken ones with their
lines), what a tap means (right, hint 1, hint 2, shown the way) and what is stored, the lesson page around the
pretend phone (AppTest cannot tap a component: the page's callback path, the service, is called as the component
would), the group session's taps, and the reports that count pretend screens like answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from learn import services
from learn.app.pretend_phone import Tap, tap_event
from learn.lessons.catalog import Catalog
from learn.lessons.parse import parse_lesson
from learn.lessons.validate import read_lesson
from learn.services import accounts, care, group_sessions, player, practice, reports
from learn.strings_vi import t
from progress_db import learning
from tests.support.paths import ROOT

pytestmark = pytest.mark.both_engines

FIXTURE = ROOT / "tests" / "fixtures" / "practice" / "vi"
FILE = FIXTURE / "payments" / "01-practice.md"
GOOD = FILE.read_text(encoding="utf-8")
SOURCE = Path("lesson.md")
LINE = {text: n for n, text in enumerate(GOOD.split("\n"), start=1)}


def line_of(text: str, after: str | None = None) -> int:
    """The file line of the first line that is ``text`` (after the line ``after``)."""
    lines = GOOD.split("\n")
    start = lines.index(after) if after else 0
    return lines.index(text, start) + 1


@pytest.fixture
def lesson():
    found = Catalog.load(FIXTURE).get("test-practice")
    assert found is not None
    return found


# --- the block, read ---

def test_a_practice_is_a_screen_of_its_step_before_its_questions(lesson) -> None:
    assert [(s.practice.id if s.practice else None, s.question.id if s.question else None)
            for s in lesson.screens] == [(None, None), (None, "q1"), (None, None), ("pay", None), (None, "q-name"),
                                         (None, None), (None, "q-receipt")]
    task = lesson.practices[0]
    assert [s.id for s in task.path] == ["home", "code", "confirm"]
    home, code, confirm = task.path
    assert (home.target, home.layout, [p.kind for p in home.parts]) == ("pay", "grid", ["tile", "tile", "tile"])
    assert (code.target, code.type) == ("ok", "012")
    assert confirm.feedback("cancel") == "Chưa cần hủy. Bác bấm Xác nhận nhé."
    assert home.feedback("history") == "Chưa phải nút này. Bác tìm nút Thanh toán nhé."  # the screen's default
    assert task.item_id(code) == "pay/code"


def _broken(old: str, new: str) -> list[tuple[int, str]]:
    assert old in GOOD, old
    result = parse_lesson(GOOD.replace(old, new, 1), SOURCE)
    assert result.lesson is None
    return [(p.line, p.message) for p in result.problems]


@pytest.mark.parametrize(("old", "new", "line", "message"), [
    ("    tap: pay\n", "    tap: paying\n", line_of("    tap: pay"),
     "'tap' of screen 'home' names 'paying', which is not one of its parts (transfer, pay, history)"),
    ("    tap: ok-button\n", "    tap: amount\n", line_of("    tap: ok-button"),
     "'tap' of screen 'confirm' names 'amount', a plain text part: make it a button, a tile or an item"),
    ("    tap: pay\n", "", line_of("  - id: home"),
     "screen 'home' needs one target: 'tap' (the id of the part to tap) or 'type' (a code typed on the keypad)"),
    ('    type: "012"\n', '    type: "012"\n    tap: paper\n', line_of('    type: "012"') + 1,
     "screen 'code' needs one target: 'tap' (the id of the part to tap) or 'type' (a code typed on the keypad)"),
    ('    type: "012"\n', "    type: 12\n", line_of('    type: "012"'),
     "write the code to type in quotes (\"0123\"): a number would lose its leading zeros"),
    ('    type: "012"\n', '    type: "12a"\n', line_of('    type: "012"'),
     "'type' must be a code of 1 to 12 digits in quotes (got '12a')"),
    ("    say: Bác bấm nút Thanh toán.\n", "", line_of("  - id: home"),
     "'say' (what is heard) of screen 'home' is missing"),
    ("    hint: Nút Xác nhận ở dưới cùng.\n", "", line_of("  - id: confirm"), "'hint' of screen 'confirm' is missing"),
    ("  - id: code\n", "  - id: home\n", line_of("  - id: code"),
     f"screen id 'home' is used twice in practice 'pay' (first on line {line_of('  - id: home')})"),
    ("      - id: history\n", "      - id: pay\n", line_of("      - id: history"),
     f"part id 'pay' is used twice on screen 'home' (first on line {line_of('      - id: pay')})"),
    ("    tap: pay\n", "    tap: pay\n    next: confirm\n", line_of("  - id: code") + 1,  # one line was added
     "screen 'code' of practice 'pay' is never reached: no right tap leads to it (check 'next')"),
    ("    tap: ok-button\n", "    tap: ok-button\n    next: home\n", line_of("    tap: ok-button") + 1,
     "the screens of practice 'pay' go round in a circle from 'confirm': the task must end"),
    ("    tap: pay\n", "    tap: pay\n    next: nowhere\n", line_of("    tap: pay") + 1,
     "'next' of screen 'home' names 'nowhere', which is not a screen of practice 'pay'"),
    ("    wrong: Chưa phải nút này. Bác tìm nút Thanh toán nhé.\n", "", line_of("  - id: home"),
     "screen 'home' needs 'wrong' (said after a wrong tap), or a 'wrong' on each other part that can be tapped"),
    ("        icon: send\n", "        icon: bank-logo\n", line_of("        icon: send"),
     "part icon 'bank-logo' is not a drawing we have (one of " + ", ".join(__import__(
         "learn.lessons.practice", fromlist=["ICONS"]).ICONS) + ")"),
    ("        kind: tile\n        icon: pay\n", "        kind: banner\n        icon: pay\n",
     line_of("        icon: pay") - 1, "part kind must be one of button, tile, item, text (got 'banner')"),
    ("id: pay\ntask:", "id: q1\ntask:", line_of("id: pay"),
     f"practice id 'q1' is already used on line {line_of('```question') + 1}"),
    ("    layout: grid\n", "    layout: grid\n    colour: red\n", line_of("    layout: grid") + 1,
     "unknown key 'colour' in practice screen (allowed: hint, id, layout, next, parts, say, tap, title, type, "
     "wrong)"),
    ("done: Bác đã trả xong trong bài tập.\n", "", line_of("```practice"), "practice 'done' is missing"),
])
def test_a_broken_practice_is_reported_with_its_line(old: str, new: str, line: int, message: str) -> None:
    assert (line, message) in _broken(old, new)


def test_a_practice_outside_a_step_or_after_its_questions_is_refused() -> None:
    block = GOOD[GOOD.index("```practice"):GOOD.index("```question\nid: q-name")]
    moved = GOOD.replace(block, "").replace("## Giữ biên lai\n\nBác chụp màn hình thành công.\n\n```question\n",
                                            "## Giữ biên lai\n\nBác chụp màn hình thành công.\n\n```question\n", 1)
    after = moved.replace("right: Đúng rồi.\nwrong: Chưa đúng ạ. Bác giữ biên lai.\n```\n",
                          "right: Đúng rồi.\nwrong: Chưa đúng ạ. Bác giữ biên lai.\n```\n\n" + block, 1)
    problems = parse_lesson(after, SOURCE).problems
    assert [p.message for p in problems] == ["a step has at most one practice, before its questions"]


def test_digits_in_what_a_practice_says_are_refused(tmp_path: Path) -> None:
    lesson_file = tmp_path / "payments" / "01-practice.md"
    lesson_file.parent.mkdir()
    lesson_file.write_text(GOOD.replace("Bác bấm mã không một hai, rồi bấm Xong.", "Bác bấm mã 012, rồi bấm OK."),
                           encoding="utf-8")
    _, problems = read_lesson(lesson_file, tmp_path)
    assert [(p.line, p.message) for p in problems] == [(
        line_of("    say: Bác bấm mã không một hai, rồi bấm Xong."),
        "screen 'code' of practice 'pay' is read aloud with 0, 1, 2, OK: spell it out as it is said, in a narration")]


def test_the_offline_voice_must_say_every_word_of_a_practice(tmp_path: Path) -> None:
    from learn.lessons.pronunciation import foreign_words
    from learn.voice.lexicon import Lexicon

    changed = parse_lesson(GOOD.replace("hint: Nút Xác nhận ở dưới cùng.", "hint: Nút Xác nhận, không bấm link."),
                           tmp_path / "x.md").lesson
    assert changed is not None
    found = foreign_words([changed], Lexicon(), tmp_path)
    assert len(found) == 1 and "link" in found[0].message and found[0].line == line_of(
        "    hint: Nút Xác nhận ở dưới cùng.")


def test_the_curriculum_has_the_eight_practices() -> None:
    curriculum = Catalog.load(ROOT / "content" / "vi")
    found = {p.id: x.id for x in curriculum.lessons.values() for p in x.practices}
    assert found == {"pay-bill-practice": "pay-electricity-bill", "vietqr-wrong-name": "pay-scan-vietqr",
                     "police-video-call": "scam-fake-police", "delete-fake-sms": "scam-messages-and-rules",
                     "vneid-show-card": "vneid-documents-safety", "zalo-send-produce-photo": "zalo-produce-photos",
                     "large-text": "phone-camera-photos", "refuse-otp-caller": "pay-secrets-and-mistakes"}
    assert len(found) >= 8


# --- what a tap means, and what is stored ---

def test_wrong_taps_give_two_hints_then_show_the_way(lesson, village: int) -> None:
    person = services.add_learner(village, "Bà Một")
    position = 3
    task = lesson.practices[0]
    first = practice.view(person.id, lesson, task)
    assert (first.step, first.hint, first.speech) == (0, None, "Bác tập trả tiền điện. Bác bấm nút Thanh toán.")

    one = practice.tap(person.id, lesson, position, "home", "transfer")
    assert one.kind == "hint1"
    said = "Đây là nút Chuyển tiền. Mình đang trả tiền điện, bác tìm nút Thanh toán nhé."
    assert (one.view.hint, one.view.speech, one.view.data()["hint"], one.view.data()["target"]) == (
        said, said, said, None)
    two = practice.tap(person.id, lesson, position, "home", "history")
    assert two.kind == "hint2"
    assert two.view.hint == "Chưa phải nút này. Bác tìm nút Thanh toán nhé. Nút Thanh toán ở bên phải."
    three = practice.tap(person.id, lesson, position, "home", "transfer")
    assert three.kind == "shown"
    assert three.view.hint == f"{t('practice.shown')} Nút Thanh toán ở bên phải."
    assert three.view.data()["target"] == "pay"  # outlined on the pretend screen
    # a reload: the wrong taps are kept (the hints she heard), not the part she tapped last
    assert practice.view(person.id, lesson, task).misses == 3
    done = practice.tap(person.id, lesson, position, "home", "pay")
    assert (done.kind, done.view.step, done.view.misses, done.view.screen.id) == ("right", 1, 0, "code")
    assert [(a.question_id, a.option_index, a.correct) for a in learning.run_answers(person.id, lesson.id)] == [
        ("pay/home", practice.SHOWN, False)]


def test_first_try_right_and_the_keypad(lesson, village: int) -> None:
    person = services.add_learner(village, "Bà Hai")
    assert practice.tap(person.id, lesson, 3, "home", "pay").kind == "right"
    assert practice.tap(person.id, lesson, 3, "code", "ok", "01").kind == "hint1"  # another code
    assert practice.tap(person.id, lesson, 3, "code", "ok", "012").kind == "right"
    # a tap from a screen already left, a made-up part or plain text changes nothing
    for screen, part in (("home", "pay"), ("confirm", "nothing"), ("confirm", "amount")):
        assert practice.tap(person.id, lesson, 3, screen, part).kind == "stale"
    end = practice.tap(person.id, lesson, 3, "confirm", "ok-button")
    assert end.kind == "right" and end.view.done and end.view.screen is None
    assert end.view.data()["done"] is True
    assert end.view.speech == f"Bác đã trả xong trong bài tập. {t('practice.done_next')}"
    assert end.view.helped == (("pay/home", 0), ("pay/code", 1), ("pay/confirm", 0))
    # stored like answers, beside the questions; none of them is asked again at the end of the lesson
    assert [(a.question_id, a.option_index, a.correct) for a in learning.run_answers(person.id, lesson.id)] == [
        ("pay/home", 0, True), ("pay/code", 1, False), ("pay/confirm", 0, True)]
    assert player.player_view(person.id, lesson).retries == ()
    # the lesson again: a new run, the practice starts from its first pretend screen
    player.restart(person.id, lesson)
    assert practice.view(person.id, lesson, lesson.practices[0]).step == 0


def test_the_component_reports_only_well_formed_taps() -> None:
    assert tap_event({"tap": {"screen": "home", "part": "pay", "typed": None, "at": 1}}) == Tap("home", "pay")
    assert tap_event({"tap": {"screen": "code", "part": "ok", "typed": "012"}}) == Tap("code", "ok", "012")
    for bad in (None, {}, {"tap": "pay"}, {"tap": {"screen": "home"}}, {"tap": {"screen": "<b>", "part": "pay"}},
                {"tap": {"screen": "code", "part": "ok", "typed": "12a"}}, {"tap": {"screen": "a", "part": 3}}):
        assert tap_event(bad) is None


def test_the_component_gets_lesson_text_as_data_only(lesson) -> None:
    from learn.app import pretend_phone

    assert "innerHTML" not in pretend_phone.JS and "insertAdjacentHTML" not in pretend_phone.JS
    data = practice.PracticeView(lesson.practices[0], 0).data()
    json.dumps(data)  # plain data
    assert data["labels"]["badge"] == t("practice.badge") == "BÀI TẬP"


# --- the lesson page ---

def test_the_page_draws_the_phone_and_next_waits_for_the_practice(app, village: int,
                                                                  monkeypatch: pytest.MonkeyPatch, lesson) -> None:
    monkeypatch.setenv("LEARN_CONTENT_DIR", str(FIXTURE))
    person = services.add_learner(village, "Bà Ba")
    player.step_to(person.id, lesson, 3)
    at = app("lesson", {"lesson": lesson.id}, village_id=village, learner_id=person.id)
    assert not at.exception
    phones = [e for e in at.get("bidi_component")]
    assert len(phones) == 1
    drawn = json.loads(phones[0].proto.json)
    assert (drawn["screen"], drawn["title"], drawn["hint"]) == ("home", "Ngân hàng", "")
    assert at.button(key="next-3").disabled
    # what the component's callback does on a wrong tap, then the page again
    practice.tap(person.id, lesson, 3, "home", "transfer")
    at.session_state["practice_wrong"] = (lesson.id, 3, "home", "transfer")
    at.run()
    drawn = json.loads(at.get("bidi_component")[0].proto.json)
    assert drawn["hint"].startswith("Đây là nút Chuyển tiền.")
    for screen, part, typed in (("home", "pay", None), ("code", "ok", "012"), ("confirm", "ok-button", None)):
        practice.tap(person.id, lesson, 3, screen, part, typed)
    at.run()
    assert json.loads(at.get("bidi_component")[0].proto.json)["done"] is True
    assert not at.button(key="next-3").disabled
    at.button(key="next-3").click().run()
    assert player.player_view(person.id, lesson).position == 4


# --- a group session, and the reports ---

def test_the_trainer_taps_for_the_group(village: int, lesson, monkeypatch: pytest.MonkeyPatch) -> None:
    trainer = accounts.create_account("tapper", "Cô Tập", "mat-khau-dai", "trainer", "Xã Thử")
    catalog = Catalog.load(FIXTURE)
    session = group_sessions.start(trainer, catalog, village, lesson.id)
    group_sessions.move(trainer, lesson, session.id, 3)
    assert practice.group_view(trainer, lesson, session.id).step == 0
    assert practice.group_tap(trainer, lesson, session.id, 3, "home", "transfer").kind == "hint1"
    assert practice.group_tap(trainer, lesson, session.id, 2, "home", "pay").kind == "stale"  # another screen
    after = practice.group_view(trainer, lesson, session.id)
    assert (after.step, after.misses, after.hint) == (0, 1, "Đây là nút Chuyển tiền. Mình đang trả tiền điện, "
                                                             "bác tìm nút Thanh toán nhé.")
    assert practice.group_tap(trainer, lesson, session.id, 3, "home", "pay").kind == "right"
    assert practice.group_view(trainer, lesson, session.id).step == 1
    assert group_sessions.answers(trainer, session.id) == {}  # nobody's answer is stored for the group


def test_reports_count_pretend_screens_like_answers(village: int, lesson) -> None:
    staff = accounts.create_account("canbo", "Chị Xã", "mat-khau-dai", "staff", "Xã Thử")
    catalog = Catalog.load(FIXTURE)
    # five residents (the dashboard's least), two of them helped
    people = {}
    for name, wrong in (("Bà Bốn", 2), ("Bà Năm", 0), ("Ông Sáu", 3), ("Bà Bảy", 0), ("Bà Tám", 0)):
        person = people[name] = services.add_learner(village, name)
        for _ in range(wrong):
            practice.tap(person.id, lesson, 3, "home", "history")
        practice.tap(person.id, lesson, 3, "home", "pay")
    dash = reports.dashboard(staff, catalog, staff.commune_id)
    hard = [h for h in dash.hardest if h.row.question_id == "pay/home"]
    assert len(hard) == 1 and (hard[0].row.answers, hard[0].row.wrong) == (5, 2)
    assert hard[0].prompt.startswith(t("practice.report_prompt", task="Trả tiền điện", screen="Ngân hàng"))
    assert hard[0].common_wrong == ""
    seen = care.report(staff, catalog, people["Ông Sáu"].id)
    assert [(w.prompt, w.chosen, w.right, w.helped) for w in seen.wrong] == [(
        t("practice.report_prompt", task="Trả tiền điện", screen="Ngân hàng"), t("practice.helped.3"),
        "Thanh toán", 3)]


def test_pretend_screens_travel_in_a_sync_bundle(db: Path, database_url: str, new_database, lesson,
                                                 tmp_path: Path) -> None:
    from learn.services import sync
    from progress_db import community
    from progress_db.db import database, open_db

    key = "khoa-bi-mat-cua-tinh"
    server = database.obj
    laptop = open_db(new_database())  # binds the laptop's database
    bundle = tmp_path / "practice.hocso"
    try:
        village = community.get_or_create_village(community.get_or_create_commune("Xã Thử"), "Thôn Một")
        person = services.add_learner(village, "Bà Lò Thị Mai", 1956)
        practice.tap(person.id, lesson, 3, "home", "transfer")
        practice.tap(person.id, lesson, 3, "home", "pay")
        sync.export(bundle, key)
        database.initialize(server)
        taken = sync.take_in(bundle.read_bytes(), key, Catalog.load(FIXTURE))
        assert taken.added["attempts"] == 1
        [mai] = community.list_learners(community.get_or_create_village(
            community.get_or_create_commune("Xã Thử"), "Thôn Một"))
        assert [(a.question_id, a.option_index) for a in learning.run_answers(mai.id, lesson.id)] == [
            ("pay/home", 1)]
    finally:
        laptop.close_all() if hasattr(laptop, "close_all") else laptop.close()
        database.initialize(server)
