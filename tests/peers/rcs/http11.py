"""A small HTTP/1.1 server and client on asyncio streams, with explicit limits and
streamed bodies (nothing here reads a whole body unless asked to, with a limit).

Server side: `read_request(reader)` parses a request head (or raises HttpError), and
`Body` reads its body by Content-Length or chunked coding, sending `100 Continue` on the
first read when the client asked for it. `Response` writes a head and a body from bytes
or chunks. Client side: `fetch()` sends one request on a new connection and returns the
status, headers and a bounded body, or streams the body to a callback.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import urllib.parse
from dataclasses import dataclass, field
from typing import AsyncIterator, Awaitable, Callable

MAX_HEAD = 16384          # request line + headers
MAX_CHUNK_LINE = 1024
READ_SIZE = 65536

REASONS = {
    100: "Continue", 200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 206: "Partial Content",
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    408: "Request Timeout", 409: "Conflict", 411: "Length Required", 413: "Payload Too Large",
    415: "Unsupported Media Type", 416: "Range Not Satisfiable", 417: "Expectation Failed",
    429: "Too Many Requests", 431: "Request Header Fields Too Large", 500: "Internal Server Error",
    501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
}


class HttpError(Exception):
    """A request that cannot be parsed; the connection is answered with `status` and closed."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass
class Request:
    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]
    path: str = ""
    query: dict[str, list[str]] = field(default_factory=dict)
    body: "Body | None" = None
    peer: str = ""

    def header(self, name: str, default: str | None = None) -> str | None:
        name = name.lower()
        for k, v in self.headers:
            if k == name:
                return v
        return default

    @property
    def keep_alive(self) -> bool:
        conn = (self.header("connection") or "").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" in conn
        return "close" not in conn


async def read_request(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> Request | None:
    """The next request head on a connection, or None at a clean end of stream."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as e:
        if not e.partial.strip():
            return None
        raise HttpError(400, "connection closed inside a request head") from None
    except asyncio.LimitOverrunError:
        raise HttpError(431, f"request head larger than {MAX_HEAD} bytes") from None
    if len(head) > MAX_HEAD:
        raise HttpError(431, f"request head larger than {MAX_HEAD} bytes")
    lines = head[:-4].decode("latin-1").split("\r\n")
    while lines and not lines[0]:   # tolerate stray CRLFs between requests
        lines.pop(0)
    if not lines:
        raise HttpError(400, "empty request")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise HttpError(400, f"malformed request line {lines[0][:80]!r}")
    method, target, version = parts
    headers = []
    for line in lines[1:]:
        if not line or line[0] in " \t" or ":" not in line:
            raise HttpError(400, "malformed header line")
        k, v = line.split(":", 1)
        if not k or k != k.strip():
            raise HttpError(400, "malformed header name")
        headers.append((k.lower(), v.strip()))
    u = urllib.parse.urlsplit(target)
    req = Request(method, target, version, headers, urllib.parse.unquote(u.path),
                  urllib.parse.parse_qs(u.query, keep_blank_values=True))
    peer = writer.get_extra_info("peername")
    req.peer = f"{peer[0]}:{peer[1]}" if peer else ""
    te = (req.header("transfer-encoding") or "").lower()
    cl = req.header("content-length")
    if te and te != "chunked":
        raise HttpError(501, f"transfer coding {te!r} not supported")
    if te and cl is not None:
        raise HttpError(400, "both Content-Length and Transfer-Encoding")
    length = None
    if cl is not None:
        if not cl.isdigit() or len(cl) > 18:
            raise HttpError(400, "malformed Content-Length")
        length = int(cl)
    expect = (req.header("expect") or "").lower()
    if expect and expect != "100-continue":
        raise HttpError(417, f"Expect: {expect} not supported")
    req.body = Body(reader, writer, length, te == "chunked", expect == "100-continue")
    return req


class Body:
    """A request body, read in pieces. `read()` returns b"" at the end."""

    def __init__(self, reader, writer, length: int | None, chunked: bool, expect_continue: bool):
        self.reader, self.writer = reader, writer
        self.length = length
        self.chunked = chunked
        self.expect_continue = expect_continue
        self.remaining = length if length is not None else 0
        self.chunk_left = 0
        self.finished = not chunked and not length
        self.received = 0
        self.started = False

    @property
    def present(self) -> bool:
        return self.chunked or bool(self.length)

    async def _start(self) -> None:
        if not self.started:
            self.started = True
            if self.expect_continue and not self.finished:
                self.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                await self.writer.drain()

    async def read(self, n: int = READ_SIZE) -> bytes:
        if self.finished:
            return b""
        await self._start()
        if not self.chunked:
            data = await self.reader.read(min(n, self.remaining))
            if not data:
                raise HttpError(400, "connection closed inside a request body")
            self.remaining -= len(data)
            self.received += len(data)
            if self.remaining == 0:
                self.finished = True
            return data
        while self.chunk_left == 0:
            line = await self._line()
            size_s = line.split(";", 1)[0].strip()
            try:
                size = int(size_s, 16)
            except ValueError:
                raise HttpError(400, "malformed chunk size") from None
            if size < 0:
                raise HttpError(400, "malformed chunk size")
            if size == 0:
                while await self._line():   # trailers, until the empty line
                    pass
                self.finished = True
                return b""
            self.chunk_left = size
        data = await self.reader.read(min(n, self.chunk_left))
        if not data:
            raise HttpError(400, "connection closed inside a chunk")
        self.chunk_left -= len(data)
        self.received += len(data)
        if self.chunk_left == 0:
            crlf = await self.reader.readexactly(2)
            if crlf != b"\r\n":
                raise HttpError(400, "chunk not followed by CRLF")
        return data

    async def _line(self) -> str:
        try:
            line = await self.reader.readuntil(b"\r\n")
        except asyncio.IncompleteReadError:
            raise HttpError(400, "connection closed inside a chunked body") from None
        except asyncio.LimitOverrunError:
            raise HttpError(400, "chunk line too long") from None
        if len(line) > MAX_CHUNK_LINE:
            raise HttpError(400, "chunk line too long")
        return line[:-2].decode("latin-1")

    async def read_all(self, limit: int) -> bytes:
        """The whole body, or HttpError(413) as soon as it passes `limit` bytes."""
        if self.length is not None and self.length > limit:
            raise HttpError(413, f"body of {self.length} bytes is over the limit of {limit}")
        out = bytearray()
        while True:
            data = await self.read()
            if not data:
                return bytes(out)
            out += data
            if len(out) > limit:
                raise HttpError(413, f"body over the limit of {limit} bytes")

    async def discard(self, max_bytes: int, timeout: float) -> bool:
        """Reads and drops what is left (so that a client still sending sees our answer).
        False if more than max_bytes or timeout: the connection must then be closed."""
        if self.finished:
            return True
        if self.expect_continue and not self.started:
            return False   # the client waits for 100 Continue: it never sent the body
        self.started = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        dropped = 0
        try:
            while not self.finished:
                left = deadline - loop.time()
                if left <= 0:
                    return False
                data = await asyncio.wait_for(self.read(), left)
                dropped += len(data)
                if dropped > max_bytes:
                    return False
        except (HttpError, asyncio.TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            return False
        return True


class Response:
    def __init__(self, status: int, headers: dict[str, str] | None = None, body: bytes = b"",
                 chunks: AsyncIterator[bytes] | None = None, length: int | None = None):
        self.status = status
        self.headers = dict(headers or {})
        self.body = body
        self.chunks = chunks          # streamed body; `length` is its size when known
        self.length = length
        self.close = False

    @classmethod
    def json(cls, status: int, obj, headers: dict[str, str] | None = None) -> "Response":
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        return cls(status, h, json.dumps(obj, ensure_ascii=False).encode())

    async def write(self, writer: asyncio.StreamWriter, head_only: bool = False) -> int:
        """Writes the response; returns the number of body bytes written."""
        h = {"Server": "passerelle-maap-test"}
        h.update(self.headers)
        streamed = self.chunks is not None
        if streamed and self.length is None:
            h["Transfer-Encoding"] = "chunked"
        elif "Content-Length" not in h and self.status not in (204, 304) and not (100 <= self.status < 200):
            h["Content-Length"] = str(self.length if streamed else len(self.body))
        if self.close:
            h["Connection"] = "close"
        head = f"HTTP/1.1 {self.status} {REASONS.get(self.status, 'Status')}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n"
        writer.write(head.encode("latin-1"))
        sent = 0
        if head_only or self.status in (204, 304):
            await writer.drain()
            return 0
        if not streamed:
            writer.write(self.body)
            await writer.drain()
            return len(self.body)
        chunked = self.length is None
        async for piece in self.chunks:
            if not piece:
                continue
            if chunked:
                writer.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            else:
                writer.write(piece)
            sent += len(piece)
            await writer.drain()
        if chunked:
            writer.write(b"0\r\n\r\n")
        await writer.drain()
        return sent


# ---------------------------------------------------------------------------------
# Client

@dataclass
class ClientResponse:
    status: int
    headers: dict[str, str]
    body: bytes


async def fetch(method: str, url: str, *, headers: dict[str, str] | None = None, body: bytes = b"",
                timeout: float = 10.0, max_body: int = 65536,
                sink: Callable[[bytes], Awaitable[None]] | None = None,
                ssl_context: ssl.SSLContext | None = None) -> ClientResponse:
    """One request on a new connection (Connection: close). The response body goes to
    `sink` piece by piece when given (no size limit here: the sink enforces one), else
    it is returned, and past `max_body` bytes cut off (what was read is kept)."""
    return await asyncio.wait_for(_fetch(method, url, headers or {}, body, max_body, sink, ssl_context), timeout)


async def _fetch(method, url, headers, body, max_body, sink, ssl_context) -> ClientResponse:
    u = urllib.parse.urlsplit(url)
    if u.scheme not in ("http", "https") or not u.hostname:
        raise ValueError(f"not an http(s) URL: {url}")
    port = u.port or (443 if u.scheme == "https" else 80)
    ctx = None
    if u.scheme == "https":
        ctx = ssl_context or ssl.create_default_context()
    reader, writer = await asyncio.open_connection(u.hostname, port, ssl=ctx,
                                                   server_hostname=u.hostname if ctx else None)
    try:
        target = (u.path or "/") + (f"?{u.query}" if u.query else "")
        host = u.hostname if u.port is None else f"{u.hostname}:{u.port}"
        h = {"Host": host, "User-Agent": "passerelle-maap-test", "Connection": "close"}
        h.update(headers)
        if body or method in ("POST", "PUT"):
            h["Content-Length"] = str(len(body))
        head = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n"
        writer.write(head.encode("latin-1") + body)
        await writer.drain()
        while True:
            status, rheaders = await _read_response_head(reader)
            if status != 100:
                break
        out = bytearray()

        async def take(piece: bytes) -> None:
            if sink is not None:
                await sink(piece)
            elif len(out) < max_body:
                out.extend(piece[:max_body - len(out)])

        if method == "HEAD" or status in (204, 304):
            return ClientResponse(status, rheaders, b"")
        te = rheaders.get("transfer-encoding", "").lower()
        if te == "chunked":
            while True:
                line = (await reader.readuntil(b"\r\n"))[:-2]
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while (await reader.readuntil(b"\r\n")) != b"\r\n":
                        pass
                    break
                left = size
                while left:
                    piece = await reader.read(min(left, READ_SIZE))
                    if not piece:
                        raise ConnectionError("connection closed inside a chunk")
                    left -= len(piece)
                    await take(piece)
                await reader.readexactly(2)
        elif "content-length" in rheaders:
            left = int(rheaders["content-length"])
            while left:
                piece = await reader.read(min(left, READ_SIZE))
                if not piece:
                    raise ConnectionError("connection closed inside the response body")
                left -= len(piece)
                await take(piece)
        else:
            while True:
                piece = await reader.read(READ_SIZE)
                if not piece:
                    break
                await take(piece)
        return ClientResponse(status, rheaders, bytes(out))
    finally:
        writer.close()
        try:
            await writer.wait_closed()
        except (ConnectionError, ssl.SSLError, OSError):
            pass


async def _read_response_head(reader: asyncio.StreamReader) -> tuple[int, dict[str, str]]:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        raise ConnectionError("connection closed before a response") from None
    lines = head[:-4].decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise ConnectionError(f"malformed status line {lines[0][:80]!r}")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return int(parts[1]), headers
