"""The lab's throttling budget and latency model (``throttling.py``), without a server."""

from __future__ import annotations

import pytest
from pypsrp.wsman import WSMan

from exchange_lab import wsman
from exchange_lab.throttling import (
    ERROR_WSMAN_QUOTA_MAX_SHELLS,
    ERROR_WSMAN_QUOTA_USER,
    Throttling,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_defaults_are_exchange_default_throttling_policy() -> None:
    """Exchange 2010-2019's default policy state is ``v~0~con~18~cmds~-1~per~-1``: 18 concurrent
    shells, cmdlets Unlimited (c7solutions.com/2010/01/restrictive-throttling-policies-in-aspx;
    cloudiffic.com, "This user is allowed a maximum of 18 concurrent shells ... Exchange 2010"). The
    refusal is WinRM's quota fault ERROR_WSMAN_QUOTA_MAX_SHELLS 0x803381A5 (wsmerror.h as copied in
    PowerShell/PowerShell src/Microsoft.PowerShell.Commands.Management/cimSupport/cmdletization/cim/
    cimChildJobBase.cs), subcode wsman:QuotaLimit ([MS-WSMV] 3.1.4.5.2.1)."""
    budget = Throttling(Clock())
    budget.admit_shell(17)
    with pytest.raises(wsman.WSManFault) as refused:
        budget.admit_shell(18)
    assert refused.value.code == ERROR_WSMAN_QUOTA_MAX_SHELLS and refused.value.subcode == "w:QuotaLimit"
    assert "maximum number of 18 concurrent shells" in refused.value.reason
    for _ in range(3):
        budget.admit_pipeline("administrator@danang.gov.vn", 100_000)  # PowerShellMaxCmdlets Unlimited


def test_cmdlet_budget_refuses_the_next_request_with_the_user_load_quota_fault() -> None:
    """PowerShellMaxCmdlets per PowerShellMaxCmdletsTimePeriod: the refusal is a WS-Management fault,
    "The WS-Management service cannot process the request. The user load quota of X requests per Y
    seconds has been exceeded. Send future requests at a slower rate or raise the quota for this
    user. The next request from this user will not be approved for at least Z milliseconds." with X
    = PowerShellMaxCmdlets, Y = PowerShellMaxCmdletsTimePeriod (c7solutions.com/2010/01/restrictive-
    throttling-policies-in-aspx; the parameters: learn.microsoft.com/powershell/module/exchange/
    set-throttlingpolicy). Its code is ERROR_WSMAN_QUOTA_USER 0x803381A7
    (wsmerror.h, in PowerShell's cimChildJobBase.cs, which counts it among the quota faults to retry).
    The budget is per user."""
    clock = Clock()
    budget = Throttling(clock)
    budget.configure({"max_cmdlets": 5, "cmdlets_period": 2})
    budget.admit_pipeline("admin", 3)
    clock.now += 0.5
    budget.admit_pipeline("admin", 2)
    clock.now += 0.5
    with pytest.raises(wsman.WSManFault) as refused:
        budget.admit_pipeline("ADMIN", 1)
    fault = refused.value
    assert fault.code == ERROR_WSMAN_QUOTA_USER == 2150859175 and fault.subcode == "w:QuotaLimit"
    assert fault.reason == (
        "The WS-Management service cannot process the request. The user load quota of 5 requests per 2 "
        "seconds has been exceeded. Send future requests at a slower rate or raise the quota for this "
        "user. The next request from this user will not be approved for at least 1001 milliseconds."
    )
    budget.admit_pipeline("other", 1)  # another user's budget
    clock.now += 1.0  # the first three cmdlets left the window: room, so a whole pipeline runs
    budget.admit_pipeline("admin", 10)
    with pytest.raises(wsman.WSManFault, match="at least 2001 milliseconds"):
        budget.admit_pipeline("admin", 1)

    # On the wire, as a client (pypsrp) reads the fault: the code and the text with its hint.
    parsed = WSMan._parse_wsman_fault(wsman.fault(None, fault, "EXLAB01").decode())
    assert parsed.code == 2150859175 and "at least 1001 milliseconds" in parsed.reason


def test_latency_model_is_off_by_default_and_settable() -> None:
    """Server time per cmdlet: about a second for New-Mailbox on Exchange (issue 12; the lab without
    the model spends ~37 ms). Off by default so that tests stay fast; on for the benchmark."""
    budget = Throttling(Clock())
    assert budget.server_time(["New-Mailbox", "Set-Mailbox"]) == 0.0
    budget.configure({"latency": True})
    assert budget.server_time(["New-Mailbox", "set-mailbox"]) == pytest.approx(1.3)
    budget.configure({"latency_seconds": {"New-Mailbox": 2, "*": 0.05}})
    assert budget.server_time(["New-Mailbox", "Get-AcceptedDomain"]) == pytest.approx(2.05)
    with pytest.raises(ValueError, match="unknown throttling settings"):
        budget.configure({"max_cmdlet": 1})
    budget.reset()
    assert budget.server_time(["New-Mailbox"]) == 0.0 and budget.max_concurrency == 18
