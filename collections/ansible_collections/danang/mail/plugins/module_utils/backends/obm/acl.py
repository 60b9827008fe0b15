# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who may open an OBM share: its Cyrus ACL as the plan compares it (``access``), and the commands
that make the ACL what the desired state says (R-71, R-46, R-51). Pure: no I/O.

The owner and the delegate get every right (``lrswipkxtecdan``: read, write, delete, administer);
``anyone`` keeps only ``p`` (post: delivery to ``+share@`` needs it); the IMAP administrator's own
rights are the backend's business (it gives itself ``x`` to delete a mailbox) and are not compared.
Any other identifier, or a right other than these, was given by hand: it shows in ``access``
(``name (rights)`` when not every right) so the plan reports it, and apply takes it away.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ansible_collections.danang.mail.plugins.module_utils.backends.obm.cyrus import Command, quote

FULL_RIGHTS = "lrswipkxtecdan"  # RFC 4314 rights as Cyrus 3 lists them
ANYONE, POST = "anyone", "p"
_GONE = ("no such", "does not exist", "nonexistent")


def observed_access(acl: Mapping[str, str], imap_admin: str) -> tuple[str, ...]:
    """The identifiers holding rights on a share, as the plan compares them with ``Account.access``:
    ``address`` for every right, ``identifier (rights)`` for anything less or for ``anyone`` with
    more than ``p``; sorted."""
    found: list[str] = []
    for identifier, rights in acl.items():
        if identifier.lower() == imap_admin.lower():
            continue
        if identifier == ANYONE:
            if rights != POST:
                found.append(f"{ANYONE} ({rights})")
        elif set(rights) == set(FULL_RIGHTS):
            found.append(identifier)
        else:
            found.append(f"{identifier} ({rights})")
    return tuple(sorted(found))


def _identifier(shown: str) -> str:
    return shown.split(" (", 1)[0]


def access_commands(mailbox: str, before: Iterable[str], after: Iterable[str]) -> list[Command]:
    """From the ``access`` read (``before``) to the desired one (``after``): first DELETEACL of every
    identifier not wanted as it is, then SETACL of every right wanted, so that a hand-given entry that
    Cyrus stores under the same name (``username_tolower``) ends with the wanted rights."""
    had, wanted = tuple(before), tuple(after)
    commands = []
    for shown in had:
        identifier = _identifier(shown)
        if shown in wanted:
            continue
        if identifier == ANYONE:
            commands.append(Command(f"SETACL {quote(mailbox)} {ANYONE} {POST}"))
        else:
            commands.append(Command(f"DELETEACL {quote(mailbox)} {quote(identifier)}", _GONE))
    commands += [
        Command(f"SETACL {quote(mailbox)} {quote(a)} {FULL_RIGHTS}") for a in wanted if a not in before
    ]
    return commands
