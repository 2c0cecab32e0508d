"""End to end through the real Airflow UI in headless Chromium, as an operator does it.

Log in on the SimpleAuthManager page, open ``mediawatch_reenrich``, fill the trigger form's date
pickers (the Params' ``format: date``), trigger, wait for the run to succeed, and check in
Elasticsearch that exactly the articles published in that date range were re-enriched.
Screenshots of the filled form and of the finished run go to ``artifacts/ui/``.

Browser: Debian's ``chromium`` and ``chromium-driver`` (/usr/bin/chromium, /usr/bin/chromedriver)
driven by selenium; nothing is downloaded at run time.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote

import psutil
import pytest

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

    from tests.airflow_stack import AirflowStack

pytestmark = [pytest.mark.ui, pytest.mark.airflow, pytest.mark.es]

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "artifacts" / "ui"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
REENRICH = "mediawatch_reenrich"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--lang=en-US", "--window-size=1400,1500"]


def _processes_of(profile: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        if any(arg == f"--user-data-dir={profile}" for arg in proc.info["cmdline"] or []):
            found.append(proc)
    return found


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    """Headless Chromium with a fresh profile; afterwards no chromium or chromedriver process is left."""
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: apt-get install -y chromium chromium-driver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tmp_path / "chromium-profile"
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    # The date pickers type in the locale's order (mm/dd/yyyy for en-US): pin the locale.
    service = Service(str(CHROMEDRIVER), log_output=str(tmp_path / "chromedriver.log"),
                      env={**os.environ, "LANG": "en_US.UTF-8", "LANGUAGE": "en_US"})
    driver = webdriver.Chrome(service=service, options=options)
    driver_pid = service.process.pid
    try:
        yield driver
    finally:
        driver.quit()
        gone, alive = psutil.wait_procs(_processes_of(profile), timeout=10)
        for proc in alive:
            proc.kill()
        assert not psutil.pid_exists(driver_pid) or psutil.Process(driver_pid).status() == psutil.STATUS_ZOMBIE
        assert not alive, f"chromium processes left after quit (now killed): {[p.pid for p in alive]}"


def _wait(driver: WebDriver, timeout_s: float = 30.0):
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    # The single-page app redirects after it loads: a lookup may hit a page that is going away.
    return WebDriverWait(driver, timeout_s, poll_frequency=0.25, ignored_exceptions=[WebDriverException])


def _log_in(driver: WebDriver, stack: AirflowStack) -> None:
    """Open the DAG's page, land on the SimpleAuthManager login form, sign in, come back to the DAG."""
    from mediawatch.dev.devstack import LOCAL_PASSWORD, LOCAL_USER
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    driver.get(f"{stack.url}/dags/{REENRICH}")
    _wait(driver).until(ec.visibility_of_element_located((By.NAME, "username"))).send_keys(LOCAL_USER)
    driver.find_element(By.NAME, "password").send_keys(LOCAL_PASSWORD)
    _wait(driver).until(ec.element_to_be_clickable((By.CSS_SELECTOR, "button[type=submit]"))).click()
    _wait(driver).until(lambda d: "/auth/login" not in d.current_url)
    if f"/dags/{REENRICH}" not in driver.current_url:  # the login page may drop the page we came from
        driver.get(f"{stack.url}/dags/{REENRICH}")


def _type_date(driver: WebDriver, element_id: str, iso_day: str) -> None:
    """Type a day into an <input type=date> the way a user does: month, day, year keystrokes."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    field = _wait(driver).until(ec.element_to_be_clickable((By.ID, element_id)))
    year, month, day = iso_day.split("-")
    field.click()
    field.send_keys(f"{month}{day}{year}")
    value = field.get_attribute("value")
    assert value == iso_day, f"date picker {element_id} holds {value!r} after typing {iso_day} (browser locale?)"


def test_reenrich_from_the_trigger_form(airflow_stack: AirflowStack, browser: WebDriver) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    stack = airflow_stack
    docs = stack.index_articles({
        "ui-ar-before": ("ar", "2026-02-28T23:30:00Z"),  # the evening before the range
        "ui-en-first-day": ("en", "2026-03-01T00:10:00Z"),
        "ui-ar-in": ("ar", "2026-03-17T12:00:00Z"),
        "ui-ru-last-day": ("ru", "2026-03-31T22:30:00Z"),  # inclusive end: all of the last day
        "ui-en-after": ("en", "2026-04-01T00:30:00Z"),
    })
    inside = ["ui-en-first-day", "ui-ar-in", "ui-ru-last-day"]
    outside = ["ui-ar-before", "ui-en-after"]
    stack.set_paused(REENRICH, False)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    form_png, run_png = ARTIFACTS / "reenrich-trigger-form.png", ARTIFACTS / "reenrich-run-success.png"
    for old in (form_png, run_png):
        old.unlink(missing_ok=True)
    started = time.monotonic()

    _log_in(browser, stack)
    _wait(browser).until(ec.element_to_be_clickable((By.CSS_SELECTOR, "[data-testid=trigger-dag-button]"))).click()
    _type_date(browser, "element_start_date", "2026-03-01")
    _type_date(browser, "element_end_date", "2026-03-31")
    dialog_title = _wait(browser).until(ec.visibility_of_element_located(
        (By.XPATH, f"//*[contains(normalize-space(.), 'Trigger Dag - {REENRICH}') and not(*)]")))
    browser.execute_script("document.activeElement.blur(); arguments[0].scrollIntoView({block: 'start'})",
                           dialog_title)
    assert browser.save_screenshot(str(form_png))
    browser.find_element(By.CSS_SELECTOR, "[data-testid=trigger-dag-submit]").click()

    # The UI posts the run and opens its page: /dags/<dag_id>/runs/<run_id>
    run_url = re.compile(rf"/dags/{REENRICH}/runs/([^/?#]+)")
    _wait(browser).until(lambda d: run_url.search(d.current_url))
    run_id = unquote(run_url.search(browser.current_url).group(1))
    run = stack.wait_for_run(REENRICH, run_id, timeout_s=180)
    assert (run["run_type"], run["triggered_by"]) == ("manual", "ui"), run
    assert (run["conf"]["start_date"], run["conf"]["end_date"]) == ("2026-03-01", "2026-03-31"), run["conf"]
    assert run["conf"]["languages"] == ["ar", "ru", "en"] and run["conf"]["dry_run"] is False, run["conf"]

    browser.refresh()
    _wait(browser).until(ec.visibility_of_element_located((By.XPATH, f"//*[normalize-space(text())='{run_id}']")))
    _wait(browser).until(ec.visibility_of_element_located((By.XPATH, "//*[normalize-space(text())='Success']")))
    assert browser.save_screenshot(str(run_png))
    print(f"\n[ui] form to successful run in {time.monotonic() - started:.0f}s; screenshots in {ARTIFACTS}")

    version = stack.current_enrichment_version()
    result = stack.xcom(REENRICH, run_id, "reenrich")
    assert (result["updated"], result["failed"], result["enrichment_version"]) == (len(inside), 0, version), result
    after = stack.articles(list(docs))
    for doc_id in inside:
        doc = after[doc_id]
        assert doc["enrichment_version"] == version, doc_id
        assert doc["sentiment_method"] != "hand-written" and -1.0 <= doc["sentiment_score"] <= 1.0, doc_id
        assert doc["tone_russia"] != 42.0 and "odd-topic" not in doc["topics"], doc_id
        assert "Q7747" in doc["entity_ids"], doc_id  # Vladimir Putin, in Arabic, Russian and English
        assert doc["enriched_at"] > docs[doc_id]["enriched_at"], doc_id
    for doc_id in outside:
        assert after[doc_id] == docs[doc_id], f"{doc_id} is outside the date range but changed"
