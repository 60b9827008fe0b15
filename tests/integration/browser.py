"""Open a local HTML file in Debian's headless chromium through chromedriver (selenium) and tell what
the page did: which URLs it requested (the DevTools performance log's Network events), which of them
the browser blocked and why, how each image decoded, and the page's visible text.

The browser starts with a fresh profile and without its own background traffic (updates, sync,
safe-browsing lists, QUIC probes), so every request in the log is the page's. chromium and
chromium-driver are Debian packages the lab installs (lab/roles/obm_lab, ``obm_lab__browser_packages``);
selenium is pinned in requirements.txt and started with Debian's chromedriver, never with a driver
selenium would download.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = (
    "--headless",
    "--no-sandbox",  # the tests run as root, where chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1024",
)
TIMEOUT = 30

_LOADED = "return document.readyState === 'complete' && Array.from(document.images).every(i => i.complete)"
# Every image's state once the page has loaded: decoded means complete with a natural width.
_IMAGES = """
return Array.from(document.images).map(i => ({
  src: i.currentSrc || i.src, alt: i.getAttribute('alt'), complete: i.complete, width: i.naturalWidth}));
"""


@dataclass(frozen=True)
class Request:
    url: str
    blocked: str  # DevTools' blockedReason ("csp", ...) or "" when the request went out


@dataclass(frozen=True)
class Page:
    requests: tuple[Request, ...]
    images: tuple[dict[str, Any], ...]
    text: str  # document.body's visible text (innerText)
    title: str

    def sent(self) -> list[str]:
        """The URLs the browser actually asked for (not blocked before leaving the page)."""
        return [request.url for request in self.requests if not request.blocked]


def missing() -> list[str]:
    """The browser's programs that are not installed (make lab-up installs them)."""
    return [program for program in (CHROMIUM, CHROMEDRIVER) if not shutil.which(program)]


@contextlib.contextmanager
def chromium(*flags: str) -> Iterator[webdriver.Chrome]:
    """A headless chromium with a fresh profile, its performance log on; quit and removed after.
    ``flags``: more command-line switches (a server key to trust, for instance)."""
    profile = tempfile.mkdtemp(prefix="danang-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, *flags, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    try:
        driver.set_page_load_timeout(TIMEOUT)
        # Away from the start page, whose own chrome:// requests are not a report's.
        driver.get("about:blank")
        driver.get_log("performance")
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _requests(log: list[dict[str, Any]]) -> tuple[Request, ...]:
    urls: dict[str, str] = {}
    blocked: dict[str, str] = {}
    for entry in log:
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message.get("method") == "Network.requestWillBeSent":
            urls[params["requestId"]] = params["request"]["url"]
        elif message.get("method") == "Network.loadingFailed" and params.get("blockedReason"):
            blocked[params["requestId"]] = params["blockedReason"]
    return tuple(Request(url, blocked.get(request_id, "")) for request_id, url in urls.items())


def open_file(driver: webdriver.Chrome, path: Path) -> Page:
    """Load ``path`` as a file:// URL, wait until every image has finished, and report the page."""
    driver.get_log("performance")  # drop what an earlier page left
    driver.get(path.resolve().as_uri())
    WebDriverWait(driver, TIMEOUT).until(
        lambda d: d.execute_script(
            "return document.readyState === 'complete' && Array.from(document.images).every(i => i.complete)"
        )
    )
    images = tuple(driver.execute_script(_IMAGES))
    text = driver.find_element(By.TAG_NAME, "body").text
    return Page(_requests(driver.get_log("performance")), images, text, driver.title)


def problems(page: Page, path: Path) -> list[str]:
    """What keeps ``page`` (``path`` opened by :func:`open_file`) from being a self-contained report
    a reader sees whole: an image not decoded or without a text alternative, a request for anything
    but the file itself and ``data:`` URLs. Empty when all is well."""
    found = [
        f"image {index} ({image['alt']!r}) did not decode"
        for index, image in enumerate(page.images)
        if not (image["complete"] and image["width"] > 0)
    ]
    found += [
        f"image {index} has no text alternative"
        for index, image in enumerate(page.images)
        if not (image["alt"] or "").strip()
    ]
    own = path.resolve().as_uri()
    found += [
        f"requested {request.url}"
        for request in page.requests
        if request.url != own and not request.url.startswith("data:")
    ]
    if own not in [request.url for request in page.requests]:
        found.append("the performance log does not show the file itself: the log is not being read")
    return found
