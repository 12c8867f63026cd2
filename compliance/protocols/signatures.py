"""Signatures of the two protocols.

DRP: an agent's message is base64(Ed25519 signature (64 bytes) || JSON bytes) — libsodium's
"combined mode" (PyNaCl's SigningKey.sign) — checked against the verify key the operator registered.
OpenDSR: our responses and callbacks carry X-OpenDSR-Signature, base64 of an RSA PKCS#1 v1.5
SHA-256 signature over the exact body bytes, made with the processor key (OPENDSR_PRIVATE_KEY /
OPENDSR_CERTIFICATE, PEM, or *_FILE). Without them, DEBUG generates a development key and a
self-signed certificate into var/ and says so loudly; with DEBUG off they are required.
"""

import base64
import binascii
import datetime
import logging
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

SIGNATURE_BYTES = 64


class BadEncoding(ValueError):
    pass


class BadSignature(ValueError):
    pass


# --- DRP: Ed25519 combined mode -------------------------------------------------------------------


def split_signed(body: bytes | str) -> tuple[bytes, bytes]:
    """(signature, message) from a base64 signed message; BadEncoding when it is not one."""
    try:
        raw = base64.b64decode(body.strip() if isinstance(body, (bytes, str)) else body, validate=True)
    except (binascii.Error, ValueError):
        raise BadEncoding("not base64") from None
    if len(raw) <= SIGNATURE_BYTES:
        raise BadEncoding("too short")
    return raw[:SIGNATURE_BYTES], raw[SIGNATURE_BYTES:]


@lru_cache(maxsize=256)
def _verify_key(verify_key_b64: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(verify_key_b64))


def verify_ed25519(*, signature: bytes, message: bytes, verify_key_b64: str) -> None:
    try:
        _verify_key(verify_key_b64).verify(signature, message)
    except (InvalidSignature, ValueError):
        raise BadSignature("signature does not verify") from None


def sign_ed25519(private_key: Ed25519PrivateKey, message: bytes) -> str:
    """What an agent does (tests, docs, bench): base64(signature || message)."""
    return base64.b64encode(private_key.sign(message) + message).decode()


# --- OpenDSR: RSA-SHA256 over the body ------------------------------------------------------------


def _dev_dir() -> Path:
    return Path(getattr(settings, "VAR_DIR", Path("var")))


@lru_cache(maxsize=1)
def processor_keys() -> tuple[rsa.RSAPrivateKey, bytes]:
    """(private key, certificate PEM) used to sign OpenDSR responses and callbacks."""
    key_pem, cert_pem = settings.OPENDSR_PRIVATE_KEY, settings.OPENDSR_CERTIFICATE
    if key_pem and cert_pem:
        key = serialization.load_pem_private_key(key_pem.encode(), password=None)
        return key, cert_pem.encode()
    if not settings.ALLOW_DEVELOPMENT_KEYS:
        raise ImproperlyConfigured("OPENDSR_PRIVATE_KEY and OPENDSR_CERTIFICATE must be set when DEBUG is off.")
    bundle = _dev_dir() / "opendsr-dev-key-and-cert.pem"
    if not bundle.exists():
        _write_dev_bundle(bundle)
    logger.warning("OpenDSR is signing with a generated, self-signed development key (%s). Never in production.", bundle)
    data = bundle.read_bytes()
    marker = b"-----BEGIN CERTIFICATE-----"
    key = serialization.load_pem_private_key(data[: data.index(marker)], password=None)
    return key, data[data.index(marker) :]


def _write_dev_bundle(path: Path) -> None:
    """Key and certificate in one file, written atomically (parallel test workers may race)."""
    import os
    import tempfile

    path.parent.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, processor_domain())])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    data = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ) + cert.public_bytes(serialization.Encoding.PEM)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".opendsr-dev-")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def processor_domain() -> str:
    from urllib.parse import urlsplit

    return settings.OPENDSR_PROCESSOR_DOMAIN or urlsplit(settings.SITE_URL).hostname or "localhost"


def sign_rsa(body: bytes) -> str:
    key, _ = processor_keys()
    return base64.b64encode(key.sign(body, padding.PKCS1v15(), hashes.SHA256())).decode()


def verify_rsa(*, body: bytes, signature_b64: str, certificate_pem: bytes) -> None:
    """What a controller does with our callbacks (tests, docs)."""
    public_key = x509.load_pem_x509_certificate(certificate_pem).public_key()
    try:
        public_key.verify(base64.b64decode(signature_b64), body, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError, binascii.Error):
        raise BadSignature("signature does not verify") from None
