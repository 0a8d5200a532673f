"""The framework's floor: a Streamlit page that does nothing (served with `learn serve`'s own settings)."""
