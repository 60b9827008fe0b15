# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/notify.yml on both labs at once (R-22, R-44, exactly once): a closed request's result
reaches the agency mailbox - read back over IMAP on OBM, through EWS on Exchange - and a password
warning reaches its holder; check mode sends nothing; the journal cut back to its ``sending`` lines
(what a kill between the send and its record leaves) gives no second copy; no initial password is in
any message.

The city's accounts are made by the project's own backends (both_labs.site_city); the runs move the
clock of ansible-playbook and its modules (tests/clock) to a fixed evening, nothing depends on the
machine's date. The other runs' notices files are written by the test (their own runs are tested
elsewhere): only the mailing is under test here.
"""

from __future__ import annotations

import datetime
import email
import email.policy
import time
from pathlib import Path
from typing import Any

import both_labs
import pytest
from ansible_collections.danang.mail.plugins.module_utils import notices
from ansible_collections.danang.mail.plugins.module_utils.model import CITY_TIMEZONE
from ansible_collections.danang.mail.plugins.module_utils.request_records import (
    Item,
    RequestRecord,
    record_text,
)
from both_labs import SiteCity
from exchangelib import IMPERSONATION, Account, Configuration, Credentials, Version
from exchangelib.version import EXCHANGE_2016
from lab_city import password_for
from obm_city import cyrus_admin

city, site_city = both_labs.city, both_labs.site_city  # the fixtures
pytestmark = pytest.mark.integration
SCOPE = ("stttt",)
NOW = datetime.datetime(2026, 12, 8, 17, 0, tzinfo=CITY_TIMEZONE)  # a Tuesday evening in Da Nang
TASK = "Send the notifications not sent yet"
HOLDERS = ("CB-2017-000101", "CB-2017-000102", "CB-2017-000103", "CB-2017-000104")


def write_record(site: SiteCity, n: int) -> str:
    """A request record closed today, sent by the agency's own mailbox: the result goes there."""
    record = RequestRecord(
        f"2026-12-07-stttt-{n}",
        "01",
        "stttt",
        datetime.date(2026, 12, 7),
        datetime.date(2026, 12, 8),
        {"name": "Trần Thị Bình", "email": f"stttt@{site.domain}"},
        (Item("new", id="CB-2017-000101"),),
        NOW.date(),
    )
    requests = site.city.desired / "requests"
    requests.mkdir(exist_ok=True)
    (requests / record.file_name).write_text(record_text(record), encoding="utf-8")
    return f"request-result:{record.id}"


def write_warning(site: SiteCity, address: str) -> str:
    key = f"password-warn:{address}:2026-12-01"
    site.reports_dir.mkdir(exist_ok=True)
    line = (
        f'- {{key: "{key}", kind: "password_warn", address: "{address}", due: "2026-12-01", '
        f'recorded_on: "{NOW.date().isoformat()}"}}\n'
    )
    with (site.reports_dir / "password-notices.yml").open("a", encoding="utf-8") as handle:
        handle.write(line)
    return key


def notify(site: SiteCity, order: list[str], *flags: str) -> dict[str, Any]:
    extra = {
        "danang_mail_notify_systems": order,
        "danang_mail_notify_department": f"stttt@{site.domain}",
    }
    return site.task_at("notify.yml", TASK, NOW, extra, *flags)


def statuses(result: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {row["key"]: (row["status"], row["via"]) for row in result["notifications"]}


def cut_to_sending(site: SiteCity, *keys: str) -> None:
    """The journal as a kill between the send and its record leaves it: the ``sent`` lines of ``keys``
    gone."""
    journal = site.city.desired / "notifications" / f"{NOW:%Y-%m}.yml"
    rows = journal.read_text(encoding="utf-8").splitlines()
    kept = [row for row in rows if not ('state: "sent"' in row and any(f'"{key}"' in row for key in keys))]
    journal.write_text("\n".join(kept) + "\n", encoding="utf-8")


def obm_messages(site: SiteCity, address: str, message_id: str) -> list[email.message.EmailMessage]:
    """The messages with ``message_id`` in ``address``'s OBM mailbox (any folder), read as Cyrus's admin."""
    imap = cyrus_admin(site.obm)
    found = []
    try:
        for pattern in (f"user/{address.split('@')[0]}*@{site.domain}", address):
            _typ, listing = imap.list('""', f'"{pattern}"')
            for line in listing or []:
                if not line:
                    continue
                name = line.decode().rsplit(" ", 1)[-1].strip('"')
                imap.setacl(f'"{name}"', site.obm.imap_admin, "lrs")
                imap.select(f'"{name}"', readonly=True)
                _typ, hits = imap.search(None, "HEADER", "Message-ID", message_id)
                for number in hits[0].split():
                    _typ, data = imap.fetch(number, "(RFC822)")
                    found.append(email.message_from_bytes(data[0][1], policy=email.policy.default))
    finally:
        imap.logout()
    return found


def arrived(read, expected: int = 1) -> list[Any]:
    """Poll ``read()`` until it gives ``expected`` messages (delivery after SMTP is asynchronous)."""
    deadline = time.monotonic() + 60
    while True:
        found = read()
        if len(found) >= expected or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def exchange_messages(site: SiteCity, address: str, message_id: str) -> list[Any]:
    lab = site.city.lab
    config = Configuration(
        service_endpoint=f"{lab.base_url}/EWS/Exchange.asmx",
        credentials=Credentials(lab.admin_upn, lab.admin_password),
        version=Version(build=EXCHANGE_2016),
    )
    account = Account(address, config=config, autodiscover=False, access_type=IMPERSONATION)
    return list(account.inbox.filter(message_id=message_id))


def no_password_in(texts: list[str]) -> None:
    for holder in HOLDERS:
        assert all(password_for(holder) not in text for text in texts), holder


def test_results_and_warnings_reach_their_mailboxes_once_on_both_systems(site_city: SiteCity) -> None:
    site = site_city
    _plan, results, _ = site.city.reconcile(scope=SCOPE)
    assert all(r.ok for r in results)
    site.make_obm_accounts(SCOPE)
    agency, dung, hat = (f"stttt@{site.domain}", site.city.address(HOLDERS[0]), site.city.address(HOLDERS[1]))
    journal = site.city.desired / "notifications" / f"{NOW:%Y-%m}.yml"

    # OBM first: the agency mailbox and the holder on both systems get theirs by OBM.
    result_key, warn_key = write_record(site, 1), write_warning(site, dung)
    result_id, warn_id = (notices.message_id(k, site.domain) for k in (result_key, warn_key))
    planned = notify(site, ["obm", "exchange"], "--check")
    assert statuses(planned) == {result_key: ("would_send", "obm"), warn_key: ("would_send", "obm")}
    assert not journal.exists() and obm_messages(site, agency, result_id) == []

    sent = notify(site, ["obm", "exchange"])
    assert statuses(sent) == {result_key: ("sent", "obm"), warn_key: ("sent", "obm")}
    [message] = arrived(lambda: obm_messages(site, agency, result_id))
    assert message["Subject"] == "Kết quả xử lý yêu cầu 2026-12-07-stttt-1 về hộp thư điện tử công vụ"
    assert (
        message["Auto-Submitted"] == "auto-generated" and message["From"].addresses[0].domain == site.domain
    )
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert f"Nguyễn Văn Dũng - {dung} - đã thực hiện" in text and 'lang="vi"' in html
    [warning] = arrived(lambda: obm_messages(site, dung, warn_id))
    assert "Nhắc đổi mật khẩu" in warning["Subject"]
    no_password_in([message.as_string(), warning.as_string(), text, html])

    cut_to_sending(site, result_key, warn_key)
    again = notify(site, ["obm", "exchange"])
    assert statuses(again) == {result_key: ("found", "obm"), warn_key: ("found", "obm")}
    time.sleep(3)  # a second copy would be delivered by now
    assert len(obm_messages(site, agency, result_id)) == 1 and len(obm_messages(site, dung, warn_id)) == 1
    assert statuses(notify(site, ["obm", "exchange"])) == {
        result_key: ("already_sent", "obm"),
        warn_key: ("already_sent", "obm"),
    }

    # Exchange first: a new result to the agency mailbox and a warning to another holder, by EWS.
    result_key, warn_key = write_record(site, 2), write_warning(site, hat)
    result_id, warn_id = (notices.message_id(k, site.domain) for k in (result_key, warn_key))
    sent = notify(site, ["exchange", "obm"])
    assert statuses(sent)[result_key] == ("sent", "exchange") and statuses(sent)[warn_key] == (
        "sent",
        "exchange",
    )
    [item] = arrived(lambda: exchange_messages(site, agency, result_id))
    assert item.subject == "Kết quả xử lý yêu cầu 2026-12-07-stttt-2 về hộp thư điện tử công vụ"
    assert len(arrived(lambda: exchange_messages(site, hat, warn_id))) == 1
    no_password_in([str(item.body), str(item.subject)])

    cut_to_sending(site, result_key, warn_key)
    again = notify(site, ["exchange", "obm"])
    assert statuses(again)[result_key] == ("found", "exchange") and statuses(again)[warn_key] == (
        "found",
        "exchange",
    )
    assert (
        len(exchange_messages(site, agency, result_id)) == 1
        and len(exchange_messages(site, hat, warn_id)) == 1
    )
    assert obm_messages(site, agency, result_id) == []  # sent by one system only
    assert Path(journal).stat().st_mode & 0o777 == 0o600
