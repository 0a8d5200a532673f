"""The commune's administration, for commune staff (and admins, per commune): the targets, taking in a trainer's
sync bundle, the villages, and the accounts of the village tech teams. Every change goes through a service that
checks the account; the dashboard counts again after one."""

from __future__ import annotations

import streamlit as st

from learn.app import resources
from learn.app.auth import account_or_sign_in
from learn.app.commune import commune_on_screen, forget_numbers, staff_only
from learn.app.listen_in import add_language_form
from learn.app.navigation import go
from learn.app.ui import ICONS, message, plain, show_saved, shown_saved
from learn.errors import InvalidInput, LearnError
from learn.services import care, indicators, languages, reports, trainers, voice_packs
from learn.services import sync as syncing
from learn.services.accounts import create_trainer, reset_password
from learn.strings_vi import STRINGS, t
from progress_db.records import AccountInfo

who: AccountInfo = account_or_sign_in()
staff_only(who)
heading = st.container()
commune_id, commune_name = commune_on_screen(who)
heading.header(t("admin.heading", commune=plain(commune_name)))
if st.button(t("admin.back"), icon=ICONS["chart"], width="stretch", key="to-dashboard"):
    go("dashboard")
village_choices = reports.villages_to_filter(who, commune_id)
saved_targets = indicators.targets(who, commune_id)

st.subheader(f"{ICONS['target']} {t('dashboard.targets_edit')}")
with st.container(border=True):
    for note in st.session_state.pop("targets_notes", []):
        st.success(note)
    inputs = {k: f"target-{commune_id}-{k}" for k in indicators.KEYS}
    for k, key in inputs.items():  # the form shows the targets saved for the commune on screen
        show_saved(key, round(100 * saved_targets[k]))

    def save_targets() -> None:
        """Save the targets that were changed; a value outside 0..100 is refused with its message, and what was
        typed stays in the box to be corrected."""
        changed = {k: float(st.session_state[key]) / 100 for k, key in inputs.items()
                   if st.session_state.get(key) is not None and st.session_state[key] != shown_saved(key)}
        try:
            indicators.set_targets(who, commune_id, changed)
        except InvalidInput as exc:
            st.session_state["targets_problem"] = message(exc)
            return
        forget_numbers()
        st.session_state["targets_notes"] = [t("dashboard.targets_saved")]

    problem = st.session_state.pop("targets_problem", None)
    if problem:
        st.error(problem)
    with st.form("targets"):
        boxes = st.columns(3)
        for i, (k, key) in enumerate(inputs.items()):
            # no min/max here: the browser would clamp a typo silently; the service refuses it with a message
            boxes[i % 3].number_input(t("dashboard.target_input", indicator=t(f"indicator.{k}")), step=5, key=key)
        st.form_submit_button(t("dashboard.targets_save"), type="primary", width="stretch", on_click=save_targets)

st.subheader(f"{ICONS['download']} {t('sync.heading')}")
with st.container(border=True):
    st.caption(t("sync.hint"))
    for kind, note in st.session_state.pop("sync_notes", []):
        (st.success if kind == "ok" else st.info)(note)
    with st.form("sync_upload", clear_on_submit=True):
        upload = st.file_uploader(t("sync.upload"), type=["hocso"], key="sync_file")
        if st.form_submit_button(t("sync.take"), type="primary", width="stretch") and upload is not None:
            try:
                got = syncing.receive(who, upload.getvalue(), resources.settings().sync_key, resources.catalog())
            except syncing.BundleRejected as exc:
                st.error(message(exc))
            else:
                parts = [t(f"sync.kind.{k}", count=n) for k, n in got.added.items()
                         if n and f"sync.kind.{k}" in STRINGS]
                st.session_state["sync_notes"] = [
                    ("info", t("sync.already")) if got.already else
                    ("ok", t("sync.done", what=", ".join(parts))) if parts else ("info", t("sync.nothing_new"))]
                forget_numbers()
                st.rerun()

st.subheader(f"{ICONS['mic']} {t('voicepack.heading')}")  # voice packs (issue 20)
with st.container(border=True):
    st.caption(t("voicepack.hint"))
    for kind, note in st.session_state.pop("voicepack_notes", []):
        (st.success if kind == "ok" else st.info)(note)
    with st.form("voicepack_upload", clear_on_submit=True):
        pack_file = st.file_uploader(t("voicepack.upload"), type=[voice_packs.SUFFIX.lstrip(".")],
                                     key="voicepack_file")
        if st.form_submit_button(t("voicepack.take"), type="primary", width="stretch") and pack_file is not None:
            try:
                took = voice_packs.receive(who, commune_id, pack_file.getvalue(), resources.settings().sync_key,
                                           resources.settings().audio_cache_dir)
            except LearnError as exc:
                st.error(message(exc))
            else:
                counts = {"added": took.added, "replaced": took.replaced, "unchanged": took.unchanged}
                st.session_state["voicepack_notes"] = [("ok", t("voicepack.done", **counts)) if took.changed
                                                       else ("info", t("voicepack.nothing_new", **counts))]
                st.rerun()
    shared = voice_packs.count(who, commune_id)
    if shared:
        st.download_button(  # the pack is made only when the button is pressed
            t("voicepack.download", count=shared), icon=ICONS["download"], width="stretch",
            data=lambda: voice_packs.for_staff(who, commune_id, resources.settings().sync_key,
                                               resources.settings().audio_cache_dir),
            file_name=f"giong-doc{voice_packs.SUFFIX}", mime="application/octet-stream", key="voicepack_download")
    else:
        st.caption(t("voicepack.none_yet"))

st.subheader(f"{ICONS['village']} {t('dashboard.manage')}")
with st.container(border=True):
    for note in st.session_state.pop("manage_notes", []):
        st.success(note)
    with st.form("add_village"):
        name = st.text_input(t("dashboard.village_name"), key="new_village")
        if st.form_submit_button(t("dashboard.add_village"), width="stretch"):
            try:
                trainers.add_village(who, commune_id, name)
            except InvalidInput as exc:
                st.error(message(exc))
            else:
                forget_numbers()
                st.session_state["manage_notes"] = [t("dashboard.village_added", name=plain(name.strip()))]
                st.rerun()
    if village_choices:
        with st.form("rename_village"):
            old = st.selectbox(t("dashboard.rename_which"), village_choices, format_func=lambda v: v.name,
                               key="rename_which")
            new = st.text_input(t("dashboard.rename_to"), key="rename_to")
            if st.form_submit_button(t("dashboard.rename"), width="stretch"):
                try:
                    renamed = trainers.rename_village(who, old.id, new)
                except InvalidInput as exc:
                    st.error(message(exc))
                else:
                    st.session_state["manage_notes"] = [t("dashboard.renamed", name=plain(renamed))]
                    forget_numbers()
                    st.rerun()
    st.caption(t("dashboard.accounts"))
    commune_team = trainers.commune_accounts(who, commune_id)
    st.dataframe([{t("trainer.username"): a.username, t("account.new_name"): a.name,
                   t("dashboard.role"): t(f"dashboard.role.{a.role}"),
                   t("dashboard.col_active"): "✓" if a.active else "–"}
                  for a in commune_team], hide_index=True, width="stretch", height="content")
    team = [a for a in commune_team if a.role == "trainer"]
    for note in st.session_state.pop("account_switch_notes", []):
        st.success(note)
    if team:
        with st.form("account_switch"):
            st.caption(t("dashboard.account_switch"))
            switched = st.selectbox(t("dashboard.reset_who"), team, key="switch_who",
                                  format_func=lambda a: f"{a.username} ({a.name})" + ("" if a.active else " –"))
            off, on = st.columns(2)
            if off.form_submit_button(t("dashboard.account_off"), width="stretch"):
                done = care.set_trainer_active(who, switched.id, False)
                st.session_state["account_switch_notes"] = [t("dashboard.account_off_done", username=done.username)]
                st.rerun()
            if on.form_submit_button(t("dashboard.account_on"), width="stretch"):
                done = care.set_trainer_active(who, switched.id, True)
                st.session_state["account_switch_notes"] = [t("dashboard.account_on_done", username=done.username)]
                st.rerun()
        with st.form("reset_password", clear_on_submit=True):
            st.caption(t("dashboard.reset_hint"))
            person = st.selectbox(t("dashboard.reset_who"), team, format_func=lambda a: f"{a.username} ({a.name})",
                                  key="reset_who")
            fresh = st.text_input(t("trainer.password"), type="password", key="reset_password_value")
            if st.form_submit_button(t("dashboard.reset"), width="stretch"):
                try:
                    done = reset_password(who, person.id, fresh)
                except InvalidInput as exc:
                    st.error(message(exc))
                else:
                    st.success(t("dashboard.reset_done", username=done.username))
    with st.form("new_trainer", clear_on_submit=False):
        st.caption(t("account.new_trainer"))
        new_user = st.text_input(t("trainer.username"), key="new_trainer_user")
        new_name = st.text_input(t("account.new_name"), key="new_trainer_name")
        new_password = st.text_input(t("trainer.password"), type="password", key="new_trainer_password")
        if st.form_submit_button(t("account.create"), width="stretch"):
            try:
                made = create_trainer(who, new_user, new_name, new_password, commune_id)
            except InvalidInput as exc:
                st.error(message(exc))
            else:
                st.success(t("account.created", username=made.username))

st.subheader(f":material/translate: {t('language.heading')}")  # narration languages (issue 20)
with st.container(border=True):
    st.caption(t("language.hint"))
    for note in st.session_state.pop("language_notes", []):
        st.success(note)
    spoken_in = languages.of_commune(who, commune_id)
    if spoken_in:
        st.dataframe([{t("language.col_name"): t("language.option", name=x.name), t("language.col_code"): x.code}
                      for x in spoken_in], hide_index=True, width="stretch", height="content")
    else:
        st.caption(t("language.none"))
    add_language_form(who, commune_id, key="admin-add-language", notes="language_notes")

if st.button(t("dashboard.back"), icon=ICONS["back"], width="stretch"):
    go("trainer")
