"""The shell's parts a page shows (issue 16): the help for putting Học Số on the phone's home screen. (How the
page is served, the manifest and the Vietnamese lost-connection message: ``learn.app.webapp``.)"""

from __future__ import annotations

import base64
import html

import streamlit as st

from learn.app.ui import served_picture, speaker
from learn.app.webapp import ADD_TO_HOME, ICONS
from learn.strings_vi import t


def app_icon() -> str:
    """The tab's icon: the app's own picture (the phone emoji until it is drawn)."""
    file = ICONS["/icons/app-icon-192.png"][0]
    return str(file) if file.is_file() else "📱"


def add_to_home_picture() -> str:
    """The wordless picture of how to put the icon on the home screen, as a data: address for an <img>."""
    return "data:image/svg+xml;base64," + base64.b64encode(ADD_TO_HOME.read_bytes()).decode()


def install_hint() -> None:
    """A small help for the bottom of the first screen: how to put Học Số on the phone's home screen, in words,
    a picture and the voice (hidden when the app was opened from that icon)."""
    source = served_picture(ADD_TO_HOME) or add_to_home_picture()  # kept by the browser where it is served
    with st.container(key="install-hint"), \
            st.expander(t("shell.install_title"), icon=":material/mobile_arrow_down:"):
        st.markdown(f'<img src="{html.escape(source)}" alt="{html.escape(t("shell.install_picture"))}" '
                    'style="width:100%;max-width:420px">', unsafe_allow_html=True)
        row = st.container(horizontal=True, vertical_alignment="top")
        speaker(t("shell.install_steps"), key="install-hint", where=row)
        row.markdown(t("shell.install_steps"), width="stretch")
