"""The queue's fairness rule, proved on generated mornings (hypothesis).

A morning is any sequence of arrivals (priority or regular) and calls at one counter. Whatever
the sequence, the rule must: call only from a lane that has someone waiting, never leave a
waiting citizen uncalled, make at most two priority calls in a row that pass over a waiting
regular citizen, and so bound how long the first citizen of either lane waits.
"""

from collections import deque

from hypothesis import given, settings
from hypothesis import strategies as st

from records.antrian.rules import MAX_PRIORITY_STREAK, PRIORITY, REGULAR, choose_lane, priority_streak

EVENTS = st.lists(st.sampled_from(["P", "U", "call"]), max_size=200)


def simulate(events):
    """Run the rule; returns the calls as (lane, regular_waiting, priority_waiting, ticket)."""
    lanes = {PRIORITY: deque(), REGULAR: deque()}
    calls, serial = [], 0
    for event in events:
        if event != "call":
            serial += 1
            lanes[PRIORITY if event == "P" else REGULAR].append(serial)
            continue
        history = [(lane, regular) for lane, regular, _, _ in reversed(calls)]
        lane = choose_lane(priority_streak(history), bool(lanes[PRIORITY]), bool(lanes[REGULAR]))
        if lane is None:
            assert not lanes[PRIORITY] and not lanes[REGULAR]
            continue
        assert lanes[lane], "called from an empty lane"
        calls.append((lane, bool(lanes[REGULAR]), bool(lanes[PRIORITY]), lanes[lane].popleft()))
    return calls


@given(EVENTS)
def test_never_more_than_two_priority_calls_while_regular_waits(events):
    streak = 0
    for lane, regular_waiting, _, _ in simulate(events):
        streak = streak + 1 if (lane == PRIORITY and regular_waiting) else 0
        assert streak <= MAX_PRIORITY_STREAK


@given(EVENTS)
def test_priority_goes_first_unless_the_streak_is_full(events):
    calls = simulate(events)
    for index, (lane, regular_waiting, priority_waiting, _) in enumerate(calls):
        history = [(lane_, regular_) for lane_, regular_, _, _ in reversed(calls[:index])]
        if priority_waiting and priority_streak(history) < MAX_PRIORITY_STREAK:
            assert lane == PRIORITY
        if priority_waiting and regular_waiting and priority_streak(history) >= MAX_PRIORITY_STREAK:
            assert lane == REGULAR


@given(EVENTS)
def test_each_lane_is_first_come_first_served(events):
    served = {PRIORITY: [], REGULAR: []}
    for lane, _, _, ticket in simulate(events):
        served[lane].append(ticket)
    assert all(tickets == sorted(tickets) for tickets in served.values())


@given(EVENTS)
@settings(max_examples=300)
def test_no_lane_starves(events):
    """The head of the regular lane is called within three calls, the head of the priority
    lane within two: neither lane can be held back for ever by the other's arrivals."""
    lanes = {PRIORITY: deque(), REGULAR: deque()}
    waited = {PRIORITY: 0, REGULAR: 0}
    history, serial = [], 0
    for event in events:
        if event != "call":
            serial += 1
            lanes[PRIORITY if event == "P" else REGULAR].append(serial)
            continue
        lane = choose_lane(priority_streak(reversed(history)), bool(lanes[PRIORITY]), bool(lanes[REGULAR]))
        if lane is None:
            continue
        history.append((lane, bool(lanes[REGULAR])))
        lanes[lane].popleft()
        waited[lane] = 0
        other = REGULAR if lane == PRIORITY else PRIORITY
        if lanes[other]:
            waited[other] += 1
        assert waited[REGULAR] <= MAX_PRIORITY_STREAK
        assert waited[PRIORITY] <= 1


def test_streak_counts_only_calls_that_passed_over_a_regular_citizen():
    assert priority_streak([(PRIORITY, True), (PRIORITY, True), (REGULAR, True)]) == 2
    assert priority_streak([(PRIORITY, True), (PRIORITY, False), (PRIORITY, True)]) == 1
    assert priority_streak([(REGULAR, False), (PRIORITY, True)]) == 0
    assert priority_streak([]) == 0


def test_choose_lane_cases():
    assert choose_lane(0, False, False) is None
    assert choose_lane(5, True, False) == PRIORITY
    assert choose_lane(0, False, True) == REGULAR
    assert choose_lane(1, True, True) == PRIORITY
    assert choose_lane(2, True, True) == REGULAR
