"""Running the `learn` command in the tests."""

from __future__ import annotations

from click.testing import CliRunner


def runner() -> CliRunner:
    """A runner keeping stderr apart (click 8.1, which gTTS pins, mixes it in unless told not to)."""
    try:
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:  # click >= 8.2 always keeps it apart
        return CliRunner()
