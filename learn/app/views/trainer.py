"""The village tech team's page: sign in, then the commune's villages, their rosters and printable handouts."""

from __future__ import annotations

from functools import partial

import streamlit as st

from learn import services
from learn.app import resources
from learn.app.auth import client_address, sign_in_account, sign_out_account, signed_in_account
from learn.app.navigation import go
from learn.app.ui import ICONS, message, plain, show_saved, shown_saved, tap_handler
from learn.errors import InvalidInput
from learn.services import accounts, addresses, group_sessions, reports, trainers
from learn.strings_vi import t
from learn.text import fold
from progress_db.records import AccountInfo, LearnerInfo

who = signed_in_account()

if who is None:
    st.header(t("trainer.login_heading"))
    note = st.session_state.pop("account_note", None)
    if note:
        st.info(note)
    with st.form("login"):
        username = st.text_input(t("trainer.username"), key="login_user", autocomplete="username")
        password = st.text_input(t("trainer.password"), type="password", key="login_password",
                                 autocomplete="current-password")
        submitted = st.form_submit_button(t("trainer.login"), type="primary", width="stretch")
    if submitted:
        try:
            sign_in_account(accounts.login(username, password, client=client_address()))
            st.rerun()
        except accounts.LoginFailed as exc:
            st.error(message(exc))
    if st.button(t("trainer.back_to_learners"), icon=ICONS["back"], width="stretch"):
        go("village")
    st.stop()

villages = trainers.commune_villages(who)
st.header(t("trainer.heading", name=plain(who.name)))
st.caption(t("trainer.admin_scope", communes=len(reports.communes(who)), villages=len(villages))
           if who.role == "admin" else t("trainer.commune", commune=plain(who.commune or ""), villages=len(villages)))
if who.role in ("staff", "admin"):
    if st.button(t("dashboard.open"), icon=ICONS["chart"], type="primary", width="stretch"):
        go("dashboard")

if villages:
    chosen = st.selectbox(t("trainer.village"), villages, format_func=lambda v: v.name, key="trainer_village")
    st.subheader(f"{ICONS['village']} {t('trainer.roster_heading')}")
    with st.expander(t("trainer.join_heading"), icon=ICONS["lock"]):
        settings = resources.settings()
        for note in st.session_state.pop("join_notes", []):
            st.success(note)
        st.markdown(t("trainer.join_code", village=plain(chosen.name), code=trainers.join_code(who, chosen.id)))
        st.caption(t("trainer.join_hint") if settings.join_code_required else t("trainer.join_off"))
        card = addresses.card_address_here(settings.public_url, st.context.url)
        if not card.reachable:
            st.warning(t("join_address.none"))
        st.download_button(t("trainer.join_card"), partial(trainers.join_card, who, chosen.id, card.base_url or ""),
                           file_name=f"the-qr-{chosen.id}.html", mime="text/html", icon=ICONS["print"],
                           on_click="ignore", width="stretch", key="join_card", disabled=not card.reachable)
        if card.reachable:
            st.caption(t("join_address.shown" if card.source == "network" else "join_address.public",
                         url=card.base_url))
        if st.button(t("trainer.join_renew"), key="join_renew", width="stretch"):
            fresh = trainers.renew_join_code(who, chosen.id)
            st.session_state["join_notes"] = [t("trainer.join_renewed", code=fresh)]
            st.rerun()
    if st.button(t("coach.open"), icon=ICONS["chart"], key="coach-open", width="stretch"):
        go("coach", village=str(chosen.id))
    people = trainers.roster(who, chosen.id)
    ticked = trainers.outcomes(who, chosen.id)
    if people:
        st.caption(t("trainer.roster_count", count=len(people)))
        def row(p: LearnerInfo) -> dict[str, object]:
            marks = {t(f"outcome.short.{k}"): "✓" if k in ticked.get(p.id, set()) else "" for k in trainers.OUTCOMES}
            return {t("trainer.col_name"): p.name, t("trainer.col_year"): str(p.birth_year or ""),
                    t("trainer.col_household"): p.household or "", **marks}

        query = st.text_input(t("learner.search"), key="roster_search", icon=ICONS["search"])
        shown = [p for p in people if fold(query) in fold(p.name)] if query.strip() else people
        st.dataframe([row(p) for p in shown], hide_index=True, width="stretch")
    else:
        st.info(t("trainer.roster_empty"))
    # After a quick add the box keeps only the lines that were not added, so nothing typed is lost.
    if "quick_add_left" in st.session_state:
        st.session_state["quick_add_lines"] = st.session_state.pop("quick_add_left")
    for note in st.session_state.pop("quick_add_notes", []):
        (st.success if note[0] == "ok" else st.warning)(note[1])
    with st.form("quick_add", clear_on_submit=False):
        lines = st.text_area(t("trainer.add_many"), placeholder=t("trainer.add_many_help"), key="quick_add_lines")
        if st.form_submit_button(t("trainer.add"), type="primary", width="stretch"):
            added, problems = trainers.add_residents(who, chosen.id, lines)
            notes = [("ok", t("trainer.added", count=len(added)))] if added else []
            notes += [("warn", t("trainer.line_problem", line=p.line, text=plain(p.text), problem=message(p.error)))
                      for p in problems]
            st.session_state["quick_add_notes"] = notes
            st.session_state["quick_add_left"] = "\n".join(p.text for p in problems)
            st.rerun()

    if len(people) >= 2:
        with st.expander(t("trainer.merge_heading"), icon=ICONS["learner"]):
            st.caption(t("trainer.merge_hint"))
            with st.form("merge"):
                keep = st.selectbox(t("trainer.merge_keep"), people, format_func=lambda p: p.name, key="merge_keep")
                drop = st.selectbox(t("trainer.merge_drop"), people, format_func=lambda p: p.name, index=1,
                                    key="merge_drop")
                if st.form_submit_button(t("trainer.merge"), width="stretch"):
                    try:
                        kept = trainers.merge(who, keep.id, drop.id)
                    except InvalidInput as exc:
                        st.error(message(exc))
                    else:
                        st.session_state["quick_add_notes"] = [("ok", t("trainer.merged", name=plain(kept.name)))]
                        st.rerun()

    if people:
        st.subheader(f"{ICONS['right']} {t('trainer.outcomes_heading')}")
        st.caption(t("trainer.outcomes_hint"))
        for note in st.session_state.pop("outcomes_notes", []):
            st.success(note)
        person = st.selectbox(t("trainer.outcomes_person"), people, format_func=lambda p: p.name,
                              key="outcome_person")
        mine = ticked.get(person.id, set())
        boxes = {k: f"outcome-{person.id}-{k}" for k in trainers.OUTCOMES}
        for kind, key in boxes.items():  # the form shows what is saved, whoever saved it
            show_saved(key, kind in mine)
        show_saved(f"household-{person.id}", person.household or "")

        def save_outcomes(who: AccountInfo, person: LearnerInfo) -> None:
            """Save the boxes the trainer changed, and the household if it was edited."""
            on = {k for k, key in boxes.items() if st.session_state.get(key) and not shown_saved(key)}
            off = {k for k, key in boxes.items() if not st.session_state.get(key) and shown_saved(key)}
            trainers.change_outcomes(who, person.id, on, off)
            house = f"household-{person.id}"
            if st.session_state.get(house) != shown_saved(house):
                trainers.set_household(who, person.id, str(st.session_state.get(house) or ""))
            st.session_state["outcomes_notes"] = [t("trainer.outcomes_saved", name=plain(person.name))]

        with st.form(f"outcomes-{person.id}"):
            for kind, key in boxes.items():
                st.checkbox(t(f"outcome.{kind}"), key=key)
            st.text_input(t("trainer.household"), key=f"household-{person.id}")
            st.form_submit_button(t("trainer.outcomes_save"), type="primary", width="stretch",
                                  on_click=tap_handler(save_outcomes), args=(who, person))

if villages:
    st.subheader(f"{ICONS['app']} {t('session.start_heading')}")
    with st.form("start_session"):
        lessons = [x for _, group in resources.catalog().by_topic() for x in group]
        picked = st.selectbox(t("session.lesson"), lessons, format_func=lambda x: x.title, key="session_lesson")
        if st.form_submit_button(t("session.start"), type="primary", width="stretch"):
            started = group_sessions.start(who, resources.catalog(), chosen.id, picked.id)
            go("group_session", session=str(started.id))
    held = group_sessions.history(who)
    if held:
        st.caption(t("session.history"))
        names = {v.id: v.name for v in villages}
        for past in held[:10]:
            title = resources.catalog().lessons[past.lesson_id].title if past.lesson_id in resources.catalog().lessons \
                else past.lesson_id
            label = t("session.item", date=reports.local_time(past.started_at).strftime("%d/%m"),
                      village=names.get(past.village_id, ""), lesson=title)
            verb = t("session.view") if past.finished else t("session.resume")
            if st.button(f"{verb}: {plain(label)}", key=f"session-{past.id}", width="stretch"):
                go("group_session", session=str(past.id))

if who.role in ("trainer", "staff") and st.button(t("recording.entry"), icon=ICONS["mic"], key="recording-open",
                                                 width="stretch"):
    go("recording")

st.subheader(f"{ICONS['print']} {t('trainer.handouts')}")
st.caption(t("trainer.handouts_hint"))
catalog = resources.catalog()
for _, lessons in catalog.by_topic():
    for lesson in lessons:
        # made only when tapped: rendering all handouts on every rerun of this page would be wasted work
        st.download_button(plain(lesson.title), partial(services.handout, catalog, lesson),
                           file_name=f"{lesson.id}.html",
                           mime="text/html", icon=ICONS["print"], width="stretch", key=f"handout-{lesson.id}",
                           on_click="ignore")

if st.button(t("trainer.logout"), icon=ICONS["back"], width="stretch"):
    sign_out_account()
    go("village")
