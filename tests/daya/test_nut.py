"""The NUT client against NUT's own upsd and dummy-ups driver: readings, and every way a UPS
can be missing (refused, unknown name, no driver) as UpsUnreachable, never a crash."""

import pytest
from nut_rig import UPS, free_port, nut_fixture, wait_for  # noqa: F401  (the `nut` fixture)

from records.daya.nut import UpsUnreachable, parse_var, read_ups

STATIC = "ups.status: OB DISCHRG\nbattery.charge: 57\nbattery.runtime: 840\nups.mfr: Uji Kantor\n"


def _reading(rig, ups=UPS):
    try:
        return read_ups("127.0.0.1", rig.port, ups, timeout=2)
    except UpsUnreachable:
        return None


def test_a_reading_carries_the_status_flags_and_the_battery(nut):
    rig = nut(STATIC, suffix="dev")
    reading = wait_for(lambda: _reading(rig), what="the first reading")
    assert reading.flags == {"OB", "DISCHRG"}
    assert reading.on_battery and not reading.low_battery and not reading.online
    assert (reading.charge, reading.runtime) == (57, 840)
    assert reading.variables["ups.mfr"] == "Uji Kantor"


def test_an_unknown_ups_name_is_said_in_indonesian(nut):
    rig = nut(STATIC, suffix="dev")
    wait_for(lambda: _reading(rig), what="the first reading")
    with pytest.raises(UpsUnreachable, match="tidak dikenal"):
        read_ups("127.0.0.1", rig.port, "lain", timeout=2)


def test_a_driver_that_stops_answering_makes_the_ups_unreachable(nut):
    rig = nut(STATIC, suffix="dev")
    wait_for(lambda: _reading(rig), what="the first reading")
    rig.stop_driver()
    error = wait_for(lambda: _error(rig), what="upsd to notice the driver is gone", timeout=60)
    assert "driver" in error or "basi" in error


def _error(rig):
    try:
        read_ups("127.0.0.1", rig.port, UPS, timeout=2)
    except UpsUnreachable as exc:
        return str(exc)
    return None


def test_no_upsd_is_a_refused_connection_not_a_crash():
    with pytest.raises(UpsUnreachable, match="menolak sambungan"):
        read_ups("127.0.0.1", free_port(), UPS, timeout=2)


def test_a_var_line_is_unescaped_and_a_foreign_line_refused():
    assert parse_var(r'VAR kantor ups.mfr "A \"B\" \\ C"', "kantor") == ("ups.mfr", r'A "B" \ C')
    with pytest.raises(UpsUnreachable):
        parse_var('VAR lain ups.status "OL"', "kantor")
    with pytest.raises(UpsUnreachable):
        parse_var("VAR kantor ups.status OL", "kantor")
    with pytest.raises(UpsUnreachable, match="tidak sah"):
        read_ups("127.0.0.1", 1, "a b")
