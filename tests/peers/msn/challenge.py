"""Answers to the notification server's CHL challenge (checked by the server, computed
by the client).

- MSNP8 to MSNP10: the answer is md5(challenge + product key) in lower-case hex.
- MSNP11 and later: the documented "MSNP11 challenge" algorithm (NINA wiki / MSNPiki
  "MSNP11:Challenges"): the MD5 of challenge + product key, split into four
  little-endian 32-bit words masked with 0x7FFFFFFF, drives a 64-bit checksum over the
  challenge + product id (padded with ASCII '0' to a multiple of 8 bytes, read as
  little-endian 32-bit words); the two halves of that checksum are XORed into the
  (unmasked) MD5 words and the result is written out as hex.
"""

from __future__ import annotations

import hashlib
import struct

# product id -> (product key, highest protocol version it is valid for)
PRODUCTS = {
    "msmsgs@msnmsgr.com": ("Q1P7W2E4J9R8U3S5", 10),
    "PROD0038W!61ZTF9": ("VT6PX?UQTM4WM%YR", 10),
    "PROD0061VRRZH@4F": ("JXQ6J@TUOGYV@N0M", 10),
    "PROD0090YUAUV{2B": ("YMM8C_H7KCQ2S_KL", 99),
    "PROD0101{0RM?UBW": ("CFHUR$52U_{VIX5T", 99),
}

DEFAULT_PRODUCT = {8: "msmsgs@msnmsgr.com", 9: "msmsgs@msnmsgr.com", 10: "msmsgs@msnmsgr.com"}
MSNP11_PRODUCT = "PROD0090YUAUV{2B"

_MASK = 0x7FFFFFFF
_MAGIC = 0x0E79A9C1


def md5_answer(challenge: str, product_key: str) -> str:
    return hashlib.md5((challenge + product_key).encode("ascii")).hexdigest()


def msnp11_answer(challenge: str, product_id: str, product_key: str) -> str:
    digest = hashlib.md5((challenge + product_key).encode("ascii")).digest()
    words = struct.unpack("<4I", digest)
    h0, h1, h2, h3 = (w & _MASK for w in words)

    data = (challenge + product_id).encode("ascii")
    if len(data) % 8:
        data += b"0" * (8 - len(data) % 8)
    chunks = struct.unpack(f"<{len(data) // 4}I", data)

    hi = lo = 0
    for i in range(0, len(chunks), 2):
        t = (chunks[i] * _MAGIC) % _MASK
        t = (h0 * (t + hi) + h1) % _MASK
        hi = (h2 * ((chunks[i + 1] + t) % _MASK) + h3) % _MASK
        lo += hi + t
    hi = (hi + h1) % _MASK
    lo = (lo + h3) % _MASK

    out = struct.pack("<4I", words[0] ^ hi, words[1] ^ lo, words[2] ^ hi, words[3] ^ lo)
    return out.hex()


def answer(challenge: str, product_id: str, dialect: int) -> str | None:
    """The expected QRY payload, or None when the product id is unknown or not valid
    for that protocol version."""
    entry = PRODUCTS.get(product_id)
    if entry is None:
        return None
    key, max_dialect = entry
    if dialect >= 11:
        if max_dialect < 11:
            return None
        return msnp11_answer(challenge, product_id, key)
    if max_dialect >= 11:
        return None
    return md5_answer(challenge, key)


def product_for(dialect: int) -> str:
    return MSNP11_PRODUCT if dialect >= 11 else DEFAULT_PRODUCT.get(dialect, "msmsgs@msnmsgr.com")
