"""The procedure flowchart is drawn from the steps: one lane per actor used, every step drawn,
arrows between consecutive steps, text escaped, and any length fits a page box."""

import xml.etree.ElementTree as ET

from records.publikasi.flowchart import build_chart
from records.publikasi.services.standards import PELAKSANA

SVG = "{http://www.w3.org/2000/svg}"
LANES = list(PELAKSANA.items())


def steps(n, actors=("warga", "rt_desa", "petugas", "camat")):
    return [{"pelaksana": actors[i % len(actors)], "kegiatan": f"Kegiatan nomor {i + 1}",
             "waktu": "1 hari", "output": f"Hasil {i + 1}"} for i in range(n)]


def texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def test_only_used_actors_get_a_lane_in_the_declared_order():
    chart = build_chart("Uji", steps(3, ("camat", "warga")), LANES)
    labels = texts(chart.svg)
    assert "Pemohon" in labels and "Camat / Sekcam" in labels
    assert "RT/RW dan Desa" not in labels and "Dinas Dukcapil" not in labels
    assert labels.index("Pemohon") < labels.index("Camat / Sekcam")


def test_fifteen_steps_are_all_drawn_with_fourteen_arrows_and_fit_a_landscape_page():
    chart = build_chart("Panjang", steps(15), LANES)
    root = ET.fromstring(chart.svg)
    numbers = [t for t in texts(chart.svg) if t.isdigit()]
    assert [str(n) for n in range(1, 16)] == sorted(set(numbers), key=int)
    assert len(list(root.iter(f"{SVG}polyline"))) == 14
    width, height = chart.fit(273, 156)
    assert width <= 273 and height <= 156 and max(width / 273, height / 156) > 0.999
    assert all(f"Kegiatan nomor {n}" in " ".join(texts(chart.svg)) for n in range(1, 16))


def test_a_lane_change_turns_at_right_angles_and_the_same_lane_goes_straight_down():
    root = ET.fromstring(build_chart("x", steps(3, ("warga", "warga", "camat")), LANES).svg)
    lines = [p.get("points").split() for p in root.iter(f"{SVG}polyline")]
    assert len(lines[0]) == 2 and len(lines[1]) == 4


def test_text_is_escaped_so_a_step_cannot_inject_markup():
    chart = build_chart("<script>", [{"pelaksana": "warga", "kegiatan": "<b onload='x'>&"}], LANES)
    root = ET.fromstring(chart.svg)  # still well-formed XML
    assert not list(root.iter(f"{SVG}script")) and not list(root.iter("b"))
    assert "<b onload='x'>&" in " ".join(texts(chart.svg))


def test_sized_sets_the_page_size_attributes():
    svg = build_chart("x", steps(2), LANES).sized("100mm", "50mm")
    root = ET.fromstring(svg)
    assert root.get("width") == "100mm" and root.get("height") == "50mm"


def test_a_short_procedure_gets_taller_rows_to_fill_its_page_box():
    from records.publikasi.flowchart import fill_box

    short = fill_box("x", steps(7), LANES, 273, 156)
    assert abs(short.height / short.width - 156 / 273) < 0.01
    long = fill_box("x", steps(30), LANES, 273, 156)
    assert long.height == build_chart("x", steps(30), LANES).height  # never squeezed
    capped = fill_box("x", steps(2), LANES, 273, 156)
    assert capped.height < capped.width * 156 / 273  # rows stop growing at a sane height
