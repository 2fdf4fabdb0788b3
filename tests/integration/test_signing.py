"""PAdES signing and verification with real keys on real rendered letters."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from pypdf import PdfReader, PdfWriter

from records.pdf import PdfMetadata, PdfRenderer
from records.signing import PadesSigner, SigningError, SigningKeyError, ensure_demo_pki, verify_pdf

TEMPLATES = Path(__file__).resolve().parents[2] / "templates_pdf"
TITLE = "Surat Keterangan Domisili"
METADATA = PdfMetadata(TITLE, "Kecamatan Kota Bangun", document_number="400.12.2.1/7/Kec.KB/2026")
SIGN_ARGS = {"reason": "Surat keterangan domisili", "location": "Kota Bangun", "name": "AHMAD SUBANDI"}


def letter_context() -> dict:
    """What the sample SURAT KETERANGAN DOMISILI template needs (see test_pdf.py)."""
    holder = {
        "nama": "SITI AMINAH", "nik": "6402085512900001", "tempat_lahir": "Kota Bangun",
        "tanggal_lahir": dt.date(1990, 12, 15), "jenis_kelamin": "Perempuan", "agama": "Islam",
        "status_perkawinan": "Kawin", "pekerjaan": "Wiraswasta", "kewarganegaraan": "WNI",
        "alamat": "RT 003, Desa Kota Bangun Ilir", "no_kk": "6402080101100002",
    }
    signer = {
        "jabatan": "Camat Kota Bangun", "nama": "AHMAD SUBANDI, S.Sos.",
        "pangkat": "Pembina", "golongan": "IV/a", "nip": "198609262015051001",
    }
    return {
        "office": {"address": "Jl. Pesut No. 1, Kota Bangun"}, "nomor": METADATA.document_number,
        "holder": holder, "desa": "Kota Bangun Ilir", "keperluan": "Persyaratan bank", "signer": signer,
        "place": "Kota Bangun", "issued_on": dt.date(2026, 11, 28),
        "verification": {"code": "KB7Q-2M4X-9TRA", "url": "https://lemari.example/v/KB7Q2M4X9TRA"},
    }


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return ensure_demo_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def roots(pki) -> list[bytes]:
    return [pki.ca_path.read_bytes()]


@pytest.fixture(scope="module")
def signer(pki) -> PadesSigner:
    return PadesSigner.from_config(pki)


@pytest.fixture(scope="module")
def unsigned() -> bytes:
    return PdfRenderer([TEMPLATES]).render("sample/document.html", letter_context(), metadata=METADATA).pdf


@pytest.fixture(scope="module")
def signed(signer, unsigned) -> bytes:
    return signer.sign(unsigned, **SIGN_ARGS)


def test_demo_pki_is_created_once_with_private_keys(tmp_path):
    first = ensure_demo_pki(tmp_path / "pki")
    files = {path: path.read_bytes() for path in (first.cert_path, first.key_path, first.ca_path)}
    second = ensure_demo_pki(tmp_path / "pki")
    assert second == first and first.demo
    assert {path: path.read_bytes() for path in files} == files
    assert os.stat(first.key_path).st_mode & 0o777 == 0o600
    assert os.stat(first.cert_path).st_mode & 0o777 == 0o644


def name_of(cert: x509.Certificate, oid) -> str:
    return cert.subject.get_attributes_for_oid(oid)[0].value


def test_demo_certificates_say_what_they_are(pki):
    ca = x509.load_pem_x509_certificate(pki.ca_path.read_bytes())
    office = x509.load_pem_x509_certificate(pki.cert_path.read_bytes())
    assert name_of(ca, NameOID.COMMON_NAME) == "Lemari Demo CA — BUKAN SERTIFIKAT RESMI"
    assert office.issuer == ca.subject
    assert name_of(office, NameOID.COMMON_NAME) == "Camat Kota Bangun (DEMO)"
    assert name_of(office, NameOID.ORGANIZATION_NAME) == "Pemerintah Kabupaten Kutai Kartanegara"
    usage = office.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    assert (ca.not_valid_after_utc - ca.not_valid_before_utc).days // 365 == 10
    assert (office.not_valid_after_utc - office.not_valid_before_utc).days // 365 == 3


def test_signed_letter_verifies(signed, unsigned, roots):
    report = verify_pdf(signed, trust_roots_pem=roots)
    assert report.status == "valid", report
    assert report.signer == "Camat Kota Bangun (DEMO)"
    assert report.intact and report.trusted and report.covers_whole_file
    assert report.message == "Tanda tangan sah"
    assert abs(report.signed_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=10)
    assert signed.startswith(unsigned), "the signature is an incremental update"


def test_signed_letter_still_reads_as_pdfa(signed):
    reader = PdfReader(io.BytesIO(signed))
    assert "SITI AMINAH" in reader.pages[0].extract_text()
    assert reader.metadata.title == TITLE
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3"' in xmp
    fields = reader.get_fields()
    assert fields["Tanda Tangan Elektronik"]["/FT"] == "/Sig"


def test_signed_letter_keeps_lemari_xmp_and_a_consistent_producer(signed):
    """pyHanko rewrites the XMP packet when it signs: the record's number must survive it, and
    the info dictionary's producer must still equal the XMP one (a PDF/A rule)."""
    reader = PdfReader(io.BytesIO(signed))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert 'lemari:DocumentNumber="400.12.2.1/7/Kec.KB/2026"' in xmp
    assert 'xmlns:lemari="urn:lemari:pdf:1.0#"' in xmp and "pdfaExtension:schemas" in xmp
    assert xmp.count("<rdf:RDF") == 1
    [producer] = re.findall(r'pdf:Producer="([^"]*)"', xmp)
    assert reader.metadata["/Producer"] == producer


def test_signing_xmp_namespace_is_the_renderers():
    from records import pdf, signing

    assert signing.XMP_NAMESPACE == pdf.XMP_NAMESPACE


def test_flipped_byte_in_signed_content_is_invalid(signed, roots):
    in_stream = signed.index(b"stream\n") + 40
    for offset in (in_stream, len(signed) // 3):
        tampered = bytearray(signed)
        tampered[offset] ^= 0x01
        report = verify_pdf(bytes(tampered), trust_roots_pem=roots)
        assert report.status == "invalid" and not report.intact, (offset, report)


def changed_title(pdf: bytes) -> bytes:
    writer = PdfWriter(io.BytesIO(pdf), incremental=True)
    writer.add_metadata({"/Title": "Surat Palsu"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def extra_bytes(pdf: bytes) -> bytes:
    return pdf + b"\n% tambahan\n"


@pytest.mark.parametrize("tamper", [changed_title, extra_bytes])
def test_anything_appended_after_signing_is_modified(signed, roots, tamper):
    report = verify_pdf(tamper(signed), trust_roots_pem=roots)
    assert report.status == "modified", report
    assert report.intact and not report.covers_whole_file
    assert report.message == "Dokumen telah diubah setelah ditandatangani"


def test_unsigned_letter(unsigned, roots):
    report = verify_pdf(unsigned, trust_roots_pem=roots)
    assert (report.status, report.message) == ("unsigned", "Dokumen tidak bertanda tangan")


def test_other_ca_is_untrusted(tmp_path, unsigned, roots):
    other = ensure_demo_pki(tmp_path / "other")
    signed = PadesSigner.from_config(other).sign(unsigned, **SIGN_ARGS)
    report = verify_pdf(signed, trust_roots_pem=roots)
    assert report.status == "untrusted" and report.intact and not report.trusted, report
    assert report.message == "Sertifikat penanda tangan tidak dipercaya"
    assert verify_pdf(signed, trust_roots_pem=[other.ca_path.read_bytes()]).status == "valid"


JUNK = [b"", b"garbage", b"%PDF-1.7\n%%EOF\n", os.urandom(4096), b"%PDF-" + b"[" * 100_000]


@pytest.mark.parametrize("junk", JUNK)
def test_junk_is_invalid_without_raising(junk, roots):
    report = verify_pdf(junk, trust_roots_pem=roots)
    assert report.status == "invalid" and report.message


def test_truncated_signed_letter_is_invalid(signed, roots):
    assert verify_pdf(signed[: len(signed) // 2], trust_roots_pem=roots).status == "invalid"


@pytest.mark.parametrize("document", ["signed", "junk"])
def test_signing_twice_or_signing_junk_raises_our_error(signer, signed, document):
    with pytest.raises(SigningError, match="tidak dapat ditandatangani"):
        signer.sign(signed if document == "signed" else b"garbage", **SIGN_ARGS)


def test_encrypted_key_needs_its_passphrase_and_does_not_keep_it(pki, tmp_path, unsigned, roots):
    key = serialization.load_pem_private_key(pki.key_path.read_bytes(), password=None)
    encrypted = tmp_path / "bsre-key.pem"
    encrypted.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"rahasia-camat")))
    with pytest.raises(SigningKeyError):
        PadesSigner(pki.cert_path, encrypted, [pki.ca_path], passphrase=b"salah")
    signer = PadesSigner(pki.cert_path, encrypted, [pki.ca_path], passphrase=b"rahasia-camat")
    assert b"rahasia-camat" not in repr(vars(signer)).encode()
    assert verify_pdf(signer.sign(unsigned, **SIGN_ARGS), trust_roots_pem=roots).status == "valid"
