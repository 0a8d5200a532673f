"""Spaced review, "Ôn lại" (issue 18): wrong first answers and the scam-spotting questions of finished lessons
come back after about 1, 3, 7 and 21 days (a Leitner schedule driven by a clock the tests move), a few at a
time; review answers are stored apart and change neither lesson progress nor the first-answer reports; the
home shows a picture card when questions are due, the review page asks them like the lesson player and ends
with a summary; the coach view counts, per village, who keeps scam spotting right on review."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from learn import services
from learn.app.navigation import PAGES
from learn.app.ui import plain
from learn.lessons.catalog import Catalog
from learn.lessons.model import Lesson
from learn.services import accounts, home, reports, review, sync
from learn.strings_vi import t
from learn.voice.narrator import AudioCache, Narrator
from learn.voice.tts import EspeakEngine
from progress_db import community, learning
from progress_db import review as stored
from progress_db.db import database, open_db
from progress_db.models import Attempt, LessonProgress, utcnow
from progress_db.records import AccountInfo
from tests.support.apptest import PASSWORD, texts

DAY = timedelta(days=1)
# test-sms: screen 1 q1 (scam-or-real, right 0), 3 otp (yes-no, right 1), 5 ask-family (choice, right 0)
SCAM, OTP, FAMILY = ("test-sms", "q1"), ("test-sms", "otp"), ("test-sms", "ask-family")


def take(person: int, lesson: Lesson, options: dict[str, int]) -> None:
    """Take the lesson to its end, answering each question with ``options[question id]`` the first time and
    right when it comes back at the end."""
    for position, screen in enumerate(lesson.screens):
        services.go_to(person, lesson, position)
        if screen.question is not None:
            services.answer(person, lesson, position, options[screen.question.id])
    view = services.go_to(person, lesson, len(lesson.screens))
    while not view.finished:
        question = view.screen.question if view.screen is not None else None
        if question is not None and view.answer is None:
            view = services.answer(person, lesson, view.position, question.answer)
        view = services.go_to(person, lesson, view.position + 1)
    assert learning.progress_for(person)[lesson.id].completed


def keys(items: list[review.ReviewItem]) -> list[tuple[str, str]]:
    return [x.key for x in items]


def sit(catalog: Catalog, person: int, now: datetime, right: set[tuple[str, str]]) -> list[tuple[str, str]]:
    """One review round at ``now``: answer each due item right when it is in ``right``, else wrong; return the
    items asked, in order."""
    round_id = review.new_round()
    view = review.round_view(catalog, person, round_id, 0, now)
    while not view.finished:
        item = view.current
        assert item is not None
        q = item.question
        view = review.answer(catalog, person, round_id, view.position,
                             q.answer if item.key in right else (q.answer + 1) % len(q.options), now)
        view = review.round_view(catalog, person, round_id, view.position + 1, now)
    return [a.key for a in view.answers]


def backdate(person: int, days: float) -> None:
    """Move her lesson answers and completions ``days`` into the past (she took the lessons back then)."""
    then = timedelta(days=days)
    for a in Attempt.select().where(Attempt.learner == person):
        Attempt.update(answered_at=a.answered_at - then).where(Attempt.id == a.id).execute()
    for p in LessonProgress.select().where(LessonProgress.learner == person):
        LessonProgress.update(completed_at=p.completed_at and p.completed_at - then,
                              updated_at=p.updated_at - then).where(LessonProgress.id == p.id).execute()


# --- the schedule, with a clock the tests move (both engines) -----------------------------------------------

@pytest.mark.both_engines
def test_a_moving_clock_brings_the_right_items_back_after_1_3_7_and_21_days(village: int, catalog: Catalog) -> None:
    person = services.add_learner(village, "Bà Một").id
    take(person, catalog.get("test-sms"), {"q1": 0, "otp": 0, "ask-family": 0})  # otp wrong, the others right
    start = utcnow()
    # nothing the same day; a day later: the scam-spotting question of the finished lesson and the wrong one
    assert review.due(catalog, person, start + DAY - timedelta(hours=1)) == []
    day1 = start + DAY + timedelta(minutes=1)
    # the wrong answer (screen 3) came before the lesson was finished: it waits longest
    assert keys(review.due(catalog, person, day1)) == [OTP, SCAM]  # ask-family: right first, not scam-spotting
    assert sit(catalog, person, day1, right={SCAM}) == [OTP, SCAM]  # otp wrong again: back to the first box
    assert review.due(catalog, person, day1) == []
    assert keys(review.due(catalog, person, day1 + DAY)) == [OTP]  # wrong: the next day
    assert sit(catalog, person, day1 + DAY, right={OTP}) == [OTP]
    # right in box 0: 3 days later; right in box 1: 7 days later; then 21; right in the last box, it leaves
    assert keys(review.due(catalog, person, day1 + 3 * DAY - timedelta(minutes=5))) == []
    day4 = day1 + 3 * DAY
    assert keys(review.due(catalog, person, day4)) == [SCAM]  # otp, right on day 2, waits until day 5
    assert sit(catalog, person, day4, right={SCAM}) == [SCAM]
    assert keys(review.due(catalog, person, day4 + 7 * DAY - timedelta(minutes=1))) == [OTP]
    day11 = day4 + 7 * DAY
    assert sit(catalog, person, day11, right={SCAM, OTP}) == [OTP, SCAM]
    day32 = day11 + 21 * DAY
    assert keys(review.due(catalog, person, day32 - DAY)) == [OTP]  # box 2 since day 11: due on day 18
    assert sit(catalog, person, day32, right={SCAM}) == [OTP, SCAM]  # scam right in the last box: it leaves
    assert keys(review.due(catalog, person, day32 + 365 * DAY)) == [OTP]
    assert [(x.key, x.box, x.retired_at is not None) for x in stored.items(person)] == [
        (SCAM, 3, True), (OTP, 0, False)]


@pytest.mark.both_engines
def test_a_wrong_first_answer_given_later_puts_a_question_back_at_the_start(village: int, catalog: Catalog) -> None:
    person = services.add_learner(village, "Bà Một").id
    unlock = catalog.get("test-unlock")
    take(person, unlock, {"q1": 0, "swipe": 1, "screen-off": 1})  # swipe wrong
    first = utcnow()
    assert sit(catalog, person, first + 2 * DAY, right={("test-unlock", "swipe")}) == [("test-unlock", "swipe")]
    assert review.due(catalog, person, first + 3 * DAY) == []  # box 1 now: due on day 5
    services.restart(person, unlock)
    take(person, unlock, {"q1": 0, "swipe": 1, "screen-off": 1})  # the lesson again, swipe wrong again
    again = utcnow()
    assert keys(review.due(catalog, person, again + DAY + timedelta(minutes=1))) == [("test-unlock", "swipe")]


@pytest.mark.both_engines
def test_a_round_asks_at_most_five_and_the_rest_wait(village: int, catalog: Catalog) -> None:
    person = services.add_learner(village, "Bà Một").id
    take(person, catalog.get("test-unlock"), {"q1": 1, "swipe": 1, "screen-off": 0})  # all three wrong
    take(person, catalog.get("test-sms"), {"q1": 1, "otp": 0, "ask-family": 1})  # all three wrong
    later = utcnow() + 2 * DAY
    assert review.due_count(catalog, person, later) == 6
    assert len(sit(catalog, person, later, right=set())) == review.ROUND_SIZE
    assert review.due_count(catalog, person, later) == 1  # the sixth, for the next round


@pytest.mark.both_engines
def test_review_answers_leave_lesson_progress_and_the_first_answer_report_alone(village: int,
                                                                               catalog: Catalog) -> None:
    unlock = catalog.get("test-unlock")
    people = [services.add_learner(village, f"Người Số {n + 1}").id for n in range(reports.HARDEST_MIN_ANSWERS)]
    for person in people:
        take(person, unlock, {"q1": 1, "swipe": 1, "screen-off": 1})  # q1 and swipe wrong first
    staff = accounts.create_account("lan", "Chị Lan", PASSWORD, "staff", "Xã Thử")
    assert staff.commune_id is not None

    def seen() -> tuple[object, ...]:
        dash = reports.dashboard(staff, catalog, staff.commune_id)  # type: ignore[arg-type]
        return ({h.row.question_id: (h.row.answers, h.row.wrong) for h in dash.hardest},
                [(p, learning.progress_for(p), learning.run_answers(p, "test-unlock")) for p in people],
                [learning.answer_count(p) for p in people])

    before = seen()
    assert before[0] == {"q1": (5, 5), "swipe": (5, 5)}
    for person in people:
        assert sit(catalog, person, utcnow() + 2 * DAY, right={("test-unlock", "q1")}) == [
            ("test-unlock", "q1"), ("test-unlock", "swipe")]
    assert seen() == before  # ten review answers later: the same report, progress and lesson answers
    assert [(a.key, a.correct, a.box) for a in stored.answers(people[0])] == [
        (("test-unlock", "q1"), True, 0), (("test-unlock", "swipe"), False, 0)]


@pytest.mark.both_engines
def test_a_tap_twice_or_from_an_earlier_screen_records_one_answer(village: int, catalog: Catalog) -> None:
    person = services.add_learner(village, "Bà Một").id
    take(person, catalog.get("test-sms"), {"q1": 1, "otp": 1, "ask-family": 0})  # q1 wrong
    later = utcnow() + 2 * DAY
    round_id = review.new_round()
    review.answer(catalog, person, round_id, 0, 0, later)
    review.answer(catalog, person, round_id, 0, 1, later)  # a second tap on the same screen
    view = review.answer(catalog, person, round_id, 3, 0, later)  # a stale click
    assert [(a.key, a.option_index) for a in view.answers] == [(SCAM, 0)]
    assert view.position == 1 and view.finished  # no skipping past the summary
    assert review.clean_round(round_id) == round_id and review.clean_round("../x") is None


# --- the pages ----------------------------------------------------------------------------------------------

@pytest.fixture
def due_resident(village: int, catalog: Catalog) -> int:
    """Bà Một took the scam lesson two days ago, the OTP question wrong the first time: two questions are due."""
    person = services.add_learner(village, "Bà Một").id
    take(person, catalog.get("test-sms"), {"q1": 0, "otp": 0, "ask-family": 0})
    backdate(person, 2)
    return person


def test_the_home_shows_the_review_card_only_when_questions_are_due(app: Callable[..., AppTest], village: int,
                                                                   catalog: Catalog, due_resident: int) -> None:
    newcomer = services.add_learner(village, "Bà Hai").id
    fresh = app("lessons", village_id=village, learner_id=newcomer)
    assert not fresh.exception and "open-review" not in [b.key for b in fresh.button]
    assert home.home(catalog, newcomer).review == 0

    at = app("lessons", village_id=village, learner_id=due_resident)
    assert not at.exception
    assert at.button(key="open-review").label == t("review.card_open", count=2)
    assert f"**{t('review.card_count', count=2)}**" in texts(at)
    assert [b.key for b in at.button].index("open-review") < [b.key for b in at.button].index("topic-smartphone")
    at.button(key="open-review").click().run()
    assert not at.exception
    assert t("review.progress", current=1, total=2) in texts(at)


def test_the_review_page_asks_each_item_reschedules_it_and_sums_up(app: Callable[..., AppTest], village: int,
                                                                  catalog: Catalog, due_resident: int) -> None:
    sms = catalog.get("test-sms")
    scam, otp = sms.questions[0], sms.questions[1]
    at = app("review", village_id=village, learner_id=due_resident)
    assert not at.exception
    round_id = at.query_params["round"]
    # the OTP question first: it was answered wrong before the lesson was finished, so it waited longest
    assert t("review.progress", current=1, total=2) in texts(at)
    assert f"### {plain(otp.prompt)}" in [m.value for m in at.markdown]
    assert t("review.from_lesson", title=sms.title) in texts(at)
    assert [b.label for b in at.button if b.key.startswith("option-0-")] == ["1. Có", "2. Không"]
    assert at.button(key="next-0").disabled  # answer first
    at.button(key="option-0-1").click().run()  # right
    assert [s.value for s in at.success] == [plain(otp.right)]
    assert at.button(key="option-0-1").disabled and not at.button(key="next-0").disabled
    at.button(key="next-0").click().run()

    # a reload keeps her place (the round is in the address)
    again = app("review", {"round": round_id, "at": "1"}, village_id=village, learner_id=due_resident)
    assert t("review.progress", current=2, total=2) in texts(again)
    assert f"### {plain(scam.prompt)}" in [m.value for m in again.markdown]
    again.button(key="option-1-1").click().run()  # "Thật": wrong, so the explanation and the right answer
    assert [e.value for e in again.error] == [
        f"{plain(scam.wrong)}\n\n{t('lesson.correct_was', answer=plain(scam.options[scam.answer].text))}"]
    assert again.button(key="next-1").label == t("lesson.finish")
    again.button(key="next-1").click().run()
    assert t("review.done_heading") in texts(again)
    assert [s.value for s in again.success] == [t("review.done_score", right=1, asked=2)]

    now = utcnow()
    moved = {x.key: (x.box, x.due_at - now) for x in stored.items(due_resident)}
    assert moved[OTP][0] == 1 and 3 * DAY - timedelta(minutes=1) < moved[OTP][1] <= 3 * DAY
    assert moved[SCAM][0] == 0 and DAY - timedelta(minutes=1) < moved[SCAM][1] <= DAY
    assert [(a.key, a.option_index, a.correct, a.round) for a in stored.answers(due_resident)] == [
        (OTP, 1, True, round_id), (SCAM, 1, False, round_id)]
    again.button(key="review-back").click().run()
    assert not again.exception and "open-review" not in [b.key for b in again.button]  # nothing due any more


def test_with_nothing_due_the_review_page_says_so_and_leads_back(app: Callable[..., AppTest], village: int) -> None:
    person = services.add_learner(village, "Bà Hai").id
    at = app("review", village_id=village, learner_id=person)
    assert [i.value for i in at.info] == [t("review.none")]
    at.button(key="review-back").click().run()
    assert not at.exception and at.button(key="change-learner")


def test_the_card_and_the_review_speak(app: Callable[..., AppTest], db: Path, village: int, due_resident: int,
                                       catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEARN_TTS", "espeak")
    narrator = Narrator(AudioCache(db.parent / "audio"), [EspeakEngine()])
    at = app("lessons", village_id=village, learner_id=due_resident, timeout=30)
    assert not at.exception
    assert narrator.cached(f"{t('review.home_voice', count=2)} {t('home.voice.next')}") is not None
    at.button(key="say-review").click().run()
    assert narrator.cached(t("review.say_card", count=2)) is not None
    at.button(key="open-review").click().run()
    otp = catalog.get("test-sms").questions[1]
    assert narrator.cached(f"{t('review.speech.ask')} {services.question_speech(otp)}") is not None
    at.switch_page(PAGES["review"]).run()  # (AppTest would go back to the page it was opened on)
    at.button(key="option-0-0").click().run()  # wrong: the feedback names the right answer
    assert narrator.cached(services.feedback_speech(otp, False)) is not None


def test_the_coach_sees_who_keeps_scam_spotting_right(app: Callable[..., AppTest], village: int, catalog: Catalog,
                                                     mai: AccountInfo) -> None:
    at = app("coach", {"village": str(village)}, account=mai)
    assert not at.exception
    assert t("review.coach_none") in texts(at)
    keeps, slips, other = (services.add_learner(village, name).id for name in ("Bà Một", "Bà Hai", "Bà Ba"))
    for person in (keeps, slips, other):
        take(person, catalog.get("test-sms"), {"q1": 0, "otp": 0, "ask-family": 0})
    later = utcnow() + 2 * DAY
    sit(catalog, keeps, later, right={SCAM})  # otp wrong: not scam spotting, she still keeps it
    sit(catalog, slips, later, right={OTP})
    sit(catalog, slips, later + 3 * DAY, right={SCAM})  # wrong at first, right the next time: she keeps it
    assert review.scam_review(catalog, stored.village_answers(village)) == review.ScamReview(reviewed=2, kept=2)
    sit(catalog, slips, later + 30 * DAY, right=set())  # the last time, wrong
    at = app("coach", {"village": str(village)}, account=mai)
    assert t("review.coach_line", kept=1, reviewed=2) in texts(at)



# --- sync: review answers travel (the commune counts scam spotting kept on review) -----------------------------

@contextmanager
def inside(url: str) -> Iterator[None]:
    """Work in another database (a laptop, a second server) for a while."""
    before = database.obj
    handle = open_db(url)
    try:
        yield
    finally:
        handle.close_all() if hasattr(handle, "close_all") else handle.close()
        database.initialize(before)


@pytest.mark.both_engines
def test_review_answers_travel_in_a_bundle_and_older_bundles_are_still_taken(db: Path, new_database,
                                                                            catalog: Catalog, tmp_path: Path) -> None:
    key = "khoa-bi-mat-cua-tinh"
    with inside(new_database()):  # a trainer's laptop in Thôn Một
        place = community.get_or_create_village(community.get_or_create_commune("Xã Thử"), "Thôn Một")
        person = services.add_learner(place, "Bà Một").id
        take(person, catalog.get("test-sms"), {"q1": 0, "otp": 0, "ask-family": 0})
        backdate(person, 3)
        assert sit(catalog, person, utcnow(), right={SCAM}) == [OTP, SCAM]
        made = sync.export(tmp_path / "thon-mot.hocso", key)
    assert made.counts["reviews"] == 2
    data = made.path.read_bytes()
    first = sync.take_in(data, key, catalog)
    assert first.added["reviews"] == 2
    [village] = [v for v in community.list_villages() if v.name == "Thôn Một"]
    assert [(a.key, a.correct) for a in stored.village_answers(village.id)] == [(OTP, False), (SCAM, True)]
    assert review.scam_review(catalog, stored.village_answers(village.id)) == review.ScamReview(1, 1)
    again = sync.take_in(data, key, catalog)
    assert again.already and len(stored.village_answers(village.id)) == 2

    # a bundle made before review answers travelled has no "reviews": still taken in, whole
    line, _, payload = data.partition(b"\n")
    header = json.loads(line)
    records = json.loads(gzip.decompress(payload))
    del records["reviews"]
    old = gzip.compress(json.dumps(records).encode())
    header.update(bundle="0" * 32, payload_bytes=len(old), payload_sha256=hashlib.sha256(old).hexdigest())
    header["signature"] = sync._signature(key, header, old)
    with inside(new_database()):  # another server that never saw the first bundle
        taken = sync.take_in(json.dumps(header, sort_keys=True).encode() + b"\n" + old, key, catalog)
        assert taken.added["reviews"] == 0 and taken.added["learners"] == 1
        assert taken.added["attempts"] == 4  # three first answers and the retry of the wrong one
