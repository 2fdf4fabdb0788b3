"""The satisfaction index (IKM) per PermenPANRB 14/2017: NRR per element, weights 1/9,
conversion × 25, and the regulation's grade intervals at their edges."""

from types import SimpleNamespace

import pytest

from records.survei.services import KEYS, UNSUR, compute_index, grade


def response(*scores):
    return SimpleNamespace(**dict(zip(KEYS, scores, strict=True)))


def test_nine_elements_in_the_regulations_order():
    assert [u.name for u in UNSUR] == [
        "Persyaratan", "Sistem, mekanisme, dan prosedur", "Waktu penyelesaian", "Biaya/tarif",
        "Produk spesifikasi jenis pelayanan", "Kompetensi pelaksana", "Perilaku pelaksana",
        "Penanganan pengaduan, saran dan masukan", "Sarana dan prasarana"]
    assert all(len(u.answers) == 4 for u in UNSUR)


def test_index_of_a_worked_example():
    rows = [response(4, 3, 2, 4, 3, 3, 4, 2, 3), response(3, 3, 3, 4, 3, 4, 4, 2, 2),
            response(4, 4, 2, 4, 4, 3, 4, 3, 3), response(3, 2, 1, 4, 3, 3, 3, 1, 2)]
    index = compute_index(rows)
    assert index.respondents == 4
    assert index.nrr == (3.5, 3.0, 2.0, 4.0, 3.25, 3.25, 3.75, 2.0, 2.5)
    # Σ NRR = 27.25; × 1/9 = 3.0278; × 25 = 75.69 → C (Kurang baik): 65.00–76.60
    assert index.ikm == pytest.approx(27.25 / 9)
    assert index.conversion == pytest.approx(27.25 / 9 * 25)
    assert (index.mutu, index.kinerja) == ("C", "Kurang baik")


def test_no_responses_no_index():
    assert compute_index([]) is None


@pytest.mark.parametrize(("value", "mutu"), [
    (100, "A"), (88.31, "A"), (88.30, "B"), (76.61, "B"), (76.60, "C"), (65.00, "C"),
    (64.99, "D"), (25, "D")])
def test_grade_intervals(value, mutu):
    assert grade(value)[0] == mutu
