"""AD's password rules in the lab's AD stand-in, without servers: which PSO governs a user, when its
password expires, which new passwords a reset refuses, and when a logon rewrites lastLogonTimestamp.
Each test names its source."""

from __future__ import annotations

from exchange_lab.directory import TICKS_PER_DAY, logon_timestamp_due
from exchange_lab.password_policy import (
    DOMAIN_POLICY,
    NEVER,
    Policy,
    expiry_time,
    is_global_security_group,
    password_hash,
    policy_from_entry,
    refusal,
    remember,
    resultant,
    split_history,
)

USER = "CN=An Nguyen,OU=DanangMail,DC=danang,DC=gov,DC=vn"
GROUP = "CN=DanangMail Users,OU=DanangMail,DC=danang,DC=gov,DC=vn"
# The project's PSO (organisation.PasswordPolicy): precedence 10, 12 characters, history 5, 180 days.
CITY = policy_from_entry(
    {
        "dn": "CN=DanangMail-Users,CN=Password Settings Container,CN=System,DC=danang,DC=gov,DC=vn",
        "objectguid": [b"\x05" * 16],
        "msds-passwordsettingsprecedence": ["10"],
        "msds-minimumpasswordlength": ["12"],
        "msds-passwordcomplexityenabled": ["TRUE"],
        "msds-passwordhistorylength": ["5"],
        "msds-maximumpasswordage": [str(-180 * TICKS_PER_DAY)],
        "msds-psoappliesto": [GROUP],
    }
)


def pso(name: str, precedence: int, guid: bytes, *applies_to: str) -> Policy:
    return Policy(f"CN={name}", precedence, guid, 8, True, 0, 0, frozenset(a.lower() for a in applies_to))


def test_resultant_pso_prefers_direct_links_then_precedence_then_guid():
    """Source: "How a resultant PSO is determined",
    https://learn.microsoft.com/en-us/windows-server/identity/ad-ds/get-started/adac/fine-grained-password-policies
    and MS-ADTS 3.1.1.4.5.36: a PSO linked to the user wins over any linked to its groups, whatever
    their precedence; among several, the lowest precedence, then the lowest objectGUID."""
    via_group = pso("group", 1, b"\x01", GROUP)
    direct_20 = pso("direct20", 20, b"\x02", USER)
    direct_5b = pso("direct5b", 5, b"\x09", USER)
    direct_5a = pso("direct5a", 5, b"\x03", USER)
    assert resultant(USER, {GROUP}, [via_group]) is via_group
    assert resultant(USER, {GROUP}, [via_group, direct_20]) is direct_20
    assert resultant(USER, {GROUP}, [via_group, direct_20, direct_5b, direct_5a]) is direct_5a
    assert resultant(USER, set(), [via_group]) is None  # not in the group: the domain's policy
    assert resultant(USER, {GROUP.upper()}, [CITY]) is CITY  # DNs compare without case


def test_only_global_security_groups_carry_a_pso():
    """Source: the same page: PSOs apply to users and global security groups. groupType bits from
    https://learn.microsoft.com/en-us/windows/win32/adschema/a-grouptype (-2147483646: global, security)."""
    assert is_global_security_group(-2147483646 & 0xFFFFFFFF)
    assert not is_global_security_group(2)  # a global distribution group
    assert not is_global_security_group(-2147483644 & 0xFFFFFFFF)  # domain local security group


def test_password_expiry_time_computed():
    """Source: MS-ADTS 3.1.1.4.5.18 msDS-UserPasswordExpiryTimeComputed,
    https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-adts/f9e9b7e2-c7ac-4db6-ba38-71d9696981e9."""
    last_set = 133_800_000_000_000_000
    assert expiry_time(512, last_set, CITY) == last_set + 180 * TICKS_PER_DAY
    assert expiry_time(512, last_set, DOMAIN_POLICY) == last_set + 42 * TICKS_PER_DAY
    assert expiry_time(512, 0, CITY) == 0  # must change at next logon
    assert expiry_time(512 | 0x10000, last_set, CITY) == NEVER  # DONT_EXPIRE_PASSWD
    assert expiry_time(512 | 0x10000, 0, CITY) == NEVER  # the flag comes first
    never = Policy("CN=x", 1, b"", 1, False, 0, -(2**63), frozenset())
    assert expiry_time(512, last_set, never) == NEVER


def test_reset_refused_by_the_citys_pso_not_the_domain_default():
    """Source: the project's PSO (12 characters, history 5) and complexity as
    https://learn.microsoft.com/en-us/windows/security/threat-protection/security-policy-settings/password-must-meet-complexity-requirements
    describes it (3 of 4 classes, no sAMAccountName, no displayName token of 3+ characters)."""
    assert refusal("Short1!aB", "annguyen", "An Nguyen", DOMAIN_POLICY, None) is None
    assert refusal("Short1!aB", "annguyen", "An Nguyen", CITY, None) == "length"
    assert refusal("alllowercase12", "annguyen", "An Nguyen", CITY, None) == "complexity"
    assert refusal("Xx-annguyen-2026", "annguyen", "An Nguyen", CITY, None) == "complexity"
    assert refusal("Nguyen-Mua-Xuan-26", "annguyen", "An Nguyen", CITY, None) == "complexity"
    assert refusal("An-Mua-Xuan-2026", "annguyen", "An Nguyen", CITY, None) is None  # "An" is < 3
    assert refusal("Da-Nang-Mua-Xuan-26", "annguyen", "An Nguyen", CITY, None) is None


def test_history_keeps_five_hashes_and_refuses_them():
    """Source: "Enforce password history",
    https://learn.microsoft.com/en-us/windows/security/threat-protection/security-policy-settings/enforce-password-history:
    the last N passwords (the current one included) cannot be used again. AD keeps hashes
    (ntPwdHistory), never the passwords."""
    passwords = [f"Da-Nang-Mua-Xuan-{n:02d}" for n in range(7)]
    history = None
    for password in passwords:
        assert refusal(password, "annguyen", "An Nguyen", CITY, history) is None
        history = remember(history, password, CITY)
    assert len(split_history(history)) == 5 and split_history(history)[0] == password_hash(passwords[-1])
    assert all(p.encode() not in history and p.encode("utf-16-le") not in history for p in passwords)
    for recent in passwords[2:]:
        assert refusal(recent, "annguyen", "An Nguyen", CITY, history) == "history"
    assert refusal(passwords[1], "annguyen", "An Nguyen", CITY, history) is None  # 6th back: allowed


def test_last_logon_timestamp_lags_as_ad_replicates_it():
    """Source: MS-ADA1 2.352 lastLogonTimestamp,
    https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-ada1/530d7194-20f6-4aaa-8d80-9ca6b6350ad6:
    rewritten only when older than msDS-LogonTimeSyncInterval (14 days) minus a random part of 5."""
    day = TICKS_PER_DAY
    start = 133_800_000_000_000_000
    assert logon_timestamp_due(None, start, 0.5)  # never stamped: the first logon writes it
    for skew in (0.0, 0.5, 0.999):
        assert not logon_timestamp_due(start, start + 8 * day, skew)  # < 9 days: never
        assert logon_timestamp_due(start, start + 14 * day, skew)  # 14 days: always
    assert not logon_timestamp_due(start, start + 10 * day, 0.0)
    assert logon_timestamp_due(start, start + 10 * day, 0.9)
