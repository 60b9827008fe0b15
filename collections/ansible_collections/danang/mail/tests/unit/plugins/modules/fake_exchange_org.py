# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An in-memory Exchange organisation for the exchange_org module's unit tests: the remote
PowerShell client (``query``, ``run``) and the AD client (``entry``, ``dns``, ``write``) with the
few cmdlets the organisation settings use. conftest.py opens them in place of the real clients."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Optional

from ansible_collections.danang.mail.plugins.module_utils.backends.exchange.invocation import (
    FAILED,
    OK,
    Invocation,
    Outcome,
)


class FakeOrganisation:
    """Both clients at once; ``refuse`` holds cmdlets the server refuses; ``ran`` records cmdlets."""

    def __init__(self) -> None:
        self.transport: dict[str, Any] = {
            "MaxSendSize": "10 MB (10,485,760 bytes)",
            "MaxReceiveSize": "10 MB",
        }
        self.remote_domains: list[dict[str, Any]] = [{"Name": "Default", "AutoForwardEnabled": True}]
        self.accepted_domains: list[dict[str, Any]] = [
            {"DomainName": "danang.gov.vn", "DomainType": "Authoritative"}
        ]
        self.rules: list[dict[str, Any]] = []
        # The filters of a server as installed (lab/exchange_lab/cmdlets/filters.py says where from).
        self.filters: dict[str, dict[str, Any]] = {
            "Set-MalwareFilterPolicy": {
                "Name": "Default",
                "Action": "DeleteMessage",
                **dict.fromkeys(("BypassInboundMessages", "BypassOutboundMessages"), False),
                **dict.fromkeys(
                    ("EnableInternalSenderAdminNotifications", "EnableExternalSenderAdminNotifications"),
                    False,
                ),
            },
            "Set-MalwareFilteringServer": {"Name": "EX01", "BypassFiltering": True},
            "Set-ContentFilterConfig": {"Enabled": True, "SCLRejectEnabled": True, "SCLRejectThreshold": 7},
            "Set-SenderFilterConfig": {"Enabled": True, "BlankSenderBlockingEnabled": False},
        }
        self.refuse: set[str] = set()
        self.ran: list[str] = []
        self.closed = 0

    # --- remote PowerShell ----------------------------------------------------------------------
    def query(self, invocation: Invocation) -> list[dict[str, Any]]:
        found = {
            "Get-TransportConfig": [dict(self.transport)],
            "Get-RemoteDomain": self.remote_domains,
            "Get-AcceptedDomain": self.accepted_domains,
            "Get-TransportRule": self.rules,
            "Get-Mailbox": [],
            **{f"Get{name[3:]}": [self.filters[name]] for name in self.filters},
        }
        return [dict(record) for record in found[invocation.cmdlet]]

    def run(self, invocations: Sequence[Invocation], batch_size: int = 1) -> list[Outcome]:
        return [self._run(invocation) for invocation in invocations]

    def _run(self, invocation: Invocation) -> Outcome:
        self.ran.append(invocation.cmdlet)
        if invocation.cmdlet in self.refuse:
            return Outcome(invocation, FAILED, "refused by the fake organisation")
        params = invocation.params
        if invocation.cmdlet == "Set-TransportConfig":
            self.transport.update({k: v.replace("MB", " MB") for k, v in params.items()})
        elif invocation.cmdlet == "Set-RemoteDomain":
            self._named(self.remote_domains, params["Identity"])["AutoForwardEnabled"] = params[
                "AutoForwardEnabled"
            ]
        elif invocation.cmdlet == "New-AcceptedDomain":
            self.accepted_domains.append(
                {"DomainName": params["DomainName"], "DomainType": params["DomainType"]}
            )
        elif invocation.cmdlet == "New-TransportRule":
            enabled = params.pop("Enabled", True)
            self.rules.append({**params, "State": "Enabled" if enabled else "Disabled"})
        elif invocation.cmdlet == "Set-TransportRule":
            self._named(self.rules, params.pop("Identity")).update(params)
        elif invocation.cmdlet == "Enable-TransportRule":
            self._named(self.rules, params["Identity"])["State"] = "Enabled"
        elif invocation.cmdlet in self.filters:
            params.pop("Identity", None)
            self.filters[invocation.cmdlet].update(params)
        else:
            return Outcome(invocation, FAILED, f"the fake organisation has no {invocation.cmdlet}")
        return Outcome(invocation, OK)

    @staticmethod
    def _named(records: list[dict[str, Any]], name: Any) -> dict[str, Any]:
        return next(record for record in records if record["Name"] == name)

    # --- AD (the password policy, not managed by these tests) -----------------------------------
    def entry(self, dn: str, attributes: Sequence[str]) -> Optional[dict[str, Any]]:
        return None

    def dns(self, base: str, search_filter: str) -> list[str]:
        return []

    def write(self, operation: str, dn: str, values: Mapping[str, Any]) -> Optional[str]:
        return f"the fake organisation has no AD write ({operation} {dn})"

    def close(self) -> None:
        self.closed += 1
