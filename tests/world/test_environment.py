"""The service environment (world/environment.py): the knobs, the approvals a reform leaves, and
the counter time training takes."""

from __future__ import annotations

from dataclasses import fields

import pytest

from world.catalogue import Catalogue
from world.environment import ServiceEnvironment


def test_knob_names_are_the_fields_an_intervention_may_own() -> None:
    names = ServiceEnvironment.knob_names()
    assert not names & {"catalogue", "disruptions", "_remaining"}
    assert names == {f.name for f in fields(ServiceEnvironment)} - {
        "catalogue", "disruptions", "_remaining",
    }  # fmt: skip
    assert {"online_share", "first_contact", "removal_share", "staff_factor"} <= names


def _service_with_removable(catalogue: Catalogue, at_least: int) -> int:
    for i, s in enumerate(catalogue.services):
        if sum(a.removable for a in s.approvals) >= at_least:
            return i
    raise AssertionError(f"no service with {at_least} removable approvals")


def test_no_removal_keeps_every_approval(catalogue) -> None:
    env = ServiceEnvironment(catalogue)
    for i, s in enumerate(catalogue.services):
        assert env.approvals(i) == tuple(s.approvals)


def test_full_removal_keeps_only_the_approvals_that_must_stay(catalogue) -> None:
    env = ServiceEnvironment(catalogue, removal_share=1.0)
    for i, s in enumerate(catalogue.services):
        assert env.approvals(i) == tuple(a for a in s.approvals if not a.removable)


def test_a_removal_share_cuts_that_share_of_the_removable_approvals_in_order(catalogue) -> None:
    si = _service_with_removable(catalogue, 4)
    s = catalogue.services[si]
    removable = [a for a in s.approvals if a.removable]
    env = ServiceEnvironment(catalogue, removal_share=0.5)
    n_cut = round(0.5 * len(removable))
    cut = {a.key for a in removable[:n_cut]}  # the first ones listed go first
    kept = env.approvals(si)
    assert [a.key for a in kept] == [a.key for a in s.approvals if a.key not in cut]
    assert len(kept) == len(s.approvals) - n_cut
    # a larger share removes a superset
    env.removal_share = 0.75
    assert set(env.approvals(si)) < set(kept)


def test_approvals_are_cached_per_service_and_share(catalogue) -> None:
    si = _service_with_removable(catalogue, 2)
    env = ServiceEnvironment(catalogue, removal_share=0.5)
    first = env.approvals(si)
    assert env.approvals(si) is first  # the same result twice, computed once
    env.removal_share = 0.0
    full = env.approvals(si)
    assert full != first and full == tuple(catalogue.services[si].approvals)
    env.removal_share = 0.5  # a reform reverted and started again: the cached tuple
    assert env.approvals(si) is first
    assert ServiceEnvironment(catalogue, removal_share=0.5).approvals(si) == first


@pytest.mark.parametrize(
    ("courtesy", "learning", "cap", "expected"),
    [
        (0.0, 0.0, 0.9, 0.0),
        (0.2, 0.3, 0.9, 0.5),  # the two add up
        (0.2, 0.3, 0.4, 0.4),  # capped
        (0.6, 0.6, 0.9, 0.9),
        (0.1, 0.0, 0.0, 0.0),  # no training time allowed at all
    ],
)
def test_training_time_adds_both_trainings_up_to_the_cap(
    catalogue, courtesy, learning, cap, expected
) -> None:
    env = ServiceEnvironment(
        catalogue, courtesy_training_time=courtesy, learning_training_time=learning
    )
    assert env.training_time(cap) == pytest.approx(expected)
