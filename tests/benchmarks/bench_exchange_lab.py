# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Exchange lab benchmark alone: start time and N mailboxes through pypsrp (default 20,000).

Run as root with the lab set up once (lab/lab_up.yml --tags exchange), under the lab's lock:
    flock /tmp/danang-exlab.lock .venv/bin/python tests/benchmarks/bench_exchange_lab.py [--mailboxes N]
It restarts the lab to time a start, creates the mailboxes in pipelines of --batch statements
(as a backend would), then times Get-Mailbox -ResultSize Unlimited, Get-MailboxStatistics -Database
and a lab restart with that many entries. It leaves the mailboxes behind (remove .lab/exchange to
start over).
"""

from __future__ import annotations

import argparse
import subprocess
import time
import uuid
from pathlib import Path

from pypsrp.complex_objects import ObjectMeta
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

REPO = Path(__file__).resolve().parents[2]
LAB = REPO / ".lab" / "exchange"


def timed(label: str, func):
    start = time.monotonic()
    result = func()
    print(f"{label}: {time.monotonic() - start:.2f} s", flush=True)
    return result


def control(action: str) -> None:
    subprocess.run([str(LAB / "bin" / "exchange-lab"), action], check=True, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mailboxes", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    timed("lab stop", lambda: control("stop"))
    timed("lab start (slapd + server, ready to serve)", lambda: control("start"))
    password = (LAB / "secrets" / "administrator").read_text(encoding="utf-8").split()[0]
    wsman = WSMan(
        "127.0.0.1",
        port=15985,
        path="PowerShell",
        ssl=False,
        auth="basic",
        encryption="never",
        username="administrator@danang.gov.vn",
        password=password,
        operation_timeout=600,
        read_timeout=660,
    )
    run_id = uuid.uuid4().hex[:6]
    with RunspacePool(wsman, configuration_name="Microsoft.Exchange") as pool:
        timed("key exchange", pool.exchange_keys)
        secret = pool.serialize("Khoi-tao#2026abc", ObjectMeta("SS"))

        def create() -> None:
            for start in range(0, args.mailboxes, args.batch):
                ps = PowerShell(pool)
                for n in range(start, min(start + args.batch, args.mailboxes)):
                    alias = f"b{run_id}{n:06d}"
                    ps.add_cmdlet("New-Mailbox").add_parameter("Name", f"Bench {alias}").add_parameter(
                        "Alias", alias
                    ).add_parameter("UserPrincipalName", f"{alias}@danang.gov.vn").add_parameter(
                        "Password", secret
                    ).add_parameter("OrganizationalUnit", "OU=DanangMail,DC=danang,DC=gov,DC=vn")
                    ps.add_statement()
                ps.invoke()
                if ps.streams.error:
                    raise SystemExit(f"New-Mailbox failed: {ps.streams.error[0]}")

        timed(f"New-Mailbox x {args.mailboxes} (pipelines of {args.batch})", create)
        for label, cmdlet, params in (
            ("Get-Mailbox -ResultSize Unlimited", "Get-Mailbox", {"ResultSize": "Unlimited"}),
            ("Get-MailboxStatistics -Database DB01", "Get-MailboxStatistics", {"Database": "DB01"}),
        ):
            ps = PowerShell(pool).add_cmdlet(cmdlet).add_parameters(params)
            output = timed(label, ps.invoke)
            print(f"  {len(output)} objects", flush=True)
    timed("lab stop with those entries", lambda: control("stop"))
    timed("lab start with those entries", lambda: control("start"))


if __name__ == "__main__":
    main()
