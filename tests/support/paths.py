"""Where the tests find the project, their fixture lessons and the shared audio clips."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
CONTENT = FIXTURES / "content" / "vi"
BROKEN = FIXTURES / "broken"
SHARED = ROOT.parent / "shared"
