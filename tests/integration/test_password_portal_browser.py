# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The self-service password page in a real browser against both labs (R-40, R-42, R-43).

A civil servant of the lab city signs in with the initial password of the hand-over (the city's
credentials file), is shown the rules a bad choice breaks - their name, their birth date from the
personal data vault, their phone - as they type, changes the password, and afterwards the new
password opens IMAP on OBM and EWS on Exchange while the initial one opens neither. The page is
switched to English on the way. Then the person tries to go back to the initial password: Exchange
(written first) takes it, OBM (second) refuses it by ppolicy's history, so Exchange is put back and
the person is told; both systems still open with the chosen password only. Last, 50 concurrent
sign-ins (tests/benchmarks/portal_load.py) all land on the change form; their latency is printed.
Nothing the page logged holds any of the passwords.

The page runs as the integration tests' own instance (``portal_lab.portal_for``, port 28443, the
lab CA). Debian's chromium trusts the page's key only: the test checks the server's certificate
against the lab CA with Python's ssl module and pins that key in chromium
(``--ignore-certificate-errors-spki-list``), so no certificate is accepted unchecked.
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import ssl
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

pytest.importorskip("ldap3")
pytest.importorskip("pypsrp")
pytest.importorskip("selenium")
portal_lab = pytest.importorskip("portal_lab", reason="the password_portal role's test fixture")

import both_labs  # noqa: E402
import browser  # noqa: E402
from both_labs import SiteCity  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402
from test_password_policy_exchange import ews_logon  # noqa: E402

pytestmark = pytest.mark.integration
city, site_city = both_labs.city, both_labs.site_city  # the fixtures

PERSON = "CB-2017-000101"  # Nguyễn Văn Dũng (stttt), on both systems
BIRTH_DATE = "1985-04-12"
PHONE = "0905123456"
NEW_PASSWORD = "Hoa-Phuong7+Kp9"  # ASCII: typed the same way into IMAP and EWS clients
WAIT = 20
LOAD_SCRIPT = Path(__file__).resolve().parents[2] / "tests" / "benchmarks" / "portal_load.py"


def spki_flag(url: str, ca_file: str | Path) -> str:
    """The chromium switch that trusts the key of the server at ``url``, after Python's ssl module
    has checked its certificate and host name against ``ca_file``."""
    parts = urllib.parse.urlsplit(url)
    context = ssl.create_default_context(cafile=str(ca_file))
    with (
        socket.create_connection((parts.hostname, parts.port or 443), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=parts.hostname) as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    key = x509.load_der_x509_certificate(der).public_key()
    spki = key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return f"--ignore-certificate-errors-spki-list={base64.b64encode(hashlib.sha256(spki).digest()).decode()}"


def shown_codes(driver) -> set[str]:
    items = driver.find_elements(By.CSS_SELECTOR, "ul#problems > li[data-code]")
    return {item.get_attribute("data-code") for item in items}


def type_candidate(driver, new: str, confirm: str = "") -> None:
    for element_id, value in (("new-password", new), ("confirm-password", confirm)):
        field = driver.find_element(By.ID, element_id)
        field.clear()
        field.send_keys(value)


def wait_for_language(driver, lang: str) -> None:
    WebDriverWait(driver, WAIT).until(
        lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == lang
    )


def wait_for_codes(driver, expected: set[str]) -> None:
    WebDriverWait(driver, WAIT).until(lambda d: shown_codes(d) == expected, f"problems shown: not {expected}")


def sign_in(driver, url: str, address: str, password: str) -> None:
    driver.get(f"{url}/")
    driver.find_element(By.ID, "address").send_keys(address)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "sign-in-submit").click()
    WebDriverWait(driver, WAIT).until(lambda d: d.find_elements(By.CSS_SELECTOR, "form#change"))


def submit(driver, new: str):
    """Type ``new`` twice, submit, and return the result element."""
    type_candidate(driver, new, new)
    wait_for_codes(driver, set())
    driver.find_element(By.ID, "change-submit").click()
    return WebDriverWait(driver, 120).until(lambda d: d.find_elements(By.ID, "result"))[0]


def load(portal, address: str, password: str, clients: int = 50) -> str:
    """The output of portal_load.py for ``clients`` concurrent sign-ins; any failed one fails the test."""
    command = [sys.executable, str(LOAD_SCRIPT), portal.url, "--ca-file", str(portal.ca_file)]
    proc = subprocess.run(
        [*command, "--address", address, "--clients", str(clients)],
        env=dict(os.environ, PORTAL_LOAD_PASSWORD=password),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_a_civil_servant_changes_the_initial_password(site_city: SiteCity) -> None:
    assert not browser.missing(), f"{browser.missing()} missing: make lab-up installs them"
    site_city.write_personal_data(f'{PERSON}: {{birth_date: {BIRTH_DATE}, phone: "{PHONE}"}}\n')
    site_city.run("site.yml")
    entry = site_city.credentials()[PERSON][-1]
    address, initial = str(entry["address"]).lower(), str(entry["password"])
    exchange = site_city.city.lab
    assert not site_city.imap_ok(address, initial)  # OBM refuses an initial password over IMAP
    assert not ews_logon(exchange, address, initial)  # AD: must change at next logon

    with (
        portal_lab.portal_for(site_city) as portal,
        browser.chromium(spki_flag(portal.url, portal.ca_file)) as d,
    ):
        d.get(f"{portal.url}/")
        assert d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi"
        d.find_element(By.ID, "address").send_keys(address)
        d.find_element(By.ID, "password").send_keys("Wrong-Password-1")
        d.find_element(By.ID, "sign-in-submit").click()
        assert "không đúng" in d.find_element(By.ID, "error").text  # the generic error

        d.find_element(By.ID, "address").send_keys(address)
        d.find_element(By.ID, "password").send_keys(initial)
        d.find_element(By.ID, "sign-in-submit").click()
        WebDriverWait(d, WAIT).until(lambda d: d.find_elements(By.CSS_SELECTOR, "form#change"))

        type_candidate(d, "dung")
        wait_for_codes(d, {"too_short", "no_upper", "no_digit", "no_special", "name"})
        type_candidate(d, "Ab+12041985xy")
        wait_for_codes(d, {"birth_date"})
        assert "ngày sinh" in d.find_element(By.CSS_SELECTOR, "li[data-code=birth_date]").text
        type_candidate(d, "Ab+0905123456")
        wait_for_codes(d, {"phone"})

        d.find_element(By.ID, "lang-en").click()  # English, still signed in
        WebDriverWait(d, WAIT).until(
            lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
        )
        type_candidate(d, "Ab+12041985xy")
        wait_for_codes(d, {"birth_date"})
        assert "date of birth" in d.find_element(By.CSS_SELECTOR, "li[data-code=birth_date]").text
        type_candidate(d, NEW_PASSWORD, NEW_PASSWORD + "x")
        wait_for_codes(d, {"mismatch"})
        type_candidate(d, NEW_PASSWORD, NEW_PASSWORD)
        wait_for_codes(d, set())
        d.find_element(By.ID, "change-submit").click()
        result = WebDriverWait(d, 120).until(lambda d: d.find_elements(By.ID, "result"))[0]
        assert result.get_attribute("data-outcome") == "changed", result.text
        assert "changed on every mail system" in result.text

        d.get(f"{portal.url}/change")  # the session ended with the change
        assert d.find_elements(By.CSS_SELECTOR, "form#sign-in")
        d.find_element(By.ID, "lang-vi").click()
        WebDriverWait(d, WAIT).until(
            lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi"
        )

        # Back to the initial password: the rules pass and Exchange takes it, but OBM's ppolicy
        # keeps the last 5 (pwdInHistory): refused on the second system, Exchange is put back.
        sign_in(d, portal.url, address, NEW_PASSWORD)
        result = submit(d, initial)
        assert result.get_attribute("data-outcome") == "rolled_back", result.text
        assert "mật khẩu cũ vẫn dùng được" in result.text  # told plainly: the old one still works

        print(load(portal, address, NEW_PASSWORD))  # the latency figures, in the test's output
        logged = "".join(path.read_text(encoding="utf-8", errors="replace") for path in portal.logs)

    assert site_city.imap_ok(address, NEW_PASSWORD)
    assert not site_city.imap_ok(address, initial)
    assert ews_logon(exchange, address, NEW_PASSWORD)
    assert not ews_logon(exchange, address, initial)
    assert address in logged  # the logs were read
    assert initial not in logged and NEW_PASSWORD not in logged and "Wrong-Password-1" not in logged
