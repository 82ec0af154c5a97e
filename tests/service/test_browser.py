"""The workbench in a real browser: headless Chromium (Debian's ``chromium``, driven by
Playwright for Python) against a live server and a real worker, on both stacks (progress
pushed through Redis, and read from the database on the embedded default).

A staff developer logs in, loads standard profiles into the editor, validates, submits, sees
progress advance over the WebSocket and the result table appear. On failure a screenshot is
saved in the test's temporary folder.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.service.conftest import require

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# 4-5 s on one core, so the page sees progress on the way (15 M rounds took 0.9 s: less than
# one progress interval, and the embedded stack's page saw none)
ROUNDS = 60_000_000
PASSWORD = "workbench horse battery"
MAKE_STAFF = (
    "from django.contrib.auth import get_user_model\n"
    "user, _ = get_user_model().objects.get_or_create(username='devon')\n"
    "user.is_staff = True\n"
    f"user.set_password({PASSWORD!r})\n"
    "user.save()\n"
)


def browser_problem() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[test]')"
    if not Path(CHROMIUM).exists():
        return "Chromium is not installed (apt-get install chromium; scripts/test does it)"
    return None


def open_page(playwright):
    """Debian's Chromium, headless, and one page of a laptop's size."""
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"]
    )
    return browser, browser.new_page(viewport={"width": 1366, "height": 900})


def test_staff_run_a_default_profile_and_watch_it_finish_in_a_browser(stack, tmp_path):
    require(browser_problem())
    from playwright.sync_api import expect, sync_playwright

    stack.manage("shell", "-c", MAKE_STAFF)
    base = stack.base_url
    with sync_playwright() as playwright:
        browser, page = open_page(playwright)
        # the site's Content-Security-Policy is enforced: the workbench must run under it
        blocked: list[str] = []
        page.on(
            "console",
            lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None,
        )
        try:
            page.goto(f"{base}/workbench/")
            expect(page.locator("input[name=password]")).to_be_visible()  # the login page
            page.fill("input[name=username]", "devon")
            page.fill("input[name=password]", PASSWORD)
            page.click("form.login button[type=submit]")
            page.wait_for_url(f"{base}/workbench/")

            page.select_option("#pick-rules", "downtown_2d_h17")
            page.fill("#rounds", str(ROUNDS))
            page.click("#compose")
            config = json.loads(page.input_value("#config"))
            assert config["rules"]["decks"] == 2 and config["rules"]["dealer_hits_soft_17"]
            assert config["simulation"]["rounds"] == ROUNDS

            page.click("#validate")
            expect(page.locator("#verdict")).to_have_text(f"valid: {ROUNDS:,} rounds")

            page.click("#submit")
            # a function, not a string: the page's CSP (rightly) refuses to eval strings
            page.wait_for_function("() => window.jostLive.progress.length > 0", timeout=90_000)
            expect(page.locator("#job-progress-text")).to_contain_text("rounds/s")
            expect(page.locator("table.result").first).to_be_visible(timeout=90_000)

            progress = page.evaluate("window.jostLive.progress")
            done = [p["rounds_done"] for p in progress]
            assert done == sorted(done) and 0 < done[0] < ROUNDS, progress
            assert page.eval_on_selector("#job-progress", "bar => bar.value") == 1
            expect(page.locator("#job-status")).to_have_text("COMPLETE")
            kinds = [s["kind"] for s in page.evaluate("window.jostLive.statuses")]
            assert kinds == ["started", "completed"]
            rows = page.eval_on_selector_all(
                'table.result[data-table="result"] tr',
                "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))",
            )
            assert ["rounds", f"{ROUNDS:,}"] in rows, rows[:5]
            raw = json.loads(page.text_content("#result-json"))
            assert raw["rounds"] == ROUNDS
            assert blocked == [], blocked
        except BaseException:
            page.screenshot(path=str(tmp_path / "workbench-failure.png"), full_page=True)
            raise
        finally:
            browser.close()


def test_the_api_docs_render_with_no_network_beyond_the_service(stack, tmp_path):
    """Swagger UI's script and styles come from the service itself (drf-spectacular's sidecar):
    every request to another host is refused, as on a machine without internet, and the page
    still lists the API's operations under the site's CSP."""
    require(browser_problem())
    from playwright.sync_api import expect, sync_playwright

    base = stack.base_url
    with sync_playwright() as playwright:
        browser, page = open_page(playwright)
        outside: list[str] = []
        problems: list[str] = []

        def only_the_service(route) -> None:
            if route.request.url.startswith(base):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        page.route("**/*", only_the_service)
        page.on(
            "console",
            lambda m: (
                problems.append(m.text)
                if m.type == "error" or "Content Security Policy" in m.text
                else None
            ),
        )
        try:
            page.goto(f"{base}/api/docs/")
            expect(page.locator(".swagger-ui .info .title")).to_contain_text(
                "JOST service API", timeout=30_000
            )
            expect(page.locator(".opblock-summary-path", has_text="/api/submit/")).to_be_visible()
            paths = page.eval_on_selector_all(
                ".opblock-summary-path", "els => els.map(e => e.textContent.trim())"
            )
            assert "/api/jobs/" in paths and "/api/auth/token/" in paths, paths
            assert outside == [] and problems == [], (outside, problems)
        except BaseException:
            page.screenshot(path=str(tmp_path / "api-docs-failure.png"), full_page=True)
            raise
        finally:
            browser.close()
