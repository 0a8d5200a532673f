"""Render learn/pictures/app-icon.svg to the PNG icons the web app manifest names (192 and 512 px).

Run after changing the SVG: ``.venv/bin/python scripts/render-icons.py`` (needs Playwright and /usr/bin/chromium,
which the browser tests use already; nothing at run time).
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import sync_playwright

PICTURES = Path(__file__).resolve().parent.parent / "learn" / "pictures"


def main() -> None:
    svg = (PICTURES / "app-icon.svg").read_text(encoding="utf-8")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        for size in (192, 512):
            page = browser.new_page(viewport={"width": size, "height": size})
            page.set_content(
                "<html><body style='margin:0'>"
                + svg.replace("<svg ", f"<svg width='{size}' height='{size}' style='display:block' ", 1)
                + "</body></html>"
            )
            page.screenshot(path=str(PICTURES / f"app-icon-{size}.png"), omit_background=False)
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
