"""MSNP line and payload codec shared by the test server and the test client.

MSNP is a line protocol: a command is a line of space-separated fields ending in
CRLF. Some commands are *payload commands*: their last field is a byte count and
exactly that many bytes follow the line, with no terminator (MSG, UUX, UBX, QRY, ...).

Everything read from the network goes through `read_command`, which enforces explicit
limits: a line longer than `max_line` bytes or a byte count larger than `max_payload`
raises `ProtocolError`, whose message is the reason the caller logs before closing
that one connection. Nothing is buffered beyond those limits.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

MAX_LINE = 2048            # bytes, CRLF included
MAX_PAYLOAD = 65536        # bytes; per-command limits (e.g. SB MSG 1664) are stricter
SB_MSG_LIMIT = 1664        # largest switchboard MSG payload the server relays

# Commands that carry a payload, by who sends them.
CLIENT_PAYLOAD_COMMANDS = frozenset({"MSG", "UUX", "QRY", "ADL", "RML", "FQY", "UUN", "PUT", "SDG", "NOT"})
SERVER_PAYLOAD_COMMANDS = frozenset({"MSG", "UBX", "GCF", "NOT", "IPG", "UBN", "NFY", "SDG"})


class ProtocolError(Exception):
    """The peer broke the framing; the message says how. The connection must close."""


@dataclass
class Command:
    name: str
    args: list[str] = field(default_factory=list)
    payload: bytes | None = None
    raw: bytes = b""

    @property
    def trid(self) -> str | None:
        return self.args[0] if self.args else None

    def line(self) -> str:
        return " ".join([self.name, *self.args])

    def __str__(self) -> str:
        s = self.line()
        if self.payload is not None:
            s += f" <{len(self.payload)} bytes>"
        return s


def is_error(name: str) -> bool:
    return len(name) == 3 and name.isdigit()


def encode(name: str, *args: object, payload: bytes | None = None) -> bytes:
    """One command as bytes. None arguments are left out. With `payload`, its byte
    count is appended as the last field and the payload follows the CRLF."""
    fields = [name] + [str(a) for a in args if a is not None]
    if payload is not None:
        fields.append(str(len(payload)))
    data = (" ".join(fields) + "\r\n").encode("utf-8")
    if payload is not None:
        data += payload
    return data


def parse_line(raw: bytes) -> Command:
    text = raw.rstrip(b"\r\n").decode("utf-8", errors="replace")
    parts = text.split(" ")
    # Tolerate doubled spaces inside the line but keep a trailing empty field (the
    # transcripts have "LST N=... 8 1 " with an empty group list).
    name = parts[0]
    return Command(name=name, args=parts[1:], raw=raw)


async def read_line(reader: asyncio.StreamReader, max_line: int = MAX_LINE) -> bytes | None:
    """One line including its LF, or None at EOF. Raises ProtocolError when the line
    exceeds max_line bytes or the stream ends inside a line."""
    try:
        raw = await reader.readuntil(b"\n")
    except asyncio.IncompleteReadError as e:
        if not e.partial:
            return None
        raise ProtocolError(f"connection closed inside a line ({len(e.partial)} bytes)")
    except asyncio.LimitOverrunError:
        raise ProtocolError(f"line longer than the stream limit (max {max_line} bytes)")
    except ValueError:  # some Python versions raise this on overrun
        raise ProtocolError(f"line longer than the stream limit (max {max_line} bytes)")
    if len(raw) > max_line:
        raise ProtocolError(f"line of {len(raw)} bytes exceeds {max_line}")
    return raw


def payload_length(cmd: Command, payload_commands: frozenset[str]) -> int | None:
    """The byte count a payload command announces, None for other commands."""
    if cmd.name not in payload_commands or not cmd.args:
        return None
    last = cmd.args[-1]
    if not last.isdigit() or not last.isascii():
        # e.g. the server's "QRY 7" reply or "UUX 5 0"; a client payload command
        # without a count is a framing error.
        if payload_commands is CLIENT_PAYLOAD_COMMANDS:
            raise ProtocolError(f"{cmd.name} without a byte count: {cmd.line()[:80]!r}")
        return None
    if len(last) > 9:
        raise ProtocolError(f"absurd byte count {last[:20]}")
    return int(last)


async def read_command(reader: asyncio.StreamReader, payload_commands: frozenset[str],
                       max_line: int = MAX_LINE, max_payload: int = MAX_PAYLOAD) -> Command | None:
    """The next command (with its payload), or None at a clean EOF."""
    raw = await read_line(reader, max_line)
    if raw is None:
        return None
    cmd = parse_line(raw)
    if not cmd.name:
        raise ProtocolError("empty line")
    n = payload_length(cmd, payload_commands)
    if n is not None:
        if n > max_payload:
            raise ProtocolError(f"{cmd.name} announces {n} bytes, limit {max_payload}")
        try:
            cmd.payload = await reader.readexactly(n)
        except asyncio.IncompleteReadError as e:
            raise ProtocolError(f"connection closed inside a {n}-byte payload ({len(e.partial)} read)")
        cmd.raw = raw + cmd.payload
    return cmd


def url_encode_name(name: str) -> str:
    """A friendly name as it travels on the wire (URL-encoded UTF-8)."""
    return quote(name, safe="@._-*'()!~")


def url_decode_name(name: str) -> str:
    return unquote(name)


def mime_message(headers: list[tuple[str, str]], body: bytes | str = b"") -> bytes:
    """A MIME-headed MSG payload: headers with CRLFs, a blank line, the body."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    head = "MIME-Version: 1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    return head.encode("utf-8") + body


def parse_mime(payload: bytes) -> tuple[dict[str, str], bytes]:
    """(headers, body) of a MSG payload; header names as sent, first value wins."""
    head, sep, body = payload.partition(b"\r\n\r\n")
    if not sep:
        return {}, payload
    headers: dict[str, str] = {}
    for line in head.decode("utf-8", errors="replace").split("\r\n"):
        k, _, v = line.partition(":")
        if _ and k.strip() and k.strip() not in headers:
            headers[k.strip()] = v.strip()
    return headers, body
