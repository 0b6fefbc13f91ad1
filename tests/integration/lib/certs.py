"""Throwaway certificates for tests, made by the openssl command line in the test's own
temporary directory (never committed, valid for one day, EC P-256 keys without a
passphrase):

    cert, key = certs.self_signed(tmp, "admin")            # for 127.0.0.1
    ca_cert, ca_key = certs.ca(tmp, "test-ca")
    cert, key = certs.signed(tmp, "login", ca_cert, ca_key)            # for 127.0.0.1
    cert, key = certs.signed(tmp, "other", ca_cert, ca_key, san="IP:127.0.0.2")

Standard library only; also used by the test servers' self-tests (tests/peers), as
`tests.integration.lib.certs`.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

_EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def available() -> bool:
    """Whether the openssl command is there (tests that need it may skip otherwise)."""
    return shutil.which("openssl") is not None


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=30)


def self_signed(directory, name: str, san: str = "IP:127.0.0.1", cn: str = "127.0.0.1") -> tuple[Path, Path]:
    """A self-signed server certificate: (<name>.pem, <name>.key) in `directory`."""
    directory = Path(directory)
    key, cert = directory / f"{name}.key", directory / f"{name}.pem"
    _openssl("req", "-x509", *_EC_KEY, "-keyout", str(key), "-out", str(cert), "-days", "1",
             "-subj", f"/CN={cn}", "-addext", f"subjectAltName={san}")
    return cert, key


def ca(directory, name: str, cn: str = "passerelle test CA") -> tuple[Path, Path]:
    """A CA certificate and its key: (<name>.pem, <name>.key) in `directory`."""
    directory = Path(directory)
    key, cert = directory / f"{name}.key", directory / f"{name}.pem"
    _openssl("req", "-x509", *_EC_KEY, "-keyout", str(key), "-out", str(cert), "-days", "1",
             "-subj", f"/CN={cn}", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return cert, key


def signed(directory, name: str, ca_cert, ca_key, san: str = "IP:127.0.0.1",
           cn: str = "127.0.0.1") -> tuple[Path, Path]:
    """A server certificate issued by the CA (`ca()`): (<name>.pem, <name>.key)."""
    directory = Path(directory)
    key, cert = directory / f"{name}.key", directory / f"{name}.pem"
    csr, ext = directory / f"{name}.csr", directory / f"{name}.ext"
    ext.write_text(f"subjectAltName={san}\nbasicConstraints=critical,CA:FALSE\n"
                   "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
                   "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
    _openssl("req", "-new", *_EC_KEY, "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={cn}")
    _openssl("x509", "-req", "-in", str(csr), "-CA", str(ca_cert), "-CAkey", str(ca_key),
             "-CAcreateserial", "-CAserial", str(directory / f"{name}.srl"), "-days", "1",
             "-extfile", str(ext), "-out", str(cert))
    return cert, key
