"""A real headless chromium (Debian's chromium + chromium-driver) against a real uvicorn server.

Set TICKETLENS_SCREENSHOT=docs/pulse.png to refresh the README's screenshot of the pulse page.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import uvicorn

from classifier.predlog import feedback_table
from serve.app import create_app
from serve.settings import Settings
from tests.serve.app_factory import fake_loader
from tests.serve.web.seed import log_rows

pytestmark = pytest.mark.browser
webdriver = pytest.importorskip("selenium.webdriver")
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture
def server(web_settings: Settings) -> Iterator[tuple[str, Settings]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(web_settings, loader=fake_loader)
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    for _ in range(300):
        if uv.started and app.state.service.holder.current is not None:
            break
        time.sleep(0.05)
    app.state.service.store.insert_rows(log_rows())
    yield f"http://127.0.0.1:{port}", web_settings
    uv.should_exit = True
    thread.join(timeout=10)


@pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="apt-get install chromium chromium-driver")
def test_sign_in_see_the_spike_and_label_three_tickets_by_keyboard(
    server: tuple[str, Settings],
) -> None:
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    base, settings = server
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1200,1400"):
        options.add_argument(flag)
    browser = webdriver.Chrome(service=webdriver.ChromeService(DRIVER), options=options)
    try:
        browser.get(f"{base}/pulse")
        browser.find_element(By.ID, "username").send_keys("ana")
        browser.find_element(By.ID, "password").send_keys("agent-pw", Keys.ENTER)
        # The sign-in form posts and redirects to the pulse: wait for that page, not the form's.
        chart = WebDriverWait(browser, 10, ignored_exceptions=[WebDriverException]).until(
            lambda b: b.find_element(By.ID, "pulse-chart")
        )
        assert chart.find_elements(By.CSS_SELECTOR, "rect")
        assert len(chart.find_elements(By.CLASS_NAME, "spike-marker")) == 1
        assert "cross-account spike: billing" in browser.find_element(By.ID, "spikes").text
        if target := os.environ.get("TICKETLENS_SCREENSHOT"):
            Path(target).write_bytes(browser.get_screenshot_as_png())
        labelled = []
        for key in ("2", Keys.ENTER, "3"):
            browser.get(f"{base}/review")
            item = browser.find_element(By.ID, "item")
            labelled.append(item.get_attribute("data-ticket"))
            browser.find_element(By.TAG_NAME, "body").send_keys(key)
            # The form posts and the next ticket loads; while the page is swapped, a lookup can
            # fail (stale element, a node gone from the document): poll until the next one shows.
            WebDriverWait(browser, 10, ignored_exceptions=[WebDriverException]).until(
                lambda b: _next_ticket_shown(b, labelled[-1])
            )
    finally:
        browser.quit()
    engine = sa.create_engine(settings.db_url)
    with engine.connect() as connection:
        rows = connection.execute(sa.select(feedback_table)).mappings().all()
    engine.dispose()
    assert sorted(r["ticket_id"] for r in rows) == sorted(labelled) and len(set(labelled)) == 3
    assert {r["agent"] for r in rows} == {"ana"}


def _next_ticket_shown(browser: Any, previous: str | None) -> bool:
    """The review page shows another ticket than `previous` (or none is left); one script call,
    so no element handle can go stale between finding it and reading it."""
    shown = browser.execute_script(
        "const item = document.getElementById('item');"
        "return item === null ? null : item.getAttribute('data-ticket');"
    )
    return shown is None or shown != previous
