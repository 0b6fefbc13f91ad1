"""The MaaP chatbot API's JSON, sans-IO: what the bot may send (validated into typed
requests or an ApiError carrying the HTTP status), the webhook events the platform
produces, and the error bodies. Shared by the server, its self-tests and the fixtures.

Shapes follow GSMA FNW.11 as implemented by the open-source MaaP chatbot SDKs (see
README.md, "Documents followed"): a request is {"RCSMessage": {...}, "messageContact":
{"userContact": "+E164"} or {"chatId": ...}}; an event is the same with "event" added.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")

# One of these keys makes an RCSMessage (FNW.11 RCSMessage content types; isTyping is
# sent through the same call).
CONTENT_KEYS = ("textMessage", "fileMessage", "audioMessage", "geolocationPushMessage", "richcardMessage", "isTyping")
TYPING_STATES = ("active", "idle")
# messageStatus values this platform produces, in the order a message goes through them.
STATUSES = ("pending", "sent", "delivered", "displayed", "failed", "cancelled")
EVENT_TYPES = ("message", "isTyping", "messageStatus", "fileStatus", "response", "alias", "newUser")
MAX_SUGGESTIONS = 11          # chip list (the SDKs cap it at 11)
MAX_DISPLAY_TEXT = 25         # suggestion displayText
MAX_POSTBACK = 2048           # postback data
CAPABILITIES = ("chat", "fileTransfer", "geolocationPush", "chatBotCommunication")

HTTP_REASONS = {
    200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 206: "Partial Content",
    304: "Not Modified", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
    405: "Method Not Allowed", 408: "Request Timeout", 409: "Conflict", 411: "Length Required",
    413: "Payload Too Large", 415: "Unsupported Media Type", 416: "Range Not Satisfiable",
    417: "Expectation Failed", 429: "Too Many Requests", 431: "Request Header Fields Too Large",
    500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
    504: "Gateway Timeout",
}
STATUS_NAMES = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                405: "METHOD_NOT_ALLOWED", 409: "ALREADY_EXISTS", 413: "PAYLOAD_TOO_LARGE",
                415: "UNSUPPORTED_MEDIA_TYPE", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}


class ApiError(Exception):
    """A request the platform refuses: HTTP status and a message for the error body."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def now_iso() -> str:
    t = _dt.datetime.now(_dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def iso_in(seconds: float) -> str:
    t = _dt.datetime.now(_dt.timezone.utc) + _dt.timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def new_id() -> str:
    return secrets.token_urlsafe(16)


# ---------------------------------------------------------------------------------
# Error bodies. Sources disagree; the platform's `error_style` picks one, and a client
# must decide by the HTTP status alone.

def error_body(style: str, status: int, message: str) -> tuple[str | None, bytes]:
    """-> (content type or None, body)."""
    reason = HTTP_REASONS.get(status, "Error")
    if style == "json":       # {"error": {"code", "message", "status"}}
        return "application/json", json.dumps({"error": {"code": status, "message": message, "status": reason}}).encode()
    if style == "reason":     # {"error": {"code", "reason": {"text"}, "status"}}
        body = {"error": {"code": status, "reason": {"text": message}, "status": STATUS_NAMES.get(status, reason.upper())}}
        return "application/json", json.dumps(body).encode()
    if style == "plain":
        return "text/plain; charset=utf-8", (message + "\n").encode()
    if style == "empty":
        return None, b""
    raise ValueError(f"unknown error style {style!r}")


ERROR_STYLES = ("json", "reason", "plain", "empty")


# ---------------------------------------------------------------------------------
# Bot -> platform requests

def parse_json(body: bytes) -> Any:
    if not body.strip():
        raise ApiError(400, "empty body: a JSON object is required")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "the body is not UTF-8") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ApiError(400, f"malformed JSON: {e.msg} at line {e.lineno} column {e.colno}") from None


@dataclass
class Contact:
    user_contact: str | None = None
    chat_id: str | None = None

    def as_json(self) -> dict:
        out = {}
        if self.user_contact:
            out["userContact"] = self.user_contact
        if self.chat_id:
            out["chatId"] = self.chat_id
        return out


@dataclass
class SendRequest:
    kind: str                  # one of CONTENT_KEYS
    rcs: dict                  # the RCSMessage object as sent
    contact: Contact
    msg_id: str | None = None  # a msgId chosen by the bot, if any
    suggestions: list = field(default_factory=list)

    @property
    def typing(self) -> bool:
        return self.kind == "isTyping"


def parse_contact(obj: Any) -> Contact:
    if not isinstance(obj, dict):
        raise ApiError(400, "messageContact must be an object")
    uc, cid = obj.get("userContact"), obj.get("chatId")
    if uc is None and cid is None:
        raise ApiError(400, "messageContact needs userContact or chatId")
    if uc is not None:
        if not isinstance(uc, str) or not E164.match(uc):
            raise ApiError(400, f"userContact {uc!r} is not an E.164 number (+ and 7 to 15 digits)")
    if cid is not None and (not isinstance(cid, str) or not cid):
        raise ApiError(400, "chatId must be a non-empty string")
    return Contact(uc, cid)


def _check_suggestion(s: Any, where: str) -> None:
    if not isinstance(s, dict) or len([k for k in ("reply", "action") if k in s]) != 1:
        raise ApiError(400, f"{where}: a suggestion is an object with exactly one of reply, action")
    inner = s.get("reply") or s.get("action")
    if not isinstance(inner, dict):
        raise ApiError(400, f"{where}: reply/action must be an object")
    text = inner.get("displayText")
    if not isinstance(text, str) or not text:
        raise ApiError(400, f"{where}: displayText is required")
    if len(text) > MAX_DISPLAY_TEXT:
        raise ApiError(400, f"{where}: displayText longer than {MAX_DISPLAY_TEXT} characters")
    pb = inner.get("postback")
    if pb is not None:
        if not isinstance(pb, dict) or not isinstance(pb.get("data", ""), str):
            raise ApiError(400, f"{where}: postback must be {{\"data\": string}}")
        if len(pb.get("data", "")) > MAX_POSTBACK:
            raise ApiError(400, f"{where}: postback data longer than {MAX_POSTBACK} characters")
    if "action" in s:
        kinds = [k for k in inner if k.endswith("Action")]
        if len(kinds) != 1:
            raise ApiError(400, f"{where}: an action needs exactly one *Action member")


def _check_chip_list(obj: Any, where: str) -> list:
    if not isinstance(obj, dict) or not isinstance(obj.get("suggestions"), list):
        raise ApiError(400, f"{where} must be {{\"suggestions\": [...]}}")
    sugg = obj["suggestions"]
    if not sugg or len(sugg) > MAX_SUGGESTIONS:
        raise ApiError(400, f"{where}: between 1 and {MAX_SUGGESTIONS} suggestions")
    for i, s in enumerate(sugg):
        _check_suggestion(s, f"{where}.suggestions[{i}]")
    return sugg


def _check_file_message(fm: Any, where: str) -> None:
    if not isinstance(fm, dict):
        raise ApiError(400, f"{where} must be an object")
    url = fm.get("fileUrl")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ApiError(400, f"{where}.fileUrl must be an http(s) URL")
    for k in ("fileSize", "thumbnailFileSize"):
        if k in fm and fm[k] is not None and (not isinstance(fm[k], int) or isinstance(fm[k], bool) or fm[k] < 0):
            raise ApiError(400, f"{where}.{k} must be a non-negative integer")
    for k in ("fileName", "fileMIMEType", "thumbnailUrl", "thumbnailFileName", "thumbnailMIMEType"):
        if k in fm and fm[k] is not None and not isinstance(fm[k], str):
            raise ApiError(400, f"{where}.{k} must be a string")


def parse_send(obj: Any) -> SendRequest:
    """POST .../messages: validates the body (already parsed JSON)."""
    if not isinstance(obj, dict):
        raise ApiError(400, "the body must be a JSON object")
    rcs = obj.get("RCSMessage")
    if not isinstance(rcs, dict):
        raise ApiError(400, "RCSMessage (an object) is required")
    if "messageContact" not in obj:
        raise ApiError(400, "messageContact is required")
    contact = parse_contact(obj["messageContact"])
    kinds = [k for k in CONTENT_KEYS if k in rcs and rcs[k] is not None]
    if len(kinds) != 1:
        raise ApiError(400, "RCSMessage needs exactly one of " + ", ".join(CONTENT_KEYS))
    kind = kinds[0]
    v = rcs[kind]
    if kind == "textMessage":
        if not isinstance(v, str) or not v:
            raise ApiError(400, "textMessage must be a non-empty string")
    elif kind == "isTyping":
        if v not in TYPING_STATES:
            raise ApiError(400, "isTyping must be \"active\" or \"idle\"")
    elif kind in ("fileMessage", "audioMessage"):
        _check_file_message(v, f"RCSMessage.{kind}")
    elif kind == "geolocationPushMessage":
        if not isinstance(v, dict) or not isinstance(v.get("pos"), str):
            raise ApiError(400, "geolocationPushMessage.pos is required")
    elif kind == "richcardMessage":
        msg = v.get("message") if isinstance(v, dict) else None
        if not isinstance(msg, dict) or len([k for k in ("generalPurposeCard", "generalPurposeCardCarousel") if k in msg]) != 1:
            raise ApiError(400, "richcardMessage.message needs generalPurposeCard or generalPurposeCardCarousel")
        cards = ([msg["generalPurposeCard"].get("content")] if "generalPurposeCard" in msg
                 else msg["generalPurposeCardCarousel"].get("content"))
        if not isinstance(cards, list) or not cards or not all(isinstance(c, dict) for c in cards):
            raise ApiError(400, "a rich card needs content")
        for i, c in enumerate(cards):
            if "suggestions" in c:
                if not isinstance(c["suggestions"], list) or len(c["suggestions"]) > 4:
                    raise ApiError(400, f"card {i}: at most 4 suggestions")
                for j, s in enumerate(c["suggestions"]):
                    _check_suggestion(s, f"card {i}.suggestions[{j}]")
    suggestions: list = []
    for where, holder in (("RCSMessage.suggestedChipList", rcs),
                          ("richcardMessage.suggestedChipList", rcs.get("richcardMessage") or {})):
        if isinstance(holder, dict) and holder.get("suggestedChipList") is not None:
            if kind == "isTyping":
                raise ApiError(400, "isTyping takes no suggestions")
            suggestions += _check_chip_list(holder["suggestedChipList"], where)
    msg_id = rcs.get("msgId")
    if msg_id is not None and (not isinstance(msg_id, str) or not msg_id or len(msg_id) > 128):
        raise ApiError(400, "msgId must be a string of 1 to 128 characters")
    for k in ("trafficType", "expiry"):
        if k in rcs and rcs[k] is not None and not isinstance(rcs[k], str):
            raise ApiError(400, f"{k} must be a string")
    return SendRequest(kind, rcs, contact, msg_id, suggestions)


def parse_status_update(obj: Any) -> str:
    """PUT .../messages/{msgId}/status -> "cancelled" (revoke) or "displayed".
    Both spellings of the revoke value are documented: "cancelled" and "canceled"."""
    if not isinstance(obj, dict) or not isinstance(obj.get("RCSMessage"), dict):
        raise ApiError(400, "RCSMessage (an object) is required")
    st = obj["RCSMessage"].get("status")
    if st in ("cancelled", "canceled"):
        return "cancelled"
    if st == "displayed":
        return "displayed"
    raise ApiError(400, f"status must be cancelled (or canceled) or displayed, not {st!r}")


# ---------------------------------------------------------------------------------
# Platform -> bot webhook events

def _event(kind: str, rcs: dict | None, contact: dict | None, **extra) -> dict:
    ev: dict = {}
    if rcs is not None:
        ev["RCSMessage"] = rcs
    if contact is not None:
        ev["messageContact"] = contact
    ev.update(extra)
    ev["event"] = kind
    return ev


def ev_message(msg_id: str, number: str, content: dict) -> dict:
    return _event("message", {"msgId": msg_id, **content, "timestamp": now_iso()}, {"userContact": number})


def ev_typing(number: str, state: str) -> dict:
    return _event("isTyping", {"msgId": new_id(), "isTyping": state, "timestamp": now_iso()}, {"userContact": number})


def ev_status(msg_id: str, number: str, status: str) -> dict:
    return _event("messageStatus", {"msgId": msg_id, "status": status, "timestamp": now_iso()}, {"userContact": number})


def ev_response(number: str, kind: str, display_text: str, postback: str | None) -> dict:
    inner: dict = {"displayText": display_text}
    if postback is not None:
        inner["postback"] = {"data": postback}
    return _event("response", {"msgId": new_id(), "suggestedResponse": {"response": {kind: inner}},
                               "timestamp": now_iso()}, {"userContact": number})


def ev_new_user(number: str) -> dict:
    return _event("newUser", {"msgId": new_id(), "suggestedResponse": {"response": {"reply": {
        "displayText": "Start Chat", "postback": {"data": "new_bot_user_initiation"}}}}, "timestamp": now_iso()},
        {"userContact": number})


def ev_alias(number: str, chat_id: str) -> dict:
    return _event("alias", {"msgId": new_id(), "timestamp": now_iso()}, {"userContact": number, "chatId": chat_id})


def ev_file_status(file_obj: dict) -> dict:
    return {"file": file_obj, "event": "fileStatus"}


def validate_event(ev: Any) -> list[str]:
    """Problems with a webhook event (empty list: valid). The checks any chatbot may rely
    on: the event type, the contact, the message id, and the content of each type."""
    p: list[str] = []
    if not isinstance(ev, dict):
        return ["an event is a JSON object"]
    kind = ev.get("event")
    if kind not in EVENT_TYPES:
        return [f"unknown event {kind!r}"]
    if kind == "fileStatus":
        f = ev.get("file")
        if not isinstance(f, dict):
            return ["fileStatus needs a file object"]
        for k, t in (("fileId", str), ("fileUrl", str), ("fileSize", int), ("status", str)):
            if not isinstance(f.get(k), t):
                p.append(f"file.{k} missing or not {t.__name__}")
        return p
    mc = ev.get("messageContact")
    if not isinstance(mc, dict) or not (isinstance(mc.get("userContact"), str) or isinstance(mc.get("chatId"), str)):
        p.append("messageContact needs userContact or chatId")
    if kind == "alias":
        if not (isinstance(mc, dict) and mc.get("userContact") and mc.get("chatId")):
            p.append("alias carries both userContact and chatId")
    rcs = ev.get("RCSMessage")
    if not isinstance(rcs, dict):
        return p + ["RCSMessage missing"]
    if not isinstance(rcs.get("msgId"), str) or not rcs["msgId"]:
        p.append("RCSMessage.msgId missing")
    if kind == "message":
        kinds = [k for k in ("textMessage", "fileMessage", "audioMessage", "geolocationPushMessage") if k in rcs]
        if len(kinds) != 1:
            p.append("a message carries exactly one content")
        elif kinds[0] == "textMessage" and not isinstance(rcs["textMessage"], str):
            p.append("textMessage is a string")
        elif kinds[0] in ("fileMessage", "audioMessage"):
            try:
                _check_file_message(rcs[kinds[0]], kinds[0])
            except ApiError as e:
                p.append(e.message)
    elif kind == "isTyping":
        if rcs.get("isTyping") not in TYPING_STATES:
            p.append("isTyping is active or idle")
    elif kind == "messageStatus":
        if rcs.get("status") not in STATUSES:
            p.append(f"status {rcs.get('status')!r} unknown")
    elif kind in ("response", "newUser"):
        resp = (rcs.get("suggestedResponse") or {}).get("response")
        if not isinstance(resp, dict) or len([k for k in ("reply", "action") if k in resp]) != 1:
            p.append("suggestedResponse.response has one of reply, action")
        else:
            inner = resp.get("reply") or resp.get("action")
            if not isinstance(inner, dict) or not isinstance(inner.get("displayText"), str):
                p.append("the response has a displayText")
    return p


def shape(obj: Any) -> Any:
    """The structure of a JSON value without its values: dicts keep their keys, lists
    the shape of their first item, scalars their type name. Two events of one kind
    built from the same documented sample have the same shape."""
    if isinstance(obj, dict):
        return {k: shape(v) for k, v in sorted(obj.items())}
    if isinstance(obj, list):
        return [shape(obj[0])] if obj else []
    if isinstance(obj, bool):
        return "bool"
    if isinstance(obj, (int, float)):
        return "number"
    if obj is None:
        return "null"
    return "string"
