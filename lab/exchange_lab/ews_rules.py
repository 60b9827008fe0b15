# Copyright: (c) 2026, Da Nang city IT infrastructure centre
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""GetInboxRules and UpdateInboxRules: EWS rule XML to and from the lab's rule dicts.

The lab keeps the forwarding actions the city audits (R-50) and a few common conditions and
actions (``inbox_rules``); any other rule field Exchange knows is refused with the validation
error ``UnsupportedRule`` naming the field, so a test can never believe the lab stored what it
dropped. An UpdateInboxRules request is checked as a whole first and applies nothing when any of
its operations fails, answering ErrorInboxRulesValidationError with the per-operation errors.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
from typing import Any

from lxml import etree

from .ews_soap import (
    MNS,
    TNS,
    ResponseError,
    boolean,
    children,
    integer,
    invalid_child,
    m,
    require,
    response_message,
    sub,
    t,
    text,
)
from .inbox_rules import RuleError, RuleNotFound, validate

RULE = (
    "RuleId",
    "DisplayName",
    "Priority",
    "IsEnabled",
    "IsNotSupported",
    "IsInError",
    "Conditions",
    "Exceptions",
    "Actions",
)
# RulePredicatesType and RuleActionsType, in schema order.
PREDICATES = (
    "Categories", "ContainsBodyStrings", "ContainsHeaderStrings", "ContainsRecipientStrings",
    "ContainsSenderStrings", "ContainsSubjectOrBodyStrings", "ContainsSubjectStrings", "FlaggedForAction",
    "FromAddresses", "FromConnectedAccounts", "HasAttachments", "Importance", "IsApprovalRequest",
    "IsAutomaticForward", "IsAutomaticReply", "IsEncrypted", "IsMeetingRequest", "IsMeetingResponse",
    "IsNDR", "IsPermissionControlled", "IsReadReceipt", "IsSigned", "IsVoicemail", "ItemClasses",
    "MessageClassifications",
    "NotSentToMe", "SentCcMe", "SentOnlyToMe", "SentToAddresses", "SentToMe", "SentToOrCcMe", "Sensitivity",
    "WithinDateRange", "WithinSizeRange",
)  # fmt: skip
ACTIONS = (
    "AssignCategories", "CopyToFolder", "Delete", "ForwardAsAttachmentToRecipients", "ForwardToRecipients",
    "MarkImportance", "MarkAsRead", "MoveToFolder", "PermanentDelete", "RedirectToRecipients",
    "SendSMSAlertToRecipients", "ServerReplyWithMessage", "StopProcessingRules",
)  # fmt: skip
OPERATIONS = ("CreateRuleOperation", "SetRuleOperation", "DeleteRuleOperation")
ADDRESS_FIELDS = ("Name", "EmailAddress", "RoutingType", "MailboxType", "ItemId", "OriginalDisplayName")

# EWS element -> (rule dict key, kind) for the fields the lab keeps, conditions then actions.
CONDITIONS = {
    "ContainsBodyStrings": ("body_contains", "strings"),
    "ContainsSubjectStrings": ("subject_contains", "strings"),
    "FromAddresses": ("from_addresses", "addresses"),
    "SentToAddresses": ("sent_to_addresses", "addresses"),
}
KEPT_ACTIONS = {
    "Delete": ("delete", "flag"),
    "ForwardAsAttachmentToRecipients": ("forward_as_attachment_to", "addresses"),
    "ForwardToRecipients": ("forward_to", "addresses"),
    "MarkAsRead": ("mark_as_read", "flag"),
    "RedirectToRecipients": ("redirect_to", "addresses"),
    "StopProcessingRules": ("stop_processing_rules", "flag"),
}
FIELD_URI = {key: f"Condition:{name}" for name, (key, _) in CONDITIONS.items()}
FIELD_URI |= {key: f"Action:{name}" for name, (key, _) in KEPT_ACTIONS.items()}
FIELD_URI |= {
    "id": "RuleId",
    "name": "DisplayName",
    "priority": "Priority",
    "enabled": "IsEnabled",
    "actions": "Actions",
}
MESSAGES = {
    "CreateWithRuleId": "Rule ID must not be specified when creating a rule.",
    "DuplicatedOperationOnTheSameRule": "Only one operation per rule is allowed in a request.",
    "DuplicatedPriority": "Two rules in the request have the same priority.",
    "EmptyValueFound": "The value is empty.",
    "InvalidAddress": "The e-mail address is invalid.",
    "InvalidValue": "The value is invalid.",
    "MissingAction": "The rule has no action.",
    "MissingParameter": "A required parameter is missing.",
    "NotSettable": "This property cannot be set.",
    "RuleNotFound": "The rule was not found.",
    "StringValueTooBig": "The string value is too big.",
    "UnsupportedRule": "The lab's EWS endpoint does not support this rule field.",
}

Error = tuple[str, str, str]  # FieldURI, RuleValidationErrorCode, FieldValue


def get_inbox_rules(session: Any, request: etree._Element) -> etree._Element:
    found = children(request, ("MailboxSmtpAddress",), ns=MNS)
    address = text(found["MailboxSmtpAddress"]).strip() if "MailboxSmtpAddress" in found else None
    mailbox = session.open_mailbox(address)
    response = response_message("GetInboxRulesResponse")
    sub(response, m("OutlookRuleBlobExists"), "false")
    rules = session.lab.rules.list(mailbox.exchange_guid)
    if rules:
        container = sub(response, m("InboxRules"))
        for rule in rules:
            container.append(_rule_xml(session, rule))
    return response


def update_inbox_rules(session: Any, request: etree._Element) -> etree._Element:
    found = children(request, ("MailboxSmtpAddress", "RemoveOutlookRuleBlob", "Operations"), ns=MNS)
    require(found, "UpdateInboxRules", "Operations")
    if "RemoveOutlookRuleBlob" in found:
        boolean(found["RemoveOutlookRuleBlob"])
    # The whole request is read (schema errors first, as Exchange deserialises before acting),
    # then checked against the mailbox's rules, then applied only when no operation failed.
    operations = [_parse_operation(op) for op in found["Operations"] if isinstance(op.tag, str)]
    address = text(found["MailboxSmtpAddress"]).strip() if "MailboxSmtpAddress" in found else None
    mailbox = session.open_mailbox(address)
    store = session.lab.rules
    existing = {rule["id"] for rule in store.list(mailbox.exchange_guid)}
    errors: list[tuple[int, list[Error]]] = []
    seen_ids: set[str] = set()
    seen_priorities: set[int] = set()
    for index, (kind, payload, problems) in enumerate(operations):
        if kind == "DeleteRuleOperation":
            problems += _check_rule_id(payload, existing, seen_ids)
        else:
            if kind == "SetRuleOperation":
                problems += _check_rule_id(payload.get("id") or "", existing, seen_ids)
            elif payload.get("id"):
                problems.append(("RuleId", "CreateWithRuleId", payload["id"]))
            if payload["priority"] in seen_priorities:
                problems.append(("Priority", "DuplicatedPriority", str(payload["priority"])))
            seen_priorities.add(payload["priority"])
            if not problems:
                try:
                    validate(payload)
                except RuleError as e:
                    problems += [_store_error(*error) for error in e.errors]
        if problems:
            errors.append((index, problems))
    if errors:
        return _validation_error(errors)
    for kind, payload, _ in operations:
        if kind == "CreateRuleOperation":
            store.add(mailbox.exchange_guid, payload)
        elif kind == "SetRuleOperation":
            store.update(mailbox.exchange_guid, payload)
        else:
            with contextlib.suppress(RuleNotFound):  # removed meanwhile by a cmdlet: same outcome
                store.remove(mailbox.exchange_guid, payload)
    return response_message("UpdateInboxRulesResponse")


def _parse_operation(operation: etree._Element) -> tuple[str, Any, list[Error]]:
    """(kind, rule dict or rule id to delete, validation problems found while reading it)."""
    kind = etree.QName(operation).localname
    if etree.QName(operation).namespace != TNS or kind not in OPERATIONS:
        raise invalid_child("Operations", operation)
    if kind == "DeleteRuleOperation":
        return kind, text(children(operation, ("RuleId",)).get("RuleId")).strip(), []
    found = children(operation, ("Rule",))
    require(found, kind, "Rule")
    rule, problems = _parse_rule(found["Rule"])
    return kind, rule, problems


def _check_rule_id(rule_id: str, existing: set[str], seen: set[str]) -> list[Error]:
    if not rule_id:
        return [("RuleId", "MissingParameter", "")]
    if rule_id in seen:
        return [("RuleId", "DuplicatedOperationOnTheSameRule", rule_id)]
    seen.add(rule_id)
    try:
        base64.b64decode(rule_id, validate=True)
    except binascii.Error:
        return [("RuleId", "InvalidValue", rule_id)]
    return [] if rule_id in existing else [("RuleId", "RuleNotFound", rule_id)]


def _store_error(key: str, code: str, message: str, value: str) -> Error:
    # Exchange shows an address with its routing type, e.g. "SMTP:someone@example.com".
    return FIELD_URI.get(key, key), code, f"SMTP:{value}" if code == "InvalidAddress" else value


def _parse_rule(elem: etree._Element) -> tuple[dict[str, Any], list[Error]]:
    found = children(elem, RULE)
    require(found, "Rule", "DisplayName", "Priority", "IsEnabled")
    problems: list[Error] = []
    rule: dict[str, Any] = {
        "id": text(found.get("RuleId")).strip() or None,
        "name": text(found["DisplayName"]),
        "priority": integer(found["Priority"]),
        "enabled": boolean(found["IsEnabled"]),
    }
    if "IsNotSupported" in found:
        problems.append(("IsNotSupported", "NotSettable", text(found["IsNotSupported"])))
    if "IsInError" in found:
        boolean(found["IsInError"])
    if "Conditions" in found:
        problems += _parse_fields(found["Conditions"], PREDICATES, CONDITIONS, "Condition", rule)
    if "Exceptions" in found:
        problems += _parse_fields(found["Exceptions"], PREDICATES, {}, "Exception", rule)
    if "Actions" in found:
        problems += _parse_fields(found["Actions"], ACTIONS, KEPT_ACTIONS, "Action", rule)
    return rule, problems


def _parse_fields(
    elem: etree._Element,
    order: tuple[str, ...],
    kept: dict[str, tuple[str, str]],
    prefix: str,
    rule: dict[str, Any],
) -> list[Error]:
    problems: list[Error] = []
    for name, child in children(elem, order).items():
        uri = f"{prefix}:{name}"
        if name not in kept:
            problems.append((uri, "UnsupportedRule", ""))
            continue
        key, kind = kept[name]
        if kind == "flag":
            rule[key] = boolean(child)
            continue
        items = [item for item in child if isinstance(item.tag, str)]
        if not items:
            problems.append((uri, "EmptyValueFound", ""))
            continue
        if kind == "strings":
            for item in items:
                if item.tag != t("String"):
                    raise invalid_child(name, item)
            rule[key] = [item.text or "" for item in items]
        else:
            rule[key], address_problems = _parse_addresses(name, items, uri)
            problems += address_problems
    return problems


def _parse_addresses(name: str, items: list[etree._Element], uri: str) -> tuple[list[str], list[Error]]:
    addresses, problems = [], []
    for item in items:
        if item.tag != t("Address"):
            raise invalid_child(name, item)
        fields = children(item, ADDRESS_FIELDS)
        address = text(fields.get("EmailAddress")).strip()
        routing = text(fields.get("RoutingType")).strip() or "SMTP"
        if routing.upper() != "SMTP":
            # Exchange looks other address types up in AD; the lab's directory knows SMTP only.
            problems.append((uri, "RecipientDoesNotExist", f"{routing}:{address}"))
            continue
        addresses.append(address)
    return addresses, problems


def _validation_error(errors: list[tuple[int, list[Error]]]) -> etree._Element:
    response = response_message(
        "UpdateInboxRulesResponse",
        ResponseError(
            "ErrorInboxRulesValidationError",
            "A validation error occurred while executing the rule operation.",
        ),
    )
    container = sub(response, m("RuleOperationErrors"))
    for index, problems in errors:
        operation = sub(container, t("RuleOperationError"))
        sub(operation, t("OperationIndex"), str(index))
        validation = sub(operation, t("ValidationErrors"))
        for uri, code, value in problems:
            error = sub(validation, t("Error"))
            sub(error, t("FieldURI"), uri)
            sub(error, t("ErrorCode"), code)
            sub(error, t("ErrorMessage"), MESSAGES.get(code, code))
            sub(error, t("FieldValue"), value)
    return response


def _rule_xml(session: Any, rule: dict[str, Any]) -> etree._Element:
    elem = etree.Element(t("Rule"), nsmap={"t": TNS})
    sub(elem, t("RuleId"), rule["id"])
    sub(elem, t("DisplayName"), rule["name"])
    sub(elem, t("Priority"), str(rule["priority"]))
    sub(elem, t("IsEnabled"), "true" if rule["enabled"] else "false")
    # Exchange leaves IsNotSupported and IsInError out unless true, and refuses IsNotSupported in
    # a SetRuleOperation, so a client that saves back what it read must not find it there.
    for tag, kept in (("Conditions", CONDITIONS), ("Actions", KEPT_ACTIONS)):
        present = [(name, key, kind) for name, (key, kind) in kept.items() if rule.get(key)]
        if not present:
            continue
        group = sub(elem, t(tag))
        for name, key, kind in present:
            child = sub(group, t(name))
            if kind == "flag":
                child.text = "true"
            elif kind == "strings":
                for value in rule[key]:
                    sub(child, t("String"), value)
            else:
                for address in rule[key]:
                    _address_xml(session, child, address)
    return elem


def _address_xml(session: Any, parent: etree._Element, address: str) -> None:
    ref = session.lab.directory.resolve_mailbox(address)
    item = sub(parent, t("Address"))
    sub(item, t("EmailAddress"), ref.primary_smtp_address if ref else address)
    sub(item, t("RoutingType"), "SMTP")
    sub(item, t("MailboxType"), "Mailbox" if ref else "OneOff")
