"""The lesson home (issue 16): the "Học tiếp" card, the topics as picture tiles with their progress, a topic's
lessons, and the lesson offered after one (``next_in_topic``). The service on a curriculum of 12 lessons and real
progress in the database (both engines); the page through AppTest on the fixture lessons."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from learn import pictures, services
from learn.lessons.catalog import Catalog
from learn.lessons.model import Lesson, Step
from learn.services import home
from learn.strings_vi import t
from learn.voice.narrator import AudioCache, Narrator
from learn.voice.tts import EspeakEngine
from tests.support.apptest import texts
from tests.support.paths import ROOT

TICK = ":material/check_circle:"
HALF = ":material/clock_loader_40:"
RING = ":material/radio_button_unchecked:"


@pytest.fixture(scope="module")
def lessons(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """A curriculum of 12 lessons of 3 screens in 4 topics (4, 4, 3 and 1 lessons), in teaching order."""
    root = tmp_path_factory.mktemp("content")
    made = {}
    for topic, count in (("smartphone", 4), ("payments", 4), ("scams", 3), ("zalo", 1)):
        for n in range(1, count + 1):
            lesson = Lesson(f"{topic}-{n}", f"{topic} {n}", topic, 3, "", (Step("a", "b"), Step("c", "d"),
                            Step("e", "f")), source=root / topic / f"{n:02}-lesson.md")
            made[lesson.id] = lesson
    catalog = Catalog(root, made)
    assert [len(group) for _, group in catalog.by_topic()] == [4, 4, 3, 1]
    assert all(len(lesson.screens) == 3 for lesson in made.values())
    return catalog


def finish(learner_id: int, lesson: Lesson) -> None:
    services.step_to(learner_id, lesson, len(lesson.screens))


def in_order(catalog: Catalog) -> list[Lesson]:
    return [lesson for _, group in catalog.by_topic() for lesson in group]


# --- the service: what "Học tiếp" offers --------------------------------------------------------------------

@pytest.mark.both_engines
def test_go_on_offers_the_first_lesson_then_the_last_one_left_then_praise(village: int, lessons: Catalog) -> None:
    person = services.add_learner(village, "Bà Một")
    order = in_order(lessons)
    first, second, third = order[0], order[1], order[5]

    offer = home.home(lessons, person.id).go_on
    assert (offer.kind, offer.card and offer.card.lesson.id) == ("first", first.id)

    services.step_to(person.id, third, 1)  # she left a lesson of another topic on its 2nd screen
    services.step_to(person.id, second, 2)  # then left this one, later, on its 3rd screen
    offer = home.home(lessons, person.id).go_on
    assert offer.kind == "resume" and offer.card is not None
    assert (offer.card.lesson.id, offer.card.position, offer.card.screens) == (second.id, 2, len(second.screens))
    services.step_to(person.id, third, 2)  # back in the other one: that is now the one she left last
    offer = home.home(lessons, person.id).go_on
    assert offer.card is not None and (offer.card.lesson.id, offer.card.position) == (third.id, 2)

    finish(person.id, third)
    finish(person.id, second)
    offer = home.home(lessons, person.id).go_on
    assert offer.kind == "next" and offer.card is not None and offer.card.lesson.id == first.id

    for lesson in order:
        finish(person.id, lesson)
    assert home.home(lessons, person.id).go_on == home.GoOn("all_done", None)
    services.restart(person.id, first)  # taking a lesson again: the home still counts it done
    services.step_to(person.id, first, 2)
    offer = home.home(lessons, person.id).go_on
    assert offer.kind == "resume" and offer.card is not None and offer.card.lesson.id == first.id
    assert all(tile.done == tile.total for tile in home.home(lessons, person.id).topics)


@pytest.mark.both_engines
def test_topic_tiles_count_what_she_finished(village: int, lessons: Catalog) -> None:
    person = services.add_learner(village, "Bà Một")
    payments = dict(lessons.by_topic())["payments"]
    finish(person.id, payments[0])
    finish(person.id, payments[2])
    services.step_to(person.id, payments[1], 1)
    other = services.add_learner(village, "Bà Hai")  # someone else's progress is not hers
    finish(other.id, payments[3])
    tiles = {tile.topic: tile for tile in home.home(lessons, person.id).topics}
    assert list(tiles) == [topic for topic, _ in lessons.by_topic()]
    tile = tiles["payments"]
    assert (tile.done, tile.total) == (2, len(payments))
    assert [c.status for c in tile.cards] == ["done", "started", "done", "new"]
    assert tile.cards[1].percent == round(100 * 1 / len(payments[1].screens))
    assert all(other_tile.done == 0 for name, other_tile in tiles.items() if name != "payments")
    assert tile.picture == pictures.topic_picture("payments")


@pytest.mark.both_engines
def test_next_in_topic_goes_on_in_the_topic_then_the_following_ones(village: int, lessons: Catalog) -> None:
    person = services.add_learner(village, "Bà Một")
    groups = dict(lessons.by_topic())
    smartphone, payments = groups["smartphone"], groups["payments"]
    order = in_order(lessons)

    assert home.next_in_topic(lessons, person.id, smartphone[0]) == smartphone[1]
    finish(person.id, smartphone[0])
    finish(person.id, smartphone[1])
    assert home.next_in_topic(lessons, person.id, smartphone[0]) == smartphone[2]  # skips the one she did
    services.step_to(person.id, smartphone[2], 2)  # started is not done
    assert home.next_in_topic(lessons, person.id, smartphone[1]) == smartphone[2]
    finish(person.id, smartphone[2])
    finish(person.id, smartphone[3])
    # the last of a topic: the first one not done in the topics that follow
    assert home.next_in_topic(lessons, person.id, smartphone[3]) == payments[0]
    finish(person.id, payments[0])
    assert home.next_in_topic(lessons, person.id, smartphone[3]) == payments[1]

    # after the very last lesson, one she skipped earlier; none once every other one is done
    for lesson in order[:-1]:
        if lesson != payments[2]:
            finish(person.id, lesson)
    assert home.next_in_topic(lessons, person.id, order[-1]) == payments[2]
    finish(person.id, payments[2])
    assert home.next_in_topic(lessons, person.id, order[-1]) is None
    assert home.next_in_topic(lessons, person.id, order[0]) == order[-1]  # the last one is still to do


def test_a_lesson_shows_its_first_step_picture_else_its_topic_drawing(catalog: Catalog) -> None:
    unlock, sms = catalog.get("test-unlock"), catalog.get("test-sms")
    assert unlock is not None and sms is not None
    assert home.lesson_picture(catalog, unlock) == (CONTENT_PICTURES / "power.svg").resolve()
    assert home.lesson_picture(catalog, sms) == pictures.topic_picture("scams")


CONTENT_PICTURES = ROOT / "tests" / "fixtures" / "content" / "vi" / "smartphone" / "pictures"


# --- the page ---------------------------------------------------------------------------------------------

@pytest.fixture
def resident(village: int) -> int:
    return services.add_learner(village, "Bà Một").id


@pytest.fixture
def open_home(app: Callable[..., AppTest], village: int, resident: int) -> Callable[..., AppTest]:
    def open_it(query: dict[str, str] | None = None) -> AppTest:
        at = app("lessons", query, village_id=village, learner_id=resident)
        assert not at.exception, at.exception
        return at
    return open_it


def card_text(at: AppTest) -> str:
    """What the cards and tiles say (their Markdown)."""
    return "\n".join(str(m.value) for m in at.markdown)


def keys(at: AppTest, prefix: str) -> list[str]:
    """The keys of the buttons on the screen that start with ``prefix``, in order."""
    return [b.key for b in at.button if b.key and b.key.startswith(prefix)]


def test_a_new_resident_is_offered_her_first_lesson(open_home: Callable[..., AppTest], catalog: Catalog) -> None:
    at = open_home()
    assert t("lessons.heading", name="Bà Một") in texts(at)
    unlock = catalog.get("test-unlock")
    assert unlock is not None
    assert f"{t('home.go_on.first')}]\n\n**{unlock.title}**" in card_text(at)
    assert at.button(key="open-test-unlock").label == f"{t('home.go_on.first')}: {unlock.title}"
    assert keys(at, "topic-") == ["topic-smartphone", "topic-scams"]
    assert "open-test-sms" not in keys(at, "open-")  # only the card's lesson opens from here
    at.button(key="open-test-unlock").click().run()
    assert t("lesson.progress", current=1, total=len(unlock.screens)) in texts(at)


def test_the_go_on_card_opens_the_lesson_she_left_at_its_screen(open_home: Callable[..., AppTest], resident: int,
                                                                catalog: Catalog) -> None:
    unlock, sms = catalog.get("test-unlock"), catalog.get("test-sms")
    assert unlock is not None and sms is not None
    services.step_to(resident, sms, 1)
    services.step_to(resident, unlock, 3)
    services.step_to(resident, sms, 2)  # the one she touched last
    at = open_home()
    shown = card_text(at)
    assert f"{t('home.go_on.resume')}]\n\n**{sms.title}**" in shown
    assert t("home.screen", current=3, total=len(sms.screens)) in shown
    at.button(key="open-test-sms").click().run()
    assert at.query_params["lesson"] in ("test-sms", ["test-sms"])
    assert t("lesson.progress", current=3, total=len(sms.screens)) in texts(at)


def test_ticks_match_her_progress_and_a_topic_tile_opens_its_lessons(open_home: Callable[..., AppTest], resident: int,
                                                                     catalog: Catalog) -> None:
    unlock, sms = catalog.get("test-unlock"), catalog.get("test-sms")
    assert unlock is not None and sms is not None
    finish(resident, unlock)
    services.step_to(resident, sms, 3)
    at = open_home()
    shown = card_text(at)
    assert f"**{t('topic.smartphone')}**\n\n:green[{TICK}] {t('home.topic_count', done=1, total=1)}" in shown
    assert f"**{t('topic.scams')}**\n\n:orange[{HALF}] {t('home.topic_count', done=0, total=1)}" in shown

    at.button(key="topic-scams").click().run()
    assert at.query_params["topic"] in ("scams", ["scams"])
    assert keys(at, "open-") == ["open-test-sms"]
    assert not keys(at, "topic-")
    words = t("home.lesson.started", percent=round(100 * 3 / len(sms.screens)))
    assert f"**{sms.title}**" in card_text(at) and f":orange[{HALF}] {words}" in card_text(at)
    assert t("lessons.minutes", minutes=sms.minutes) in card_text(at)
    at.button(key="home-back").click().run()
    assert "topic" not in at.query_params
    assert at.button(key="topic-scams")


def test_a_reload_on_a_topic_shows_that_topic(open_home: Callable[..., AppTest], resident: int,
                                              catalog: Catalog) -> None:
    at = open_home({"topic": "smartphone"})
    assert f"### {t('topic.smartphone')}" in card_text(at)
    assert f":gray[{RING}] {t('home.topic_count', done=0, total=1)}" in card_text(at)
    assert keys(at, "open-") == ["open-test-unlock"]
    assert at.button(key="home-back").label == t("home.back")


def test_an_unknown_topic_says_so_and_leads_back(open_home: Callable[..., AppTest]) -> None:
    at = open_home({"topic": "no-such-topic"})
    assert [w.value for w in at.warning] == [t("home.unknown_topic")]
    at.button(key="home-back").click().run()
    assert at.button(key="topic-smartphone")


def test_a_finished_lesson_opens_from_the_start_without_asking(open_home: Callable[..., AppTest], resident: int,
                                                               catalog: Catalog) -> None:
    unlock = catalog.get("test-unlock")
    assert unlock is not None
    finish(resident, unlock)
    at = open_home({"topic": "smartphone"})
    assert f":green[{TICK}] {t('home.lesson.done')}" in card_text(at)
    at.button(key="open-test-unlock").click().run()
    assert t("lesson.progress", current=1, total=len(unlock.screens)) in texts(at)
    assert services.player_view(resident, unlock).position == 0


def test_a_tile_drawn_before_she_went_on_elsewhere_opens_where_she_is_now(open_home: Callable[..., AppTest],
                                                                           resident: int, catalog: Catalog) -> None:
    """The home on one phone still shows a lesson as finished; meanwhile she took it again on another phone and got
    to its third screen. A tap on the old tile opens it there: it does not start it over and lose her place."""
    unlock = catalog.get("test-unlock")
    assert unlock is not None
    finish(resident, unlock)
    at = open_home({"topic": "smartphone"})
    assert f":green[{TICK}] {t('home.lesson.done')}" in card_text(at)
    services.restart(resident, unlock)  # the other phone
    services.step_to(resident, unlock, 2)
    at.button(key="open-test-unlock").click().run()
    assert services.player_view(resident, unlock).position == 2
    assert t("lesson.progress", current=3, total=len(unlock.screens)) in texts(at)


def test_when_everything_is_done_the_card_praises_her(open_home: Callable[..., AppTest], resident: int,
                                                      catalog: Catalog) -> None:
    for lesson in catalog.lessons.values():
        finish(resident, lesson)
    at = open_home()
    assert t("home.go_on.all_done") in card_text(at)
    assert not keys(at, "open-")
    assert t("home.topic_count", done=1, total=1) in card_text(at)


def test_change_learner_signs_her_out(open_home: Callable[..., AppTest]) -> None:
    at = open_home()
    at.button(key="change-learner").click().run()
    assert "learner_id" not in at.session_state
    assert t("learner.heading") in texts(at)


def test_every_screen_speaks_and_each_choice_says_its_name(app: Callable[..., AppTest], db: Path, village: int,
                                                          resident: int, catalog: Catalog,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEARN_TTS", "espeak")
    narrator = Narrator(AudioCache(db.parent / "audio"), [EspeakEngine()])
    unlock = catalog.get("test-unlock")
    assert unlock is not None
    services.step_to(resident, unlock, 2)
    at = app("lessons", village_id=village, learner_id=resident, timeout=30)
    assert not at.exception
    assert narrator.cached(t("home.voice.resume")) is not None
    assert at.button(key="listen").label == t("voice.listen")
    said = t("home.say.resume", title=unlock.title, current=3, total=len(unlock.screens))
    assert narrator.cached(said) is None
    at.button(key="say-go-on").click().run()
    assert narrator.cached(said) is not None
    topic = t("home.say.topic", topic=t("topic.scams"), done=0, total=1)
    at.button(key="say-topic-scams").click().run()
    assert narrator.cached(topic) is not None

    at.button(key="topic-smartphone").click().run()
    assert narrator.cached(t("home.voice.topic", topic=t("topic.smartphone"))) is not None
    percent = round(100 * 2 / len(unlock.screens))
    at.button(key="say-lesson-test-unlock").click().run()
    assert narrator.cached(t("home.say.started", title=unlock.title, minutes=unlock.minutes,
                             percent=percent)) is not None
