"""Files: streamed multipart uploads (or a loopback fileUrl fetched), file info and
deletion, downloads with single byte ranges, and files sent by phones. Nothing is held
whole in memory: bodies go to disk in 64 KiB pieces, hashed on the way."""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import os
import random
import re
import time
import urllib.parse

from . import http11, maap, multipart
from .http11 import HttpError, Response
from .maap import ApiError
from .model import Bot, Phone, Platform, StoredFile

MULTIPART_SLACK = 64 * 1024      # multipart framing allowed on top of max_file_size
MAX_FIELD = 8192                 # a non-file form field


class FileApi:
    """Mixed into MaapServer."""

    def _new_file_path(self) -> str:
        return os.path.join(self.data_dir, f"f-{maap.new_id()}")

    def _store(self, p: Platform, bot: str | None, origin: str, tmp: str, size: int, sha: str, ctype: str,
               name: str, until: str | None) -> StoredFile:
        fid = maap.new_id()
        path = os.path.join(self.data_dir, fid)
        os.replace(tmp, path)
        safe = urllib.parse.quote(name or "file", safe="")
        f = StoredFile(fid, p.name, bot, origin, path, size, sha, ctype, name, f"{p.content_prefix()}{fid}/{safe}",
                       until or maap.iso_in(float(p.cfg["file_validity"])))
        self.files[fid] = f
        return f

    async def h_upload(self, p: Platform, bot: Bot, req: http11.Request, info: dict) -> Response:
        try:
            boundary = multipart.boundary_from_content_type(req.header("content-type"))
        except multipart.MultipartError as e:
            raise ApiError(415 if "not multipart" in str(e) or "no Content-Type" in str(e) else 400,
                           f"a file upload is multipart/form-data: {e}") from None
        limit = int(p.cfg["max_file_size"])
        body = req.body
        if body.length is not None and body.length > limit + MULTIPART_SLACK:
            self.event("file_rejected", platform=p.name, bot=bot.id, reason="too_large", declared=body.length,
                       limit=limit)
            raise ApiError(413, f"upload of {body.length} bytes is over the platform's limit of {limit} bytes")
        parser = multipart.MultipartParser(boundary)
        fields: dict[str, str] = {}
        cur = None            # ("file", fobj) or ("field", name, bytearray) or ("skip",)
        tmp = self._new_file_path()
        fobj = None
        size, sha = 0, hashlib.sha256()
        part_ctype = part_name = None
        got_file = False
        try:
            while True:
                data = await body.read()
                if not data:
                    break
                try:
                    events = parser.feed(data)
                except multipart.MultipartError as e:
                    raise ApiError(400, f"malformed multipart body: {e}") from None
                for ev in events:
                    if isinstance(ev, multipart.Part):
                        if ev.name == "fileContent" or (ev.filename is not None and not got_file):
                            if got_file:
                                raise ApiError(400, "more than one file part")
                            got_file = True
                            part_ctype, part_name = ev.content_type, ev.filename
                            fobj = open(tmp, "wb")
                            cur = ("file",)
                        else:
                            cur = ("field", ev.name, bytearray())
                    elif isinstance(ev, multipart.Data):
                        if cur[0] == "file":
                            size += len(ev.data)
                            if size > limit:
                                self.event("file_rejected", platform=p.name, bot=bot.id, reason="too_large",
                                           received=size, limit=limit)
                                raise ApiError(413, f"file over the platform's limit of {limit} bytes")
                            sha.update(ev.data)
                            fobj.write(ev.data)
                        else:
                            cur[2].extend(ev.data)
                            if len(cur[2]) > MAX_FIELD:
                                raise ApiError(400, f"form field {cur[1]} longer than {MAX_FIELD} bytes")
                    elif isinstance(ev, multipart.PartEnd):
                        if cur[0] == "field":
                            fields[cur[1]] = cur[2].decode("utf-8", "replace")
                        elif fobj is not None:
                            fobj.close()
            try:
                parser.close()
            except multipart.MultipartError as e:
                raise ApiError(400, f"malformed multipart body: {e}") from None
            if fobj is not None and not fobj.closed:
                fobj.close()
            if got_file == bool(fields.get("fileUrl")):
                raise ApiError(400, "give exactly one of fileContent (a file part) or fileUrl")
            if fields.get("fileUrl"):
                size, digest, fetched_ctype = await self._fetch_url(p, fields["fileUrl"], tmp)
                part_ctype = part_ctype or fetched_ctype
                part_name = urllib.parse.unquote(urllib.parse.urlsplit(fields["fileUrl"]).path.rsplit("/", 1)[-1])
            else:
                digest = sha.hexdigest()
            ctype = fields.get("fileType") or part_ctype or "application/octet-stream"
            until = fields.get("until") or None
            f = self._store(p, bot.id, "upload", tmp, size, digest, ctype, part_name or "file", until)
        except ApiError:
            raise
        except HttpError as e:
            self.event("file_rejected", platform=p.name, bot=bot.id, reason="truncated", received=size,
                       error=str(e))
            raise
        finally:
            if fobj is not None and not fobj.closed:
                fobj.close()
            if os.path.exists(tmp):
                os.unlink(tmp)
        info["file_id"] = f.file_id
        self.event("file_uploaded", platform=p.name, bot=bot.id, file_id=f.file_id, size=f.size, sha256=f.sha256,
                   content_type=f.content_type, name=f.name, source="url" if fields.get("fileUrl") else "multipart")
        self.emit(bot, maap.ev_file_status(f.api_json()))
        loc = {"Location": f"{p.root}/bot/v1/{bot.id}/files/{f.file_id}"}
        if p.cfg["upload_response"] == "accepted":
            return Response.json(202, {"fileId": f.file_id}, loc)
        return Response.json(201, {"file": f.api_json()}, loc)

    async def _fetch_url(self, p: Platform, url: str, tmp: str) -> tuple[int, str, str | None]:
        u = urllib.parse.urlsplit(url)
        host = u.hostname or ""
        try:
            loop_ok = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loop_ok = False
        if u.scheme not in ("http", "https") or not loop_ok:
            raise ApiError(400, "this test platform only fetches fileUrl from loopback addresses")
        limit = int(p.cfg["max_file_size"])
        sha = hashlib.sha256()
        size = 0
        with open(tmp, "wb") as f:
            async def sink(piece: bytes) -> None:
                nonlocal size
                size += len(piece)
                if size > limit:
                    raise ApiError(413, f"the file at fileUrl is over the platform's limit of {limit} bytes")
                sha.update(piece)
                f.write(piece)
            try:
                r = await http11.fetch("GET", url, sink=sink, timeout=60.0,
                                       ssl_context=self.webhook_ssl)
            except ApiError:
                raise
            except Exception as e:  # noqa: BLE001
                raise ApiError(400, f"could not fetch fileUrl: {type(e).__name__}: {e}") from None
        if not 200 <= r.status < 300:
            raise ApiError(400, f"fetching fileUrl answered {r.status}")
        return size, sha.hexdigest(), r.headers.get("content-type")

    def h_file(self, p: Platform, bot: Bot, req: http11.Request, file_id: str, info: dict) -> Response:
        f = self.files.get(file_id)
        info["file_id"] = file_id
        if f is None or f.platform != p.name or f.deleted:
            raise ApiError(404, f"no file {file_id}")
        if req.method == "DELETE":
            if f.origin != "upload" or f.bot != bot.id:
                raise ApiError(403, "only the chatbot that uploaded a file may delete it")
            f.deleted = True
            try:
                os.unlink(f.path)
            except OSError:
                pass
            self.event("file_deleted", platform=p.name, bot=bot.id, file_id=file_id)
            return Response(204)
        return Response.json(200, {"file": f.api_json()})

    async def h_content(self, p: Platform, req: http11.Request, rest: str, info: dict) -> Response:
        file_id = rest.split("/", 1)[0]
        info["file_id"] = file_id
        f = self.files.get(file_id)
        if f is None or f.platform != p.name or f.deleted:
            raise ApiError(404, "no such file")
        if p.cfg["content_auth"]:
            tok = self._bearer(req)
            ok = tok is not None and (tok in p.tokens or (tok in p.minted and p.minted[tok][1] >= time.time()))
            if not ok:
                raise ApiError(401, "a bearer token is required", {"WWW-Authenticate": f'Bearer realm="{p.name}"'})
        start, end = 0, f.size - 1
        status = 200
        headers = {"Content-Type": f.content_type, "Accept-Ranges": "bytes", "ETag": f'"{f.sha256}"',
                   "Content-Disposition": "attachment; filename*=UTF-8''" + urllib.parse.quote(f.name, safe="")}
        rng = req.header("range")
        if rng:
            m = re.fullmatch(r"bytes=(\d*)-(\d*)", rng.strip())
            if not m or (not m.group(1) and not m.group(2)):
                raise ApiError(416, "only one bytes range is supported", {"Content-Range": f"bytes */{f.size}"})
            if m.group(1):
                start = int(m.group(1))
                end = min(int(m.group(2)), f.size - 1) if m.group(2) else f.size - 1
            else:
                start = max(0, f.size - int(m.group(2)))
            if start >= f.size or start > end:
                raise ApiError(416, "range not satisfiable", {"Content-Range": f"bytes */{f.size}"})
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{f.size}"
        length = end - start + 1 if f.size else 0
        state = {"sent": 0}
        # Fault content_cut: the answer announces the whole length, then the connection is
        # closed after `after` bytes of body (default: half).
        fault = self._take_fault(p, req.path, ("content_cut",)) if req.method != "HEAD" else None
        limit = length if fault is None else max(0, min(length, int(fault.get("after", length // 2))))

        async def chunks():
            with open(f.path, "rb") as fh:
                fh.seek(start)
                left = limit
                while left > 0:
                    piece = fh.read(min(http11.READ_SIZE, left))
                    if not piece:
                        break
                    left -= len(piece)
                    state["sent"] += len(piece)
                    yield piece

        resp = Response(status, headers, chunks=None if req.method == "HEAD" else chunks(), length=length)
        resp.cut = fault is not None
        if req.method == "HEAD":
            resp.headers["Content-Length"] = str(length)
            return resp

        def after():
            self.event("file_downloaded", platform=p.name, file_id=f.file_id, origin=f.origin, start=start,
                       bytes=state["sent"], complete=state["sent"] == length, size=f.size, sha256=f.sha256,
                       content_type=f.content_type)
        resp.after = after
        return resp


    async def phone_file(self, ph: Phone, bot: Bot, req: dict) -> dict:
        p = bot.platform
        name = str(req.get("name") or "file.bin")
        ctype = str(req.get("content_type") or "application/octet-stream")
        tmp = self._new_file_path()
        if req.get("path"):
            src = str(req["path"])
            size, digest = await asyncio.to_thread(_copy_hash, src, tmp)
        else:
            size = int(req["size"])
            size, digest = await asyncio.to_thread(_generate, tmp, size, int(req.get("seed", 0)))
        f = self._store(p, bot.id, "phone", tmp, size, digest, ctype, name, None)
        self.event("phone_file", platform=p.name, bot=bot.id, number=ph.number, file_id=f.file_id, size=size,
                   sha256=digest, content_type=ctype, name=name)
        content = {"fileMessage": {"fileName": name, "fileUrl": f.url, "fileMIMEType": ctype, "fileSize": size}}
        thumb = None
        if req.get("thumbnail_size"):
            # The picture a phone attaches to a photo or video (coco's file_image.json shape).
            ttype = str(req.get("thumbnail_type") or "image/jpeg")
            tmp = self._new_file_path()
            tsize, tdigest = await asyncio.to_thread(_generate, tmp, int(req["thumbnail_size"]),
                                                     int(req.get("thumbnail_seed", 1)))
            thumb = self._store(p, bot.id, "phone", tmp, tsize, tdigest, ttype, "thumb-" + name, None)
            content["fileMessage"].update({"thumbnailUrl": thumb.url, "thumbnailMIMEType": ttype,
                                           "thumbnailFileSize": tsize, "thumbnailFileName": thumb.name})
        im = self.phone_message(ph, bot, "fileMessage", content, f)
        out = {"msg_id": im.msg_id, **f.as_json()}
        if thumb is not None:
            out["thumbnail"] = thumb.as_json()
        return out



def _copy_hash(src: str, dst: str) -> tuple[int, str]:
    sha, size = hashlib.sha256(), 0
    with open(src, "rb") as a, open(dst, "wb") as b:
        while True:
            piece = a.read(1024 * 1024)
            if not piece:
                break
            sha.update(piece)
            b.write(piece)
            size += len(piece)
    return size, sha.hexdigest()


def deterministic_chunks(size: int, seed: int, chunk: int = 1024 * 1024):
    """The pseudo-random content a phone sends for (size, seed): tests regenerate it."""
    rng = random.Random(seed)
    left = size
    while left > 0:
        n = min(chunk, left)
        yield rng.randbytes(n)
        left -= n


def _generate(dst: str, size: int, seed: int) -> tuple[int, str]:
    sha = hashlib.sha256()
    with open(dst, "wb") as f:
        for piece in deterministic_chunks(size, seed):
            sha.update(piece)
            f.write(piece)
    return size, sha.hexdigest()


# ---------------------------------------------------------------------------------
