"""Entry point: ``streamlit run learn/app/main.py`` (what ``learn serve`` starts)."""

from __future__ import annotations

import streamlit as st

from learn.app import navigation, resources
from learn.app.auth import write_account_cookie
from learn.app.shell import app_icon
from learn.app.ui import apply_style, message, pause_narration_while_recording, served_address, show_tap_error
from learn.errors import LearnError
from learn.strings_vi import t
from progress_db.db import DatabaseError, MaxConnectionsExceeded

# the icon by its address where `learn serve` serves it (not read and stored again on every run)
st.set_page_config(page_title=t("app.title"), page_icon=served_address("/icons/app-icon-192.png") or app_icon(),
                   layout="centered", initial_sidebar_state="collapsed")
apply_style()
pause_narration_while_recording()
write_account_cookie()

page = st.navigation(navigation.pages(), position="hidden")
navigation.follow()  # a tap that leaves the screen: straight to the next one, the old one not drawn again
show_tap_error()
try:
    resources.database()
    page.run()
except LearnError as exc:
    st.error(message(exc))
except (DatabaseError, MaxConnectionsExceeded):
    # Locked, full disk or a lost server: say so plainly; what was saved before stays saved.
    st.error(t("error.database"))
