#!/usr/bin/env python3
# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""N concurrent sign-ins to the self-service password page (role password_portal) at a base URL.

Each client opens the sign-in page (its CSRF token and session cookie), posts the address and the
password, and must land on the change form; then it signs out (not timed), so no session is left.
Prints the latency of the sign-ins (open + post: p50, p95, max), the throughput and the errors by
kind; exits 1 on any error. Nothing is asserted about the times: they are figures to read.

    .venv/bin/python tests/benchmarks/portal_load.py https://127.0.0.1:18443 \\
        --ca-file .lab/portal/tls/ca.crt --address dungnv@danang.gov.vn   # password from stdin

The password is read from the environment variable PORTAL_LOAD_PASSWORD or from stdin, never from
the command line (it would show in the process list). A sign-in binds to each directory that holds
the person: the figures include OBM's and AD's answers. Failed sign-ins are limited by the page
(web.address_failures): a wrong password stops the run after a few clients with 429 errors.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import http.cookiejar
import os
import re
import ssl
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
TIMEOUT = 120


def opener(ca_file: str | None) -> urllib.request.OpenerDirector:
    context = ssl.create_default_context(cafile=ca_file)
    return urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=context),
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
    )


def token_of(client: urllib.request.OpenerDirector, url: str) -> tuple[str, str]:
    """The CSRF token of the page at ``url`` and the path the client ended on."""
    with client.open(url, timeout=TIMEOUT) as answer:
        found = TOKEN.search(answer.read().decode("utf-8"))
        path = urllib.parse.urlsplit(answer.geturl()).path
    if not found:
        raise RuntimeError(f"no CSRF token on {path}")
    return found.group(1), path


def post(client: urllib.request.OpenerDirector, url: str, fields: dict[str, str]) -> str:
    """POST ``fields``; the path the client ended on (redirects followed)."""
    body = urllib.parse.urlencode(fields).encode()
    with client.open(urllib.request.Request(url, data=body, method="POST"), timeout=TIMEOUT) as answer:
        answer.read()
        return urllib.parse.urlsplit(answer.geturl()).path


def one_sign_in(
    base: str, ca_file: str | None, address: str, password: str, start: threading.Barrier
) -> float:
    """Seconds the sign-in took; raises on any failure."""
    client = opener(ca_file)
    start.wait()
    began = time.perf_counter()
    token, _path = token_of(client, f"{base}/")
    landed = post(client, f"{base}/sign-in", {"address": address, "password": password, "csrf_token": token})
    took = time.perf_counter() - began
    if landed != "/change":
        raise RuntimeError(f"the sign-in ended on {landed}, not /change (the page's generic error)")
    token, _path = token_of(client, f"{base}/change")
    post(client, f"{base}/sign-out", {"csrf_token": token})
    return took


def error_kind(error: BaseException) -> str:
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code}"
    if isinstance(error, urllib.error.URLError):
        return f"connection: {type(error.reason).__name__}"
    return f"{type(error).__name__}: {error}"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="the page's base URL, e.g. https://127.0.0.1:18443")
    parser.add_argument("--address", required=True, help="the mail address that signs in")
    parser.add_argument("--clients", type=int, default=50, help="concurrent sign-ins (default 50)")
    parser.add_argument("--ca-file", help="the CA that signed the page's certificate (default: the system's)")
    args = parser.parse_args(argv)
    if args.clients < 1:
        parser.error("--clients must be at least 1")
    password = os.environ.get("PORTAL_LOAD_PASSWORD") or sys.stdin.readline().rstrip("\n")
    if not password:
        parser.error("give the password in PORTAL_LOAD_PASSWORD or on stdin")
    base = args.url.rstrip("/")

    start = threading.Barrier(args.clients)
    latencies: list[float] = []
    errors: collections.Counter[str] = collections.Counter()
    began = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.clients) as pool:
        futures = [
            pool.submit(one_sign_in, base, args.ca_file, args.address, password, start)
            for _ in range(args.clients)
        ]
        for future in concurrent.futures.as_completed(futures):
            try:
                latencies.append(future.result())
            except Exception as error:  # counted and printed: the run goes on
                errors[error_kind(error)] += 1
    wall = time.perf_counter() - began

    print(f"{args.clients} concurrent sign-ins to {base}: {len(latencies)} ok, {sum(errors.values())} failed")
    if latencies:
        print(
            f"latency (open + sign-in): p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
            f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms, "
            f"mean {statistics.fmean(latencies) * 1000:.0f} ms"
        )
    print(f"throughput: {len(latencies) / wall:.1f} sign-ins/s over {wall:.2f} s (sign-outs included)")
    for kind, count in errors.most_common():
        print(f"error: {count} x {kind}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
