"""Narration languages (issue 20): a commune's team adds a language (validated, with its messages), a resident
chooses "Nghe bằng tiếng Mường" on her home screen (or her trainer for her), and she then hears the commune's
recording in that language, else the Vietnamese recording, else espeak-ng (the real engine, real recordings);
the choice and the languages travel in sync bundles, and old bundles still come in."""

from __future__ import annotations

import gzip
import hashlib
import json
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest

from learn import services
from learn.errors import Forbidden, InvalidInput, NotFound
from learn.lessons.catalog import Catalog
from learn.services import accounts, languages, recordings, sync, sync_rules
from learn.services.narration import Listener
from learn.strings_vi import t
from learn.voice.narrator import AudioCache, Narrator
from learn.voice.tts import EspeakEngine
from progress_db import community
from progress_db import languages as stored
from progress_db.db import database
from progress_db.models import utcnow
from tests.support.apptest import PASSWORD, button, clear_caches, texts
from tests.support.paths import SHARED
from tests.support.places import Place

pytestmark = pytest.mark.both_engines
CLIP = SHARED / "audio" / "vi-real" / "fosd_003005.wav"
OTHER_CLIP = SHARED / "audio" / "vi-real" / "fosd_012160.wav"
STEP = "Bác giữ nút nguồn khoảng ba giây."
RIGHT = "Đúng rồi. Nút nguồn bật máy."
KEY = "khoa-bi-mat-cua-tinh"


@pytest.fixture
def team(village: int):  # type: ignore[no-untyped-def]
    """Two trainers and a staff member of the village's commune, and a trainer of another commune."""
    community.get_or_create_commune("Xã Khác")
    return (accounts.create_account("hung", "Anh Hùng", PASSWORD, "trainer", "Xã Thử"),
            accounts.create_account("mai", "Chị Mai", PASSWORD, "trainer", "Xã Thử"),
            accounts.create_account("canbo", "Chị Xã", PASSWORD, "staff", "Xã Thử"),
            accounts.create_account("lan", "Chị Lan", PASSWORD, "trainer", "Xã Khác"))


@pytest.fixture
def narrator(db: Path) -> Narrator:
    """espeak-ng with the app's audio cache (LEARN_HOME/audio), where recordings are kept."""
    return Narrator(AudioCache(db.parent / "audio"), [EspeakEngine()])


def commune_of(who) -> int:  # type: ignore[no-untyped-def]
    return who.commune_id


def test_a_commune_adds_languages_checked_like_a_form(team) -> None:
    hung, _, staff, lan = team
    muong = languages.add(hung, commune_of(hung), " MUONG ", unicodedata.normalize("NFD", "tiếng  Mường"))
    assert (muong.code, muong.name) == ("muong", "Mường") and unicodedata.is_normalized("NFC", muong.name)
    hmong = languages.add(staff, commune_of(staff), "hmn", "H'Mông")
    assert [x.name for x in languages.of_commune(hung, commune_of(hung))] == ["Mường", "H'Mông"]
    refused = {"vi": "language.code_vi", "m": "language.bad_code", "mường": "language.bad_code",
               "a_b": "language.bad_code", "-ab": "language.bad_code", "abcdefghijklm": "language.bad_code",
               "muong": "language.code_taken"}
    for code, key in refused.items():
        with pytest.raises(InvalidInput) as bad:
            languages.add(hung, commune_of(hung), code, "Thái")
        assert bad.value.key == key and t(bad.value.key, **bad.value.values)
    for name, key in {"": "language.name_missing", "tiếng ": "language.name_missing", "T" * 41: "language.name_long",
                      "Thái <b>": "language.bad_name", "123": "language.bad_name",
                      "mường": "language.name_taken"}.items():
        with pytest.raises(InvalidInput) as bad:
            languages.add(hung, commune_of(hung), "tai", name)
        assert bad.value.key == key
    assert t("language.code_taken", code="muong", name="Mường") == "Mã “muong” đã dùng cho tiếng Mường rồi."
    # another commune's trainer neither adds here nor sees the list; her own commune has its own codes
    with pytest.raises(Forbidden):
        languages.add(lan, commune_of(hung), "tai", "Thái")
    with pytest.raises(Forbidden):
        languages.of_commune(lan, commune_of(hung))
    assert languages.add(lan, commune_of(lan), "muong", "Mường").commune_id != muong.commune_id
    assert [x.id for x in languages.of_commune(hung, commune_of(hung))] == [muong.id, hmong.id]


def test_she_chooses_her_commune_language_and_her_trainer_can_for_her(team, village: int) -> None:
    hung, _, staff, lan = team
    languages.add(hung, commune_of(hung), "muong", "Mường")
    languages.add(lan, commune_of(lan), "dao", "Dao")
    her = services.add_learner(village, "Bà Một")
    assert languages.heard_in(her.id) == "vi"
    assert languages.set_own(her.id, "muong").name == "Mường" and languages.heard_in(her.id) == "muong"
    with pytest.raises(NotFound):  # another commune's language is not hers to choose
        languages.set_own(her.id, "dao")
    assert languages.heard_in(her.id) == "muong"
    assert languages.set_own(her.id, None) is None and languages.heard_in(her.id) == "vi"
    # her trainer or the commune's staff for her; another commune's trainer cannot
    assert languages.set_for(staff, her.id, "muong").code == "muong"
    assert languages.choice_for(hung, her.id).current == "muong"
    with pytest.raises(Forbidden):
        languages.set_for(lan, her.id, "vi")
    assert languages.set_for(hung, her.id, "vi") is None and languages.heard_in(her.id) == "vi"


def test_she_hears_her_language_then_vietnamese_recordings_then_espeak(team, catalog: Catalog, narrator,
                                                                       village: int) -> None:
    hung, mai, _, _ = team
    lesson = catalog.get("test-unlock")
    languages.add(hung, commune_of(hung), "muong", "Mường")
    root = narrator.cache.root
    vi_step = recordings.keep(hung, root, lesson, STEP, CLIP.read_bytes())
    vi_right = recordings.keep(hung, root, lesson, RIGHT, OTHER_CLIP.read_bytes())
    muong_step = recordings.keep(hung, root, lesson, STEP, OTHER_CLIP.read_bytes(), language="muong")
    clip_of = {r.id: (root / r.audio[:2] / f"{r.audio}.mp3").read_bytes() for r in (vi_step, vi_right, muong_step)}
    her = services.add_learner(village, "Bà Một")
    languages.set_own(her.id, "muong")
    hears = Listener(learner_id=her.id, language=languages.heard_in(her.id))
    # nothing approved yet: she hears espeak-ng (the recorder hears her own Mường take first)
    assert services.speak(narrator, STEP, listener=hears).clip.engine == "espeak"
    assert services.speak(narrator, STEP, listener=Listener(hung.id, language="muong")).clip.path.read_bytes() \
        == clip_of[muong_step.id]
    # the Vietnamese recordings approved: she hears them, her Mường take still waits for review
    recordings.approve(mai, vi_step.id)
    recordings.approve(mai, vi_right.id)
    assert services.speak(narrator, STEP, listener=hears).clip.path.read_bytes() == clip_of[vi_step.id]
    # with LEARN_UNREVIEWED_VOICES=use, or once approved, the Mường one comes first
    assert services.speak(narrator, STEP, listener=Listener(learner_id=her.id, unreviewed="use",
                                                            language="muong")).clip.path.read_bytes() \
        == clip_of[muong_step.id]
    recordings.approve(mai, muong_step.id)
    assert services.speak(narrator, STEP, listener=hears).clip.path.read_bytes() == clip_of[muong_step.id]
    # a line recorded only in Vietnamese: the Vietnamese voice; a line nobody recorded: espeak-ng
    assert services.speak(narrator, RIGHT, listener=hears).clip.path.read_bytes() == clip_of[vi_right.id]
    assert services.speak(narrator, "Bác bấm nút xanh.", listener=hears).clip.engine == "espeak"
    # a resident who kept Vietnamese never hears the Mường take
    other = services.add_learner(village, "Bà Hai")
    assert services.speak(narrator, STEP, listener=Listener(learner_id=other.id)).clip.path.read_bytes() \
        == clip_of[vi_step.id]
    # the counts are per language
    assert recordings.lesson_voices(hung, lesson, language="muong").recorded == 1
    assert recordings.lesson_voices(hung, lesson).recorded == 2


# --- the pages ---------------------------------------------------------------------------------------------------


def test_her_home_screen_offers_the_languages_with_speakers_and_marks_hers(app, team, village: int,
                                                                           monkeypatch) -> None:
    hung = team[0]
    her = services.add_learner(village, "Bà Một")
    at = app("lessons", village_id=village, learner_id=her.id, timeout=30)
    assert not at.exception and not [b for b in at.button if b.key.startswith("hear-in-")]  # only Vietnamese
    languages.add(hung, commune_of(hung), "muong", "Mường")
    monkeypatch.setenv("LEARN_TTS", "espeak")
    clear_caches()  # (the settings, read with narration off, are kept between sessions)
    at = app("lessons", village_id=village, learner_id=her.id, timeout=30)
    assert not at.exception and t("language.tile") in texts(at)
    vi, muong = at.button(key="hear-in-vi"), at.button(key="hear-in-muong")
    assert (vi.label, muong.label) == (t("language.option", name="Việt"), t("language.option", name="Mường"))
    assert vi.proto.type == "primary" and muong.proto.type == "secondary"
    assert at.button(key="say-language-muong") and at.button(key="say-language-vi")
    # a speaker says the choice through the screen's one player
    at.button(key="say-language-muong").click().run()
    assert resources_narrator_cached(at, t("language.say", name="Mường"))
    at.button(key="hear-in-muong").click().run()
    assert not at.exception and languages.heard_in(her.id) == "muong"
    assert at.button(key="hear-in-muong").proto.type == "primary" and at.button(key="hear-in-vi").proto.type \
        == "secondary"
    assert at.session_state["_heard_in"][:2] == (her.id, "muong")  # heard from the next clip on
    assert resources_narrator_cached(at, t("language.chosen", name="Mường"))
    at.button(key="hear-in-vi").click().run()
    assert languages.heard_in(her.id) == "vi"


def resources_narrator_cached(at, text: str) -> bool:  # type: ignore[no-untyped-def]
    """Whether the app's narrator made (or found) the clip of ``text``: what the screen's player was given."""
    from learn.app import resources

    narrator = resources.narrator()
    return narrator is not None and narrator.cached(text) is not None


def test_her_trainer_sets_it_on_her_page(app, team, village: int) -> None:
    hung = team[0]
    her = services.add_learner(village, "Bà Một")
    at = app("resident", {"learner": str(her.id)}, account=hung, timeout=30)
    assert not at.exception and not [r for r in at.radio if r.key == f"rlang-{her.id}"]
    languages.add(hung, commune_of(hung), "muong", "Mường")
    at = app("resident", {"learner": str(her.id)}, account=hung, timeout=30)
    choice = at.radio(key=f"rlang-{her.id}")
    assert choice.value == "vi" and choice.options == [t("language.option", name="Việt"),
                                                       t("language.option", name="Mường")]
    choice.set_value("muong").run()
    assert not at.exception and languages.heard_in(her.id) == "muong"
    assert t("language.resident_saved", name="Bà Một", language="Mường") in texts(at)
    languages.set_own(her.id, None)  # she changed it back on her phone: her page shows it
    at = app("resident", {"learner": str(her.id)}, account=hung, timeout=30)
    assert at.radio(key=f"rlang-{her.id}").value == "vi"


def test_staff_add_a_language_on_the_management_page(app, team) -> None:
    staff = team[2]
    at = app("management", account=staff, timeout=30)
    assert not at.exception and t("language.none") in texts(at)
    at.text_input(key="admin-add-language-name").input("Thái")
    at.text_input(key="admin-add-language-code").input("vi")
    button(at, t("language.add")).click().run()
    assert t("language.code_vi") in [e.value for e in at.error]
    assert at.text_input(key="admin-add-language-name").value == "Thái"  # nothing typed is lost
    at.text_input(key="admin-add-language-code").input("tai")
    button(at, t("language.add")).click().run()
    assert not at.exception and t("language.added", name="Thái") in texts(at)
    assert [(x.code, x.name) for x in languages.of_commune(staff, commune_of(staff))] == [("tai", "Thái")]
    assert at.text_input(key="admin-add-language-name").value == ""


def test_the_recording_page_records_in_a_language_and_counts_each(app, team, catalog, db) -> None:
    hung = team[0]
    at = app("recording", account=hung, timeout=30)
    assert not at.exception and not [r for r in at.radio if r.key == "recording_language"]
    # a trainer adds the language where she records
    at.text_input(key="recording-add-language-name").input("Mường")
    at.text_input(key="recording-add-language-code").input("muong")
    button(at, t("language.add")).click().run()
    assert not at.exception and t("language.added", name="Mường") in texts(at)
    at.radio(key="recording_language").set_value("muong").run()
    at.selectbox(key="recording_lesson").set_value("test-unlock").run()
    assert t("language.fallback", name="Mường") in texts(at)
    at.audio_input(key="take-muong-test-unlock-0-0").set_value((CLIP.name, CLIP.read_bytes(), "audio/wav")).run()
    button(at, t("recording.keep")).click().run()
    assert not at.exception
    lesson = catalog.get("test-unlock")
    [kept] = [x.recording for x in recordings.lesson_voices(hung, lesson, language="muong").lines if x.recording]
    assert (kept.text, kept.language) == (STEP, "muong")
    assert recordings.lesson_voices(hung, lesson).recorded == 0  # not a Vietnamese recording
    counts = " · ".join([t("language.count", name="Việt", recorded=0), t("language.count", name="Mường", recorded=1)])
    assert t("language.counts", counts=counts) in texts(at)


# --- sync ------------------------------------------------------------------------------------------------------


@pytest.fixture
def laptop(db: Path, new_database) -> Iterator[Place]:  # type: ignore[no-untyped-def]
    place = Place(new_database())
    server = database.obj
    yield place
    place.close()
    database.initialize(server)


def test_her_choice_and_the_communes_languages_travel_in_bundles(laptop, catalog, tmp_path) -> None:
    with laptop.inside():
        commune = community.get_or_create_commune("Xã Thử")
        village = community.get_or_create_village(commune, "Thôn Một")
        muong, _ = stored.ensure(commune, "muong", "Mường")
        stored.ensure(commune, "tai", "Thái")
        her = services.add_learner(village, "Bà Lò Thị Mai", 1956)
        languages.set_own(her.id, "muong")
        first = sync.export(tmp_path / "one.hocso", KEY)
    assert first.counts["languages"] == 2
    got = sync.take_in(first.path.read_bytes(), KEY, catalog)
    assert got.added["languages"] == 2
    [here] = community.list_learners(community.get_or_create_village(community.get_or_create_commune("Xã Thử"),
                                                                     "Thôn Một"))
    assert here.uid == her.uid and languages.heard_in(here.id) == "muong"
    [m, _] = stored.of_commune(community.get_or_create_commune("Xã Thử"))
    assert (m.uid, m.code, m.name) == (muong.uid, "muong", "Mường")
    # her change back to Vietnamese travels too; the same languages again add nothing
    with laptop.inside():
        languages.set_own(her.id, None)
        second = sync.export(tmp_path / "two.hocso", KEY, everything=True)
    again = sync.take_in(second.path.read_bytes(), KEY, catalog)
    assert again.added["languages"] == 0 and languages.heard_in(here.id) == "vi"
    assert len(stored.of_commune(m.commune_id)) == 2


def _old_style(records: dict, header: dict, bundle: str) -> bytes:
    """A bundle as one made before issue 20: no languages, no choice on the residents' records."""
    records = json.loads(json.dumps(records))
    del records["languages"]
    for person in records["learners"]:
        del person["listen_language"]
    payload = gzip.compress(json.dumps(records).encode())
    header = {**header, "bundle": bundle, "payload_bytes": len(payload),
              "payload_sha256": hashlib.sha256(payload).hexdigest()}
    return json.dumps(header).encode() + b"\n" + payload


def test_an_old_bundle_without_languages_still_comes_in_and_keeps_her_choice(laptop, catalog, tmp_path) -> None:
    commune = community.get_or_create_commune("Xã Thử")
    stored.ensure(commune, "muong", "Mường")
    with laptop.inside():
        village = community.get_or_create_village(community.get_or_create_commune("Xã Thử"), "Thôn Một")
        services.add_learner(village, "Bà Lò Thị Mai", 1956)
        made = sync.export(tmp_path / "new.hocso", None)
    header, records = sync.read(made.path.read_bytes(), None)
    got = sync.take_in(_old_style(records, header, "old-1"), None, catalog)
    assert not got.already and got.added["learners"] == 1 and got.added["languages"] == 0
    [here] = community.list_learners(community.get_or_create_village(commune, "Thôn Một"))
    assert languages.heard_in(here.id) == "vi"
    languages.set_own(here.id, "muong")
    # a newer old-style record of her (renamed on an old laptop) changes her name, not what she hears
    records["learners"][0].update(display_name="Bà Lò Thị Mây", updated_at=utcnow().isoformat(sep=" "))
    sync.take_in(_old_style(records, header, "old-2"), None, catalog)
    [here] = community.list_learners(here.village_id)
    assert here.name == "Bà Lò Thị Mây" and languages.heard_in(here.id) == "muong"


def test_a_bundle_with_a_forged_language_is_refused_whole(laptop, catalog, tmp_path) -> None:
    with laptop.inside():
        commune = community.get_or_create_commune("Xã Thử")
        village = community.get_or_create_village(commune, "Thôn Một")
        stored.ensure(commune, "muong", "Mường")
        services.add_learner(village, "Bà Một")
        made = sync.export(tmp_path / "one.hocso", None)
    _, records = sync.read(made.path.read_bytes(), None)
    for kind, field, value in (("languages", "code", "vi"), ("languages", "code", "Mường"),
                               ("languages", "name", "<script>"), ("languages", "commune", "nowhere"),
                               ("learners", "listen_language", "x y")):
        forged = json.loads(json.dumps(records))
        forged[kind][0][field] = value
        with pytest.raises(sync.BundleRejected) as refused:
            sync_rules.check_records(forged, catalog, utcnow())
        assert refused.value.key == "sync.bad_field" and refused.value.values["field"] == field
    sync_rules.check_records(records, catalog, utcnow())  # as exported, it passes


def test_vietnamese_in_disguise_and_look_alike_names_are_refused(team, village: int) -> None:
    """A second "Tiếng Việt" button, or a Mường spelt with a Cyrillic М beside the real one, left a resident
    who cannot read two buttons that say the same."""
    hung = team[0]
    languages.add(hung, commune_of(hung), "muong", "Mường")
    refused = [("VI ", "Thái", "language.code_vi"), ("vie", "Thái", "language.code_vi"),
               ("vi-VN", "Thái", "language.code_vi"), ("v\u0456", "Thái", "language.bad_code"),  # Cyrillic і
               ("ta\u200bi", "Thái", "language.bad_code"), ("viet", "Việt", "language.name_vi"),
               ("kinh", "tiếng Kinh", "language.name_vi"), ("vn", "VIỆT  NAM", "language.name_vi"),
               ("muong2", "\u041cường", "language.bad_name"),  # Cyrillic М
               ("muong2", "Mường\u200b", "language.bad_name"), ("muong2", "\u200fMường", "language.bad_name"),
               ("muong2", "Muong", "language.name_taken")]
    for code, name, key in refused:
        with pytest.raises(InvalidInput) as bad:
            languages.add(hung, commune_of(hung), code, name)
        assert bad.value.key == key, (code, name)
        assert t(bad.value.key, **bad.value.values)
    assert [x.code for x in languages.of_commune(hung, commune_of(hung))] == ["muong"]
    for code, name in (("hmn", "H’Mông"), ("ede", "Ê Đê"), ("tay", unicodedata.normalize("NFD", "Tày"))):
        assert languages.add(hung, commune_of(hung), code, name).name == unicodedata.normalize("NFC", name)
    # the resident's own choice names a code as it is stored: 'VI ' or another commune's code is not hers
    her = services.add_learner(village, "Bà Một")
    for code in ("VI ", "v\u0456", "muong "):
        with pytest.raises(NotFound):
            languages.set_own(her.id, code)
    assert languages.heard_in(her.id) == "vi"


def test_a_language_renamed_or_removed_while_she_has_it(team, village: int) -> None:
    hung = team[0]
    muong = languages.add(hung, commune_of(hung), "muong", "Mường")
    her = services.add_learner(village, "Bà Một")
    languages.set_own(her.id, "muong")
    stored.rename(muong.id, "Mường Bi")  # renamed: she keeps hearing it
    assert languages.heard_in(her.id) == "muong" and languages.choice_for(hung, her.id).current == "muong"
    with database.connection_context():
        database.execute_sql(f"DELETE FROM narration_language WHERE id = {muong.id}")
    assert languages.heard_in(her.id) == "vi" and languages.of_resident(her.id) == []  # gone: Vietnamese
    languages.add(hung, commune_of(hung), "muong", "Mường")  # added again: her choice holds again
    assert languages.heard_in(her.id) == "muong"
