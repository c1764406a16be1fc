"""The service environment: the knobs reform policies turn and the case flow reads.

Interventions change these values (and only these); agents and the case flow never ask which
policy is on. Each knob is owned by exactly one intervention type, so reverting one never undoes
another.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from world.catalogue import ApprovalSpec, Catalogue


@dataclass
class ServiceEnvironment:
    """Channels, rules and the catalogue view of one city, as reforms have left them."""

    catalogue: Catalogue
    one_stop_share: float = 0.0  # share of cases submitted once at a service centre
    parallel_share: float = 0.0  # share of cases whose approvals run at the same time
    removal_share: float = 0.0  # share of removable approvals abolished
    abolished: frozenset = frozenset()  # approvals abolished by name (a dated reform)
    effort_factor: float = 1.0  # counter work per approval, relative to the catalogue
    lead_factor: float = 1.0  # decision lead time, relative to the catalogue
    transparency: float = 0.0  # requirements and fees published (0-1)
    online_share: float = 0.0  # share of online-eligible approvals open online, any day
    green_channel_share: float = 0.0  # share of enterprise cases given the priority lane
    first_contact: float = 0.0  # share of would-be bounces routed internally instead
    courtesy_target: float | None = None  # courtesy that service training raises toward
    courtesy_training_time: float = 0.0  # share of counter time spent on service training
    courtesy_training: float = 0.0  # intensity of service training (0-1)
    complaint_response: float = 0.0  # complaint channel strength: filing and correction (0-1)
    training_rate: float = 0.0  # daily skill gain from training (share of the gap to 1)
    diffusion_rate: float = 0.0  # daily pull of skill toward neighbouring offices' level
    learning_training_time: float = 0.0  # share of counter time spent on learning
    staff_factor: float = 1.0  # counter staff relative to the baseline establishment
    disruptions: int = 0  # process reforms started; offices lose skill once per start
    _remaining: dict = field(default_factory=dict, repr=False)

    @classmethod
    def knob_names(cls) -> set[str]:
        """The attributes an intervention may own."""
        return {f.name for f in fields(cls)} - {"catalogue", "disruptions", "_remaining"}

    def approvals(self, service_index: int) -> tuple[ApprovalSpec, ...]:
        """The approvals a new case of this service needs under the current reforms."""
        key = (service_index, self.removal_share, self.abolished)
        got = self._remaining.get(key)
        if got is None:
            kept = self.catalogue.services[service_index].remaining_approvals(self.removal_share)
            got = tuple(a for a in kept if a.key not in self.abolished)
            self._remaining[key] = got
        return got

    def training_time(self, cap: float) -> float:
        """Share of counter time lost to all training, at most `cap` (`max_training_share`)."""
        return min(cap, self.courtesy_training_time + self.learning_training_time)
