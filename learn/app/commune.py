"""What the commune staff's two pages (the dashboard and the commune's administration) share: who may open them,
the commune on screen (an admin of several picks one), and the dashboard's numbers, kept five minutes and
forgotten when the administration page changes what they count."""

from __future__ import annotations

import streamlit as st

from learn.app import resources
from learn.app.navigation import go
from learn.app.ui import ICONS
from learn.services import reports
from learn.strings_vi import t
from progress_db.records import AccountInfo


def staff_only(who: AccountInfo) -> None:
    """Stop the page, with a way back, unless ``who`` is commune staff or an admin."""
    if who.role in ("staff", "admin"):
        return
    st.error(t("dashboard.staff_only"))
    if st.button(t("dashboard.back"), icon=ICONS["back"], width="stretch"):
        go("trainer")
    st.stop()


def commune_on_screen(who: AccountInfo) -> tuple[int, str]:
    """The commune these pages show: the staff member's own, or the one an admin picks (the choice is kept
    between the two pages). Stops the page when there is none."""
    communes = reports.communes(who)
    picked: int | None = who.commune_id
    if who.role == "admin":
        if st.session_state.get("dash_commune") not in communes:
            st.session_state.pop("dash_commune", None)
        # kept outside the widget's own key, which Streamlit forgets on a page without the box
        keep = st.session_state.get("commune_picked")
        if "dash_commune" not in st.session_state and keep in communes:
            st.session_state["dash_commune"] = keep
        picked = st.selectbox(t("dashboard.commune"), list(communes), format_func=lambda c: communes[c],
                              key="dash_commune") if communes else None
        st.session_state["commune_picked"] = picked
    if picked is None or picked not in communes:
        st.info(t("report.no_commune"))
        st.stop()
    return picked, communes[picked]


# A province-sized commune takes a second or two to count (grouping a million answers is SQLite's floor), so the
# numbers are kept for five minutes per account and filters: ticking a box or opening a panel stays instant.
@st.cache_data(ttl=300, show_spinner=False, max_entries=64)
def dashboard(viewer: AccountInfo, commune: int, chosen: reports.Filters) -> reports.Dashboard:
    """The dashboard's numbers for ``commune`` as ``viewer`` may see them."""
    return reports.dashboard(viewer, resources.catalog(), commune, chosen)


def forget_numbers() -> None:
    """Count again on the next view (targets, villages or a sync changed what the dashboard shows)."""
    dashboard.clear()
