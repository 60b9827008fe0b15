#!/usr/bin/env python3
# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Try one IMAP login for verify.yml; the password comes on stdin, never on the command line.

stdin: JSON ``{"host": ..., "port": ..., "user": ..., "password": ...}``.
stdout: ``OK`` when the server accepted the login, ``NO`` when it refused it. Exit 0 either way;
exit 2 when the server cannot be reached or does not speak IMAP (the check is then meaningless).
"""

from __future__ import annotations

import contextlib
import imaplib
import json
import sys


def main() -> int:
    args = json.load(sys.stdin)
    try:
        imap = imaplib.IMAP4(args["host"], int(args["port"]), timeout=30)
    except OSError as exc:
        print(f"cannot connect to {args['host']}:{args['port']}: {exc}", file=sys.stderr)
        return 2
    try:
        imap.login(args["user"], args["password"])
    except imaplib.IMAP4.error:
        print("NO")
        return 0
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            imap.logout()
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
