"""The `nut` fixture: NUT rigs (nut_rig.NutRig) closed after each test."""

import pytest
from nut_rig import NutRig, require_nut


@pytest.fixture
def nut(tmp_path):
    """Build rigs in this test's folder; every rig is closed after the test."""
    require_nut()
    rigs: list[NutRig] = []

    def make(definition: str, *, suffix: str = "seq", driver: bool = True) -> NutRig:
        rig = NutRig(tmp_path / f"nut{len(rigs)}", definition, suffix=suffix)
        rigs.append(rig)
        rig.start_upsd()
        if driver:
            rig.start_driver()
        return rig

    yield make
    for rig in rigs:
        rig.close()
