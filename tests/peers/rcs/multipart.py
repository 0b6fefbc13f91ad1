"""A sans-IO, streaming multipart/form-data parser (RFC 7578 on RFC 2046 section 5.1).

It never touches a socket and never holds a part's body: `feed(bytes)` returns events as
soon as it can, keeping back at most the length of the delimiter, so a 100 MB file part
streams through in whatever chunk size the caller reads.

    p = MultipartParser(boundary_from_content_type(ctype))
    for ev in p.feed(chunk): ...            # Part(headers, name, filename, content_type) | Data(bytes) | PartEnd() | Done()
    p.close()                                # raises MultipartError if the body ended early

Limits are data: the size of one part's header block and the number of parts.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_PART_HEADER = 8192
MAX_PARTS = 32


class MultipartError(ValueError):
    pass


@dataclass
class Part:
    headers: dict[str, str]
    name: str | None = None
    filename: str | None = None
    content_type: str | None = None


@dataclass
class Data:
    data: bytes


@dataclass
class PartEnd:
    pass


@dataclass
class Done:
    pass


def parse_header_params(value: str) -> tuple[str, dict[str, str]]:
    """`form-data; name="a"; filename="b c.jpg"` -> ("form-data", {"name": "a", "filename": "b c.jpg"}).
    Quoted strings may contain ';' and backslash escapes."""
    i, n = 0, len(value)

    def skip_ws():
        nonlocal i
        while i < n and value[i] in " \t":
            i += 1

    j = value.find(";")
    main = (value if j < 0 else value[:j]).strip().lower()
    params: dict[str, str] = {}
    if j < 0:
        return main, params
    i = j + 1
    while i < n:
        skip_ws()
        k = i
        while i < n and value[i] not in "=;":
            i += 1
        key = value[k:i].strip().lower()
        val = ""
        if i < n and value[i] == "=":
            i += 1
            skip_ws()
            if i < n and value[i] == '"':
                i += 1
                out = []
                while i < n and value[i] != '"':
                    if value[i] == "\\" and i + 1 < n:
                        i += 1
                    out.append(value[i])
                    i += 1
                i += 1  # closing quote (or end)
                val = "".join(out)
                while i < n and value[i] != ";":
                    i += 1
            else:
                k = i
                while i < n and value[i] != ";":
                    i += 1
                val = value[k:i].strip()
        if key:
            params[key] = val
        if i < n and value[i] == ";":
            i += 1
    return main, params


def boundary_from_content_type(ctype: str | None) -> bytes:
    if not ctype:
        raise MultipartError("no Content-Type")
    main, params = parse_header_params(ctype)
    if main != "multipart/form-data":
        raise MultipartError(f"Content-Type is {main!r}, not multipart/form-data")
    b = params.get("boundary", "")
    if not 1 <= len(b) <= 70:
        raise MultipartError("missing or invalid boundary")
    return b.encode("latin-1")


class MultipartParser:
    _PREAMBLE, _AFTER_DELIM, _HEADERS, _DATA, _DONE = range(5)

    def __init__(self, boundary: bytes, max_part_header: int = MAX_PART_HEADER, max_parts: int = MAX_PARTS):
        # The first delimiter may start the body without a CRLF before it; prefixing the
        # stream with one makes every delimiter "\r\n--boundary".
        self.delim = b"\r\n--" + boundary
        self.buf = bytearray(b"\r\n")
        self.state = self._PREAMBLE
        self.max_part_header = max_part_header
        self.max_parts = max_parts
        self.parts = 0

    @property
    def done(self) -> bool:
        return self.state == self._DONE

    def feed(self, data: bytes) -> list:
        events: list = []
        if self.state == self._DONE:
            return events  # epilogue: ignored
        self.buf += data
        keep = len(self.delim) - 1
        while True:
            if self.state == self._PREAMBLE:
                i = self.buf.find(self.delim)
                if i < 0:
                    if len(self.buf) > keep:
                        del self.buf[:len(self.buf) - keep]
                    return events
                del self.buf[:i + len(self.delim)]
                self.state = self._AFTER_DELIM
            elif self.state == self._AFTER_DELIM:
                if len(self.buf) < 2:
                    return events
                if self.buf[:2] == b"--":
                    self.state = self._DONE
                    self.buf.clear()
                    events.append(Done())
                    return events
                i = self.buf.find(b"\r\n")
                if i < 0:
                    if len(self.buf) > 256:
                        raise MultipartError("garbage after a boundary")
                    return events
                if self.buf[:i].strip(b" \t"):
                    raise MultipartError("garbage after a boundary")
                del self.buf[:i + 2]
                self.parts += 1
                if self.parts > self.max_parts:
                    raise MultipartError(f"more than {self.max_parts} parts")
                self.state = self._HEADERS
            elif self.state == self._HEADERS:
                if self.buf[:2] == b"\r\n":
                    block, consumed = b"", 2
                else:
                    i = self.buf.find(b"\r\n\r\n")
                    if i < 0:
                        if len(self.buf) > self.max_part_header:
                            raise MultipartError("part header block too large")
                        return events
                    if i > self.max_part_header:
                        raise MultipartError("part header block too large")
                    block, consumed = bytes(self.buf[:i]), i + 4
                del self.buf[:consumed]
                events.append(self._part(block))
                self.state = self._DATA
            elif self.state == self._DATA:
                i = self.buf.find(self.delim)
                if i < 0:
                    if len(self.buf) > keep:
                        cut = len(self.buf) - keep
                        events.append(Data(bytes(self.buf[:cut])))
                        del self.buf[:cut]
                    return events
                if i:
                    events.append(Data(bytes(self.buf[:i])))
                del self.buf[:i + len(self.delim)]
                events.append(PartEnd())
                self.state = self._AFTER_DELIM
            else:
                return events

    def close(self) -> None:
        if self.state != self._DONE:
            raise MultipartError("body ended before the closing boundary")

    @staticmethod
    def _part(block: bytes) -> Part:
        headers: dict[str, str] = {}
        for line in block.split(b"\r\n"):
            if not line:
                continue
            if b":" not in line:
                raise MultipartError("malformed part header line")
            k, v = line.split(b":", 1)
            headers[k.strip().decode("latin-1").lower()] = v.strip().decode("utf-8", "replace")
        disp = headers.get("content-disposition")
        if not disp:
            raise MultipartError("part without Content-Disposition")
        kind, params = parse_header_params(disp)
        if kind != "form-data" or "name" not in params:
            raise MultipartError("part is not form-data with a name")
        return Part(headers, params["name"], params.get("filename"), headers.get("content-type"))


def encode_fields(boundary: str, fields: list[tuple[str, str]]) -> bytes:
    """Plain text fields as multipart bytes without the closing boundary (for tests and
    the harness, which stream the file part after them)."""
    out = []
    for name, value in fields:
        out.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
    return "".join(out).encode()


def file_part_head(boundary: str, name: str, filename: str, content_type: str) -> bytes:
    quoted = filename.replace("\\", "\\\\").replace('"', '\\"')
    return (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{quoted}\"\r\n"
            f"Content-Type: {content_type}\r\n\r\n").encode()


def closing(boundary: str) -> bytes:
    return f"\r\n--{boundary}--\r\n".encode()
