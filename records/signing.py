"""PAdES signatures on issued letters (TTE), and their verification.

This is the only module of Lemari that imports pyHanko, so the signing and trust rules live
in one place.  A certified e-signature in Indonesia uses a BSrE (BSSN) certificate; until an
office has one, ``ensure_demo_pki`` creates a clearly labelled demo CA and office certificate
so the whole flow works out of the box.  ``PadesSigner`` takes either.

Passphrases are used once to decrypt the key and never stored.  Signing does not touch the
archive: callers keep the unsigned original, run ``verify_pdf`` on the signed bytes and only
then replace anything (kecamatan-facts §8.2, OpenSID's TTE-corrupted PDFs).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from pyhanko.keys import load_certs_from_pemder_data
from pyhanko.pdf_utils.generic import TextStringObject
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.metadata.model import VENDOR as PYHANKO_PRODUCER
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError as PyHankoSigningError
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from archive.blobstore.atomic import atomic_write_bytes, ensure_dir
from records.exceptions import DocumentProductionError
from records.locks import file_lock

logger = logging.getLogger(__name__)

SIGNATURE_FIELD = "Tanda Tangan Elektronik"
DEMO_CA_NAME = "Lemari Demo CA — BUKAN SERTIFIKAT RESMI"
DEMO_ORGANIZATION = "Pemerintah Kabupaten Kutai Kartanegara"
CA_VALIDITY = dt.timedelta(days=3652)
OFFICE_VALIDITY = dt.timedelta(days=1096)
#: Backdating of notBefore, so a certificate made a moment ago is valid on a host whose
#: clock is slightly behind.
CLOCK_SKEW = dt.timedelta(hours=1)
#: Uploads larger than this are refused before parsing; a letter is well under 1 MiB.
MAX_VERIFY_BYTES = 50 * 1024 * 1024
#: Room in the CMS signature beyond the embedded certificates: signed attributes, signer
#: info and the signature value (512 bytes for RSA-4096), with a wide margin.
CMS_OVERHEAD_BYTES = 4096
CA_FILE, CERT_FILE, KEY_FILE = "demo-ca.pem", "office-cert.pem", "office-key.pem"
#: Prefix and namespace of Lemari's XMP properties (records.pdf.XMP_NAMESPACE). pyHanko rewrites
#: the XMP packet when it signs; with the prefix registered it keeps the one the PDF/A extension
#: schema in the packet declares instead of inventing "ns0".
XMP_PREFIX, XMP_NAMESPACE = "lemari", "urn:lemari:pdf:1.0#"

MESSAGES = {
    "valid": "Tanda tangan sah",
    "unsigned": "Dokumen tidak bertanda tangan",
    "modified": "Dokumen telah diubah setelah ditandatangani",
    "untrusted": "Sertifikat penanda tangan tidak dipercaya",
    "broken": "Tanda tangan tidak cocok dengan isi dokumen",
    "unreadable": "Berkas bukan PDF yang dapat dibaca",
    "too_large": "Berkas terlalu besar untuk diperiksa",
}


class SigningError(DocumentProductionError):
    """A letter could not be signed; raised instead of pyHanko's own errors, which callers
    cannot name without importing pyHanko."""


class SigningKeyError(SigningError):
    """The certificate or private key could not be loaded (missing file, wrong passphrase…)."""


@dataclass(frozen=True)
class SigningConfig:
    """Where the office's signing material lives; ``demo`` marks the self-made demo PKI."""

    cert_path: Path
    key_path: Path
    ca_path: Path
    demo: bool


@dataclass(frozen=True)
class SignatureReport:
    """What a clerk or a citizen needs to know about a PDF's signature, in Indonesian."""

    status: str  # "valid", "invalid", "untrusted", "unsigned" or "modified"
    signer: str | None
    signed_at: dt.datetime | None  # the signer's own claim: PAdES B-B carries no timestamp
    intact: bool
    trusted: bool
    covers_whole_file: bool
    message: str


def ensure_demo_pki(pki_dir: Path, *, office_name: str = "Kecamatan Kota Bangun") -> SigningConfig:
    """Create the demo CA and office certificate on first use; afterwards reuse them.

    Reuse matters: letters signed earlier verify only against the CA that issued their
    certificate.  A lock keeps two processes starting at once from mixing two PKIs.
    """
    pki_dir = Path(pki_dir)
    config = SigningConfig(pki_dir / CERT_FILE, pki_dir / KEY_FILE, pki_dir / CA_FILE, demo=True)
    ensure_dir(pki_dir)
    with file_lock(pki_dir / ".lock"):
        if not all(path.is_file() for path in (config.cert_path, config.key_path, config.ca_path)):
            _write_demo_pki(config, office_name)
    return config


def _write_demo_pki(config: SigningConfig, office_name: str) -> None:
    """Issue a fresh CA and office certificate; the CA file is written last because its
    presence is what marks the set as complete.  The CA key is never written to disk."""
    now = dt.datetime.now(dt.UTC) - CLOCK_SKEW
    ca_key, office_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_cert = _ca_certificate(ca_key, now)
    office_cert = _office_certificate(office_key, ca_cert, ca_key, office_name, now)
    key_pem = office_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    atomic_write_bytes(config.key_path, key_pem, mode=0o600)
    atomic_write_bytes(config.cert_path, office_cert.public_bytes(serialization.Encoding.PEM))
    atomic_write_bytes(config.ca_path, ca_cert.public_bytes(serialization.Encoding.PEM))


def _ca_certificate(key: ec.EllipticCurvePrivateKey, now: dt.datetime) -> x509.Certificate:
    """A self-signed root whose name says, in Indonesian, that it is not an official certificate."""
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
        x509.NameAttribute(NameOID.COMMON_NAME, DEMO_CA_NAME),
    ])
    usage = _key_usage(key_cert_sign=True, crl_sign=True)
    return (
        _builder(name, name, key.public_key(), now, CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


def _office_certificate(
    key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    office_name: str,
    now: dt.datetime,
) -> x509.Certificate:
    """The Camat's signing certificate, with the key usages PAdES validators require."""
    place = office_name.removeprefix("Kecamatan ").strip()
    subject = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "ID"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEMO_ORGANIZATION),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, office_name),
        x509.NameAttribute(NameOID.COMMON_NAME, f"Camat {place} (DEMO)"),
    ])
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        _builder(subject, ca_cert.subject, key.public_key(), now, OFFICE_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def _builder(subject, issuer, public_key, now: dt.datetime, validity: dt.timedelta):
    """The fields every demo certificate shares."""
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + validity)
    )


def _key_usage(**enabled: bool) -> x509.KeyUsage:
    """A KeyUsage with only the named bits set (``content_commitment`` is nonRepudiation)."""
    bits = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
            "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")
    return x509.KeyUsage(**{bit: enabled.get(bit, False) for bit in bits})


class PadesSigner:
    """Signs PDFs with one certificate as PAdES B-B, each signature an incremental update.

    Loading the key and building the certificate store is done once here, not per letter.
    The passphrase of an encrypted key (e.g. from BSrE) is only used to decrypt it now and
    is not kept; the decrypted key stays in memory for as long as this object lives.
    """

    def __init__(
        self,
        cert_path: Path,
        key_path: Path,
        chain_paths: Sequence[Path] = (),
        *,
        passphrase: bytes | None = None,
    ):
        chain = [str(path) for path in chain_paths]
        signer = signers.SimpleSigner.load(str(key_path), str(cert_path), chain, key_passphrase=passphrase)
        if signer is None:
            raise SigningKeyError(f"Sertifikat atau kunci penanda tangan tidak dapat dibaca: {cert_path}")
        self._signer = signer
        self._reserved = _reserved_hex_digits(signer)
        etree.register_namespace(XMP_PREFIX, XMP_NAMESPACE)

    @classmethod
    def from_config(cls, config: SigningConfig, *, passphrase: bytes | None = None) -> PadesSigner:
        """The signer for a configured office certificate (demo or real)."""
        return cls(config.cert_path, config.key_path, [config.ca_path], passphrase=passphrase)

    def sign(self, pdf: bytes, *, reason: str, location: str, name: str | None = None) -> bytes:
        """Append an invisible PAdES signature to pdf; the original bytes stay untouched.

        A letter that already carries Lemari's signature, or is not a readable PDF, raises
        SigningError.
        """
        meta = signers.PdfSignatureMetadata(
            field_name=SIGNATURE_FIELD,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=reason,
            location=location,
            name=name,
        )
        try:
            writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
            _align_producer(writer)
            pdf_signer = signers.PdfSigner(meta, signer=self._signer)
            output = pdf_signer.sign_pdf(writer, bytes_reserved=self._reserved)
        except (PdfError, PyHankoSigningError) as error:
            raise SigningError(f"Dokumen tidak dapat ditandatangani: {error}") from error
        return output.getvalue()


class CheckpointKey:
    """Detached signatures with the office's key, for the audit trail's checkpoints.

    The office key rather than an HMAC with the installation's secret: a checkpoint copied
    off the machine (a backup, a printed or mailed copy) can then be checked by anyone who has
    the office's certificate and CA, and checking it gives no power to make one. An HMAC
    would need the secret to check, and whoever checks could forge. ECDSA keys (the demo one)
    sign with ECDSA-SHA256, RSA keys (BSrE) with PKCS#1 v1.5-SHA256.
    """

    def __init__(self, cert_path: Path, key_path: Path, ca_path: Path, *,
                 passphrase: bytes | None = None):
        try:
            self._key = serialization.load_pem_private_key(key_path.read_bytes(), passphrase)
            self._cert_pem = cert_path.read_text(encoding="ascii")
            self._cas = x509.load_pem_x509_certificates(ca_path.read_bytes())
        except (OSError, ValueError, TypeError) as error:
            raise SigningKeyError(f"Kunci atau sertifikat kantor tidak dapat dibaca: {error}") from error

    @classmethod
    def from_config(cls, config: SigningConfig, *, passphrase: bytes | None = None) -> CheckpointKey:
        """The key of the configured office certificate (demo or real)."""
        return cls(config.cert_path, config.key_path, config.ca_path, passphrase=passphrase)

    def sign(self, data: bytes) -> tuple[str, str]:
        """(the office certificate as PEM, the signature over data as hex)."""
        if isinstance(self._key, ec.EllipticCurvePrivateKey):
            signature = self._key.sign(data, ec.ECDSA(hashes.SHA256()))
        elif isinstance(self._key, rsa.RSAPrivateKey):
            signature = self._key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        else:
            raise SigningKeyError("Jenis kunci kantor tidak didukung untuk titik periksa audit.")
        return self._cert_pem, signature.hex()

    def verify(self, data: bytes, certificate_pem: str, signature_hex: str) -> bool:
        """Whether the signature is the certificate's over data, and the certificate was
        issued by the office's CA (so a renewed office certificate still checks old ones)."""
        try:
            cert = x509.load_pem_x509_certificate(certificate_pem.encode("ascii"))
            if not any(_issued_by(cert, ca) for ca in self._cas):
                return False
            key, signature = cert.public_key(), bytes.fromhex(signature_hex)
            if isinstance(key, ec.EllipticCurvePublicKey):
                key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
            elif isinstance(key, rsa.RSAPublicKey):
                key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
            else:
                return False
        except (InvalidSignature, ValueError, TypeError, UnicodeError):
            return False
        return True


def _issued_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def _align_producer(writer: IncrementalPdfFileWriter) -> None:
    """Keep the signed letter PDF/A: pyHanko sets the XMP producer to itself but only appends
    itself to the info dictionary's, and PDF/A requires the two to be equal."""
    if "/Info" in writer.trailer:
        writer.trailer["/Info"]["/Producer"] = TextStringObject(PYHANKO_PRODUCER)
        writer.mark_update(writer.trailer.raw_get("/Info"))


def _reserved_hex_digits(signer: signers.SimpleSigner) -> int:
    """Room for the CMS signature, fixed once per certificate.

    Without it pyHanko makes a dummy signature per letter just to measure it, which doubles
    the signing time.  The CMS is written as hex, so each byte takes two digits.
    """
    certificates = [signer.signing_cert, *signer.cert_registry]
    return 2 * (sum(len(cert.dump()) for cert in certificates) + CMS_OVERHEAD_BYTES)


def verify_pdf(pdf: bytes, *, trust_roots_pem: list[bytes]) -> SignatureReport:
    """Check a PDF's signatures against the given root certificates.

    The PDF may be any upload, so every parsing or validation failure becomes an "invalid"
    report instead of an exception.  The trust roots are configuration, so a broken one
    raises rather than making every document look invalid.
    """
    roots = _trust_roots(trust_roots_pem)
    if len(pdf) > MAX_VERIFY_BYTES:
        return _invalid("too_large")
    try:
        return _verify(pdf, roots)
    except Exception:
        logger.debug("PDF could not be verified", exc_info=True)
        return _invalid("unreadable")


def _verify(pdf: bytes, roots: list) -> SignatureReport:
    """Validate every signature and report the first one that is not valid, else the only one.

    Lemari signs each letter once, so anything appended after that signature, including a
    second signature, is a modification: a letter altered and re-signed by another
    certificate holder (BSrE also certifies citizens) must not pass as valid.  pyHanko's
    diff analysis is skipped because it could only excuse such changes, and it is the
    costliest part of validation.
    """
    signatures = PdfFileReader(io.BytesIO(pdf)).embedded_regular_signatures
    if not signatures:
        return SignatureReport("unsigned", None, None, False, False, False, MESSAGES["unsigned"])
    context = ValidationContext(trust_roots=roots)
    statuses = [validate_pdf_signature(sig, context, skip_diff=True) for sig in signatures]
    failing = [s for s in statuses if _status_of(s) != "valid"]
    return _report(failing[0] if failing else statuses[-1])


def _trust_roots(trust_roots_pem: list[bytes]) -> list:
    """Every certificate in the given PEM blobs (a blob may hold a whole bundle)."""
    return [cert for blob in trust_roots_pem for cert in load_certs_from_pemder_data(blob)]


def _status_of(status: PdfSignatureStatus) -> str:
    """Broken cryptography outranks later changes, which outrank an unknown issuer."""
    if not (status.intact and status.valid):
        return "invalid"
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        return "modified"
    if not status.trusted:
        return "untrusted"
    return "valid"


def _report(status: PdfSignatureStatus) -> SignatureReport:
    """Translate pyHanko's status into Lemari's report."""
    verdict = _status_of(status)
    return SignatureReport(
        status=verdict,
        signer=status.signing_cert.subject.native.get("common_name"),
        signed_at=status.signer_reported_dt,
        intact=bool(status.intact),
        trusted=bool(status.trusted),
        covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        message=MESSAGES["broken" if verdict == "invalid" else verdict],
    )


def _invalid(reason: str) -> SignatureReport:
    """A report for input that could not be checked at all."""
    return SignatureReport("invalid", None, None, False, False, False, MESSAGES[reason])
