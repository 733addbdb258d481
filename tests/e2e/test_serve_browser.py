"""``reverb-tui serve`` end to end: the real server process, and a real headless browser
(Debian's chromium driven through its chromedriver) that opens the page, sees the list screen
and presses a key that the app obeys.

Without chromium the browser test is skipped with one line saying what to install; CI sets
REVERB_TUI_REQUIRE_BROWSER=1 (after installing chromium in .ci/run), which turns that skip
into a failure.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.db_rows import add_channel

pytestmark = pytest.mark.slow  # a server process, a TUI process and a browser

EXE = Path(sys.executable).with_name("reverb-tui")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
# An address nothing listens on: the served TUI's background sync fails at once, offline.
NOWHERE = "http://127.0.0.1:9/api"

# Installed before the page's own script: keeps what the websocket delivers to the terminal,
# as text, since xterm.js draws on a canvas that has no text to read.
RECORD_TERMINAL = """
window.__received = '';
const NativeWebSocket = window.WebSocket;
window.WebSocket = function (...args) {
  const ws = new NativeWebSocket(...args);
  const decoder = new TextDecoder();
  ws.addEventListener('message', (e) => {
    if (typeof e.data !== 'string') window.__received += decoder.decode(e.data, {stream: true});
  });
  return ws;
};
window.WebSocket.prototype = NativeWebSocket.prototype;
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


@pytest.fixture
def served(make_services, db_path: Path, tmp_path: Path) -> Iterator[str]:
    """``reverb-tui serve`` on a free port, over a database with two integrations."""
    pytest.importorskip("textual_serve", reason="reverb-tui[web] is not installed")
    svc = make_services()
    add_channel(svc, "Northside Guitars", api_url=NOWHERE)
    add_channel(svc, "Harbour Music Co.", api_url=NOWHERE, enabled=False)
    svc.close()
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [str(EXE), "serve", "--port", str(port), "--db", str(db_path)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={k: v for k, v in os.environ.items() if k != "REVERB_TUI_DB"} | {"COLUMNS": "100"},
    )
    url = f"http://127.0.0.1:{port}/"

    def up() -> bool:
        assert proc.poll() is None, (tmp_path / "serve.log").read_text()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    try:
        wait_until(up, 20, "the server to listen")
        yield url
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def status(url: str, **headers: str) -> int:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_the_server_answers_loopback_names_only(served: str) -> None:
    port = served.rsplit(":", 1)[1].strip("/")
    assert status(served) == 200
    assert status(served, Host=f"localhost:{port}") == 200
    # DNS rebinding: a foreign name that resolves to 127.0.0.1.
    assert status(served, Host=f"attacker.example:{port}") == 403
    # Another site's page in the same browser.
    assert status(served, Origin="https://attacker.example") == 403
    assert status(served + "ws", Origin="https://attacker.example") == 403


def browser():
    if CHROMIUM is None or CHROMEDRIVER is None:
        message = (
            "headless browser test needs Debian's chromium and chromium-driver "
            "(apt-get install chromium chromium-driver)"
        )
        if os.environ.get("REVERB_TUI_REQUIRE_BROWSER"):
            pytest.fail(message + ", and REVERB_TUI_REQUIRE_BROWSER is set")
        pytest.skip(message)
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.add_argument("--window-size=1200,700")
    # The driver is named explicitly: selenium never looks for (or downloads) one itself.
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def test_the_tui_runs_in_a_headless_browser(served: str, tmp_path: Path) -> None:
    driver = browser()
    try:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_TERMINAL})
        driver.get(served)

        def terminal_text() -> str:
            return driver.execute_script("return window.__received") or ""

        # The list screen, drawn by xterm.js in the page.
        text = wait_until(
            lambda: "Harbour Music Co." in terminal_text() and terminal_text(),
            25,
            "the list screen in the browser",
        )
        assert "Sales channel integrations" in text and "Northside Guitars" in text
        assert "-first-byte" in driver.execute_script("return document.body.className")
        driver.save_screenshot(str(tmp_path / "list-screen.png"))

        # A key typed in the page reaches the app: ctrl+q quits it, the server closes the
        # session and the page says so.
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys

        keyboard = driver.find_element(By.CSS_SELECTOR, "textarea.xterm-helper-textarea")
        keyboard.send_keys(Keys.CONTROL, "q")
        wait_until(
            lambda: "-closed" in driver.execute_script("return document.body.className"),
            15,
            "the app to quit on ctrl+q",
        )
    finally:
        driver.quit()
