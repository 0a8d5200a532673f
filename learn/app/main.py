"""Entry point: ``streamlit run learn/app/main.py`` (what ``learn serve`` starts)."""

from __future__ import annotations

import streamlit as st

from learn.app import navigation, resources
from learn.app.auth import write_account_cookie
from learn.app.shell import app_icon
from learn.app.ui import (
    apply_style,
    pause_narration_while_recording,
    problems_said_plainly,
    served_address,
    show_tap_error,
)
from learn.strings_vi import t

# the icon by its address where `learn serve` serves it (not read and stored again on every run)
st.set_page_config(page_title=t("app.title"), page_icon=served_address("/icons/app-icon-192.png") or app_icon(),
                   layout="centered", initial_sidebar_state="collapsed")
apply_style()
pause_narration_while_recording()
write_account_cookie()

page = st.navigation(navigation.pages(), position="hidden")
navigation.follow()  # a tap that leaves the screen: straight to the next one, the old one not drawn again
show_tap_error()
with problems_said_plainly():
    resources.database()
    page.run()
