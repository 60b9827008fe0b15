# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the lab server: ``python -m exchange_lab --lab-dir=.lab/exchange`` (lab/ on PYTHONPATH).

The Administrator password is read from <lab-dir>/secrets/administrator; the pid file is written
once the ports listen (the control script waits for it). With ``--keytab`` the server also accepts
Negotiate/Kerberos tickets of the lab KDC for the host/ and HTTP/ principals in it; with ``--listen-tls`` it
serves the same endpoints over HTTPS too (Exchange's 443, WinRM's 5986).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import ssl
import sys
import threading
import time
from http.server import ThreadingHTTPServer
from pathlib import Path

from ldap3.core.exceptions import LDAPException

from exchange_lab.ad_ranges import RangeProxy
from exchange_lab.clock import LabClock, zone_from_offset
from exchange_lab.directory import Directory
from exchange_lab.server import Lab, make_server
from exchange_lab.store import MailboxStore


def _directory(args: argparse.Namespace, password: str, clock: LabClock) -> Directory:
    deadline = time.monotonic() + 30
    while True:
        try:
            return Directory(args.ldap_uri, args.base_dn, args.domain, password, clock)
        except LDAPException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _server(listen: str, lab: Lab, kerberos: bool, tls: ssl.SSLContext | None) -> ThreadingHTTPServer:
    host, _, port = listen.rpartition(":")
    return make_server((host, int(port)), lab, kerberos, tls)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="exchange_lab", description=__doc__)
    parser.add_argument("--lab-dir", type=Path, required=True)
    parser.add_argument("--listen", default="127.0.0.1:15985")
    # slapd's own socket; AD's TCP port is the lab's (ad_ranges.py: ranged retrieval in front of slapd)
    parser.add_argument("--ldap-uri", required=True, help="slapd's ldapi:// URI")
    parser.add_argument("--ldap-listen", default="127.0.0.1:3390")
    parser.add_argument("--base-dn", default="DC=danang,DC=gov,DC=vn")
    parser.add_argument("--domain", default="danang.gov.vn")
    parser.add_argument(
        "--utc-offset",
        type=zone_from_offset,
        default="+07:00",
        help="the Exchange server's local zone, in which it sends DateTime values (default: the city's)",
    )
    parser.add_argument("--pid-file", type=Path)
    parser.add_argument("--keytab", type=Path, help="host/ and HTTP/ keys: Negotiate/Kerberos accepted")
    parser.add_argument("--listen-tls", help="host:port of the HTTPS listener (needs --tls-cert/--tls-key)")
    parser.add_argument("--tls-cert", type=Path)
    parser.add_argument("--tls-key", type=Path)
    parser.add_argument(
        "--share-dir",
        type=Path,
        help="directory of the UNC shares \\\\<server>\\<share> (mailbox exports); default state/shares",
    )
    parser.add_argument("--debug", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    started = time.monotonic()
    state_dir = args.lab_dir / "state"
    state_dir.mkdir(parents=True, exist_ok=True)
    password = (args.lab_dir / "secrets" / "administrator").read_text(encoding="utf-8").split()[0]
    clock = LabClock(state_dir / "clock.json", args.utc_offset)
    store = MailboxStore(state_dir / "store.sqlite3")
    directory = _directory(args, password, clock)
    directory.store = store
    lab = Lab(state_dir, directory, store, clock)
    lab.share_dir = args.share_dir or lab.share_dir
    (lab.share_dir / "exlab01" / "exports").mkdir(parents=True, exist_ok=True)  # \\EXLAB01\exports
    ldap_host, _, ldap_port = args.ldap_listen.rpartition(":")
    ldap_proxy = RangeProxy((ldap_host, int(ldap_port)), args.ldap_uri)
    ldap_proxy.start()
    if args.keytab:
        os.environ["KRB5_KTNAME"] = f"FILE:{args.keytab}"  # read by the GSSAPI acceptor
    servers = [_server(args.listen, lab, bool(args.keytab), None)]
    if args.listen_tls:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.tls_cert, args.tls_key)
        servers.append(_server(args.listen_tls, lab, bool(args.keytab), tls))
        threading.Thread(target=servers[1].serve_forever, daemon=True).start()
    server = servers[0]

    def stop(*_: object) -> None:
        for each in servers:
            threading.Thread(target=each.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.pid_file:
        args.pid_file.write_text(f"{os.getpid()}\n", encoding="utf-8")
    logging.getLogger("exchange_lab").info(
        "listening on %s (AD %s) after %.2fs", args.listen, args.ldap_listen, time.monotonic() - started
    )
    try:
        server.serve_forever()
    finally:
        for each in servers:
            each.server_close()
        ldap_proxy.shutdown()
        ldap_proxy.server_close()
        if args.pid_file:
            args.pid_file.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
