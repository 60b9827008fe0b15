# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's own mail on Exchange (R-22, R-23, R-44, R-47, R-50): ``contract.Notifications``
over EWS with ``exchangelib``.

The service account (``exchange_username``, which holds ApplicationImpersonation) impersonates the
From mailbox and sends each composed message as it is: its MIME as ``MimeContent`` in a CreateItem
with ``MessageDisposition="SendAndSaveCopy"``, so the From mailbox keeps it in its Sent Items and
Exchange keeps the message's Message-ID as its InternetMessageId. Messages of one sender go
``exchange_batch_size`` to a CreateItem; each gets its own answer, so a refused one (a recipient
Exchange cannot resolve: ErrorInvalidRecipients) does not stop the next. A message without exactly
one To, a From or a Message-ID is refused before anything is sent (``outgoing.envelope``).

``delivered``: impersonating the recipient, one FindItem over Inbox, Junk Email and Deleted Items
restricted to ``message:InternetMessageId`` equal to the Message-ID (the folders a delivered
message can be in without the holder filing it away). A recipient without a mailbox on Exchange
holds nothing.

The endpoint is ``exchange_ews_url`` (default: EWS on ``exchange_server`` over the same scheme and
port as remote PowerShell). Authentication follows ``exchange_auth``: NTLM, Basic (refused over
plain HTTP to a host that is not a loopback address: the password would travel in clear), or
Kerberos/Negotiate through GSSAPI (``requests-gssapi``). Certificates are checked as for PowerShell
(``exchange_validate_certs``, ``exchange_ca_file``).
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Sequence
from email.message import EmailMessage
from types import SimpleNamespace
from typing import Any, Optional
from urllib.parse import urlsplit

from ansible_collections.danang.mail.plugins.module_utils.backends.contract import BackendError, Result
from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.transport import (
    ExchangeConnection,
)
from ansible_collections.danang.mail.plugins.module_utils.backends.outgoing import SEND, envelope, wire
from ansible_collections.danang.mail.plugins.module_utils.backends.transport_security import (
    clear_text_allowed,
)

# exchange_auth -> exchangelib's auth_type (exchangelib.transport BASIC, NTLM, GSSAPI).
_AUTH_TYPES = {"basic": "basic", "ntlm": "NTLM", "kerberos": "gssapi", "negotiate": "gssapi"}


@functools.cache
def _ews() -> Any:
    """exchangelib and what this module builds on it, imported when a notification is first sent or
    looked for: its import costs every other run of an Exchange module 0.4 s for nothing."""
    try:
        import requests.adapters
        from exchangelib import (
            IMPERSONATION,
            Account,
            Configuration,
            Credentials,
            FolderCollection,
            Message,
            Version,
        )
        from exchangelib.errors import ErrorNonExistentMailbox, ErrorTimeoutExpired, ResponseMessageError
        from exchangelib.items import SEND_AND_SAVE_COPY, SEND_TO_NONE
        from exchangelib.protocol import BaseProtocol
        from exchangelib.services import CreateItem
        from exchangelib.version import EXCHANGE_2016
    except ImportError:
        raise BackendError(f"EWS needs the Python library exchangelib:\n{traceback.format_exc()}") from None

    class CreateEach(CreateItem):
        """CreateItem with each item's error in its place. exchangelib's own raises the first
        error, although Exchange has answered (and sent) every other item of the request."""

        ERRORS_TO_CATCH_IN_RESPONSE = (*CreateItem.ERRORS_TO_CATCH_IN_RESPONSE, ResponseMessageError)

    return SimpleNamespace(
        HTTPAdapter=requests.adapters.HTTPAdapter,
        IMPERSONATION=IMPERSONATION,
        Account=Account,
        Configuration=Configuration,
        Credentials=Credentials,
        FolderCollection=FolderCollection,
        Message=Message,
        Version=Version,
        ErrorNonExistentMailbox=ErrorNonExistentMailbox,
        ErrorTimeoutExpired=ErrorTimeoutExpired,
        SEND_AND_SAVE_COPY=SEND_AND_SAVE_COPY,
        SEND_TO_NONE=SEND_TO_NONE,
        BaseProtocol=BaseProtocol,
        CreateEach=CreateEach,
        EXCHANGE_2016=EXCHANGE_2016,
    )


EWS_PATH = "EWS/Exchange.asmx"


def ews_url(connection: ExchangeConnection, given: Optional[str] = None) -> str:
    """The EWS endpoint: ``given``, else the PowerShell server's, same scheme and port."""
    if given:
        return given
    scheme = "https" if connection.ssl else "http"
    port = f":{connection.port}" if connection.port else ""
    return f"{scheme}://{connection.server}{port}/{EWS_PATH}"


def ews_refusal(connection: ExchangeConnection, url: str) -> Optional[str]:
    """Why EWS at ``url`` cannot be used with ``connection``'s settings, or None."""
    parsed = urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return f"exchange_ews_url {url!r} is not an http(s) URL"
    if connection.auth not in _AUTH_TYPES:
        return f"EWS does not take exchange_auth={connection.auth}: use kerberos, negotiate, ntlm or basic"
    if connection.auth == "basic" and parsed.scheme == "http" and not clear_text_allowed(parsed.hostname):
        return "Basic authentication over plain HTTP sends the password in clear to a host that is not local"
    return None


class ExchangeMailOut:
    def __init__(self, connection: ExchangeConnection, url: Optional[str] = None) -> None:
        self.connection = connection
        self.url = ews_url(connection, url)
        self._config: Any = None
        self._accounts: dict[str, Any] = {}

    def _configuration(self) -> Any:
        if self._config is None:
            refusal = ews_refusal(self.connection, self.url)
            if refusal:
                raise BackendError(f"Exchange EWS {self.url}: refused: {refusal}")
            ews = _ews()
            if self.connection.ca_file or not self.connection.validate_certs:
                # exchangelib takes its HTTP adapter from this class attribute, for the whole process.
                ews.BaseProtocol.HTTP_ADAPTER_CLS = _adapter(ews.HTTPAdapter, self.connection)
            c = self.connection
            self._config = ews.Configuration(
                service_endpoint=self.url,
                credentials=ews.Credentials(c.username or "", c.password or "") if c.username else None,
                auth_type=_AUTH_TYPES[c.auth],
                version=ews.Version(build=ews.EXCHANGE_2016),
                max_connections=2,
            )
        return self._config

    def _account(self, address: str) -> Any:
        key = address.lower()
        if key not in self._accounts:
            config = self._configuration()
            ews = _ews()
            self._accounts[key] = ews.Account(
                address, config=config, autodiscover=False, access_type=ews.IMPERSONATION
            )
        return self._accounts[key]

    def send_messages(self, messages: Sequence[EmailMessage], batch_size: int = 50) -> list[Result]:
        results: list[Optional[Result]] = [None] * len(messages)
        by_sender: dict[str, list[tuple[int, str, bytes]]] = {}
        for index, message in enumerate(messages):
            sender, recipient, problem = envelope(message)
            if problem is not None:
                results[index] = Result(recipient, SEND, False, problem)
            else:
                by_sender.setdefault(sender.lower(), []).append((index, recipient, wire(message)))
        for sender, queued in by_sender.items():
            for start in range(0, len(queued), max(1, batch_size)):
                chunk = queued[start : start + batch_size]
                outcomes, in_doubt = self._send(sender, chunk)
                for (index, recipient, _raw), outcome in zip(chunk, outcomes, strict=True):
                    results[index] = Result(recipient, SEND, outcome is None, outcome, pending=in_doubt)
        return [r for r in results if r is not None]

    def _send(self, sender: str, chunk: list[tuple[int, str, bytes]]) -> tuple[list[Optional[str]], bool]:
        """One CreateItem for ``chunk``: None per message sent, else why it was not; and whether the
        call broke on the network (a timeout, a reset), when Exchange may have sent them all."""
        try:
            account = self._account(sender)
            ews = _ews()
            items = [ews.Message(account=account, mime_content=raw) for _i, _r, raw in chunk]
            answers = list(
                ews.CreateEach(account=account, chunk_size=len(items)).call(
                    items=items,
                    folder=account.sent,
                    message_disposition=ews.SEND_AND_SAVE_COPY,
                    send_meeting_invitations=ews.SEND_TO_NONE,
                )
            )
        except BackendError as exc:
            return [f"not sent: {exc}"] * len(chunk), False
        except Exception as exc:  # exchangelib raises its own, requests' and socket errors alike
            # A broken connection (exchangelib re-raises it as ErrorTimeoutExpired) may come after
            # Exchange carried the request out: sent or not, delivered() must say.
            if isinstance(exc, (OSError, _ews().ErrorTimeoutExpired)):
                problem = (
                    f"Exchange EWS {self.url} as {sender}: connection lost (sent or not): {_describe(exc)}"
                )
                return [problem] * len(chunk), True
            return [f"not sent: Exchange EWS {self.url} as {sender}: {_describe(exc)}"] * len(chunk), False
        outcomes = [_describe(a) if isinstance(a, Exception) else None for a in answers]
        return [f"Exchange refused the message: {o}" if o else None for o in outcomes], False

    def delivered(self, recipient: str, message_id: str) -> bool:
        try:
            account = self._account(recipient)
            folders = [account.inbox, account.junk, account.trash]
            return (
                _ews()
                .FolderCollection(account=account, folders=folders)
                .filter(message_id=message_id)
                .exists()
            )
        except BackendError:
            raise
        except Exception as exc:  # exchangelib raises its own, requests' and socket errors alike
            if isinstance(exc, _ews().ErrorNonExistentMailbox):
                return False  # a recipient without a mailbox here holds nothing here
            raise BackendError(
                f"Exchange EWS {self.url}: cannot tell whether {recipient} holds {message_id}: "
                f"{_describe(exc)}"
            ) from None

    def close(self) -> None:
        """Close the HTTP sessions (one protocol, shared by every impersonated account)."""
        if self._accounts:
            next(iter(self._accounts.values())).protocol.close()
        self._accounts.clear()


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _adapter(base: type, connection: ExchangeConnection) -> type:
    """An HTTP adapter that checks certificates against ``exchange_ca_file``, or not at all."""
    verify: Any = connection.ca_file if connection.validate_certs else False

    class Adapter(base):  # type: ignore[valid-type,misc]
        def cert_verify(self, conn: Any, url: str, _verify: Any, cert: Any) -> None:
            super().cert_verify(conn=conn, url=url, verify=verify, cert=cert)

    return Adapter
