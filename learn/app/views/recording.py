"""The tech team records the lessons' narration (issue 20): pick a lesson, then line by line see the text, hear
what residents hear now, record, listen back, keep or record again; the counts per lesson; approve others'."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from learn import services
from learn.app import resources
from learn.app.auth import signed_in_account
from learn.app.listen_in import add_language_form
from learn.app.navigation import go
from learn.app.ui import ICONS, listener, message, plain
from learn.errors import LearnError
from learn.services import languages, recordings, reports
from learn.strings_vi import t

who = signed_in_account()
if who is None:
    go("trainer")

st.header(f"{ICONS['mic']} {t('recording.heading')}")
st.caption(t("recording.hint"))
if st.button(t("recording.back"), icon=ICONS["back"], key="recording-back"):
    go("trainer")
for note in st.session_state.pop("recording_notes", []):
    st.success(note)

catalog = resources.catalog()
try:
    every = recordings.overview(who, catalog)
    spoken_in = languages.of_commune(who, who.commune_id or 0)
except LearnError as exc:
    st.error(message(exc))
    st.stop()

# the language recorded in (issue 20): Vietnamese, or one of the commune's; the counts of each
names = {languages.VIETNAMESE: t("language.vietnamese")} | {x.code: x.name for x in spoken_in}
language = languages.VIETNAMESE
if spoken_in:
    if st.session_state.get("recording_language") not in names:
        st.session_state["recording_language"] = languages.VIETNAMESE
    language = st.radio(t("language.record_in"), list(names), key="recording_language", horizontal=True,
                        format_func=lambda code: t("language.option", name=plain(names[code])))
    if language != languages.VIETNAMESE:
        every = recordings.overview(who, catalog, language=language)
    counted = {code: every if code == language else recordings.overview(who, catalog, language=code)
               for code in names}
    st.caption(t("language.counts", counts=" · ".join(
        t("language.count", name=plain(names[code]), recorded=sum(v.recorded for v in kept))
        for code, kept in counted.items())))
if not every:
    st.info(t("recording.none"))
    st.stop()

lesson_id = st.selectbox(t("recording.lesson"), [v.lesson_id for v in every],
                         format_func=lambda x: catalog.lessons[x].title, key="recording_lesson")
lesson = catalog.lessons[lesson_id]
voices = recordings.lesson_voices(who, lesson, language=language)
st.caption(t("recording.counts", recorded=voices.recorded, missing=voices.missing, stale=len(voices.out_of_date)))

tag = lesson.id if language == languages.VIETNAMESE else f"{language}-{lesson.id}"  # takes kept per language
spot = f"recording_line-{lesson.id}"
index = min(st.session_state.get(spot, 0), len(voices.lines) - 1)
line = voices.lines[index]
st.subheader(t("recording.line", number=index + 1, total=len(voices.lines)))
st.markdown(f"### {plain(line.text)}")

# what a resident of the commune hears now for this line (the recorder also hears her own, not yet approved)
narrator = resources.narrator()
if narrator is not None:
    spoken = services.speak(narrator, line.text, "normal", replace(listener(), language=language))
    if spoken.clip is not None:
        source = t("recording.source_engine") if spoken.clip.engine != "recorded" else \
            t("recording.source_own", name=plain(spoken.clip.voice))
        st.caption(t("recording.current", source=source))
        st.audio(str(spoken.clip.path), format="audio/mpeg")
    else:
        st.caption(t(spoken.problem or "voice.unavailable"))
kept = line.recording
if kept is None and language != languages.VIETNAMESE:
    st.caption(t("language.fallback", name=plain(names[language])))
if kept is not None:
    st.caption(t("recording.by", name=plain(kept.recorder),
                 when=reports.local_time(kept.recorded_at).strftime("%d/%m %H:%M")))
    if kept.approved:
        st.success(t("recording.approved"), icon=ICONS["right"])
    else:
        st.info(t("recording.waiting"))
        if kept.recorded_by != who.id and st.button(t("recording.approve"), key=f"approve-{kept.id}",
                                                    icon=ICONS["right"], width="stretch"):
            try:
                recordings.approve(who, kept.id)
                st.session_state["recording_notes"] = [t("recording.approved_done")]
            except LearnError as exc:
                st.session_state["recording_notes"] = []
                st.error(message(exc))
            else:
                st.rerun()

takes = f"recording_take-{tag}-{index}"
count = st.session_state.get(takes, 0)
take = st.audio_input(t("recording.record"), key=f"take-{tag}-{index}-{count}")
if take is not None:
    st.caption(t("recording.listen_back"))
    st.audio(take.getvalue(), format="audio/wav")
    keep, again = st.columns(2)
    if keep.button(t("recording.keep"), key="take-keep", type="primary", icon=ICONS["right"], width="stretch"):
        try:
            made = recordings.keep(who, resources.settings().audio_cache_dir, lesson, line.text, take.getvalue(),
                                   language=language)
        except LearnError as exc:
            st.error(message(exc))
        else:
            st.session_state[takes] = count + 1
            st.session_state["recording_notes"] = [t("recording.kept", seconds=f"{made.seconds:.1f}")]
            st.rerun()
    if again.button(t("recording.again"), key="take-again", icon=ICONS["restart"], width="stretch"):
        st.session_state[takes] = count + 1
        st.rerun()

back, forward = st.columns(2)
if back.button(t("recording.previous"), key="line-previous", icon=ICONS["back"], width="stretch",
               disabled=index == 0):
    st.session_state[spot] = index - 1
    st.rerun()
if forward.button(t("recording.next"), key="line-next", icon=ICONS["next"], icon_position="right", type="primary",
                  width="stretch", disabled=index == len(voices.lines) - 1):
    st.session_state[spot] = index + 1
    st.rerun()
# the next line nobody recorded yet, past the ones already done (back to the first from the last)
missing = [i for i in [*range(index + 1, len(voices.lines)), *range(index)] if voices.lines[i].recording is None]
if missing and st.button(t("recording.next_missing"), key="line-next-missing", icon=ICONS["mic"],
                         width="stretch"):
    st.session_state[spot] = missing[0]
    st.rerun()

# every lesson's counts, and adding a language: below the line being recorded, which a phone shows first
with st.expander(t("recording.overview"), icon=":material/table_rows:"):
    st.dataframe([{t("recording.col_lesson"): catalog.lessons[v.lesson_id].title,
                   t("recording.col_recorded"): v.recorded, t("recording.col_missing"): v.missing,
                   t("recording.col_stale"): len(v.out_of_date)} for v in every], hide_index=True, width="stretch")
with st.expander(t("language.add"), icon=":material/translate:"):
    st.caption(t("language.hint"))
    add_language_form(who, who.commune_id or 0, key="recording-add-language", notes="recording_notes")

if voices.out_of_date:
    st.subheader(t("recording.stale_heading"))
    for stale in voices.out_of_date:
        st.caption(f"{plain(stale.text)} · {plain(stale.recorder)}")
