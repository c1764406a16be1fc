"""A case and its own luck: the record of one service request, its visits, and its random numbers.

Each case draws from a counter-based stream keyed by the case, not from a stream shared by all
cases, so two runs with the same seed but different reforms give the same case the same luck
(common random numbers at the level of the case).
"""

from __future__ import annotations

import math

OPEN, COMPLETED, ABANDONED = 0, 1, 2
CITIZEN, ENTERPRISE = 0, 1

# arithmetic: SplitMix64's constants (Steele, Lea and Flood 2014) and 26-bit uniforms.
_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_TO_UNIT = 2.0**-26


def _splitmix64(x: int) -> int:
    """SplitMix64 finaliser: a well-mixed 64-bit number from a counter (Steele et al. 2014)."""
    z = (x + _GOLDEN) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


class CaseRandom:
    """A case's own random numbers: a counter-based stream keyed by the case.

    What happens at the counter is drawn from the case, not from a stream shared by all cases,
    so that two runs with the same seed but different reforms give the same case the same luck
    (common random numbers at the level of the case, which keeps paired comparisons sharp).
    """

    __slots__ = ("count", "key", "spare")

    def __init__(self, key: int) -> None:
        self.key = key
        self.count = 0
        self.spare = -1.0

    def u(self) -> float:
        """A uniform number in [0, 1), 26-bit resolution; each hash gives two."""
        if self.spare >= 0.0:
            x, self.spare = self.spare, -1.0
            return x
        self.count += 1
        z = _splitmix64((self.key + self.count * _GOLDEN) & _MASK)
        self.spare = (z & 0x3FFFFFF) * _TO_UNIT
        return (z >> 38) * _TO_UNIT

    def gamma(self, shape: float) -> float:
        """Gamma(shape, scale 1/shape): mean 1; exponential at shape 1 (Marsaglia-Tsang)."""
        if shape == 1.0:
            return -math.log(1.0 - self.u())
        boost = 1.0
        k = shape
        if k < 1.0:
            boost = (1.0 - self.u()) ** (1.0 / k)
            k += 1.0
        d = k - 1.0 / 3.0
        c = 1.0 / math.sqrt(9.0 * d)
        while True:
            r = math.sqrt(-2.0 * math.log(1.0 - self.u()))
            x = r * math.cos(2.0 * math.pi * self.u())
            v = (1.0 + c * x) ** 3
            if v > 0 and math.log(1.0 - self.u()) < 0.5 * x * x + d - d * v + d * math.log(v):
                return boost * d * v / shape


class Case(CaseRandom):
    """One service request, from asking to completion or abandonment, with its own luck."""

    __slots__ = (
        "bounces",
        "contacts",
        "courtesy",
        "created",
        "demanded",
        "digital",
        "fees",
        "handlers",
        "hours",
        "informed",
        "kind",
        "next",
        "one_stop",
        "outstanding",
        "paid",
        "parallel",
        "passed_over",
        "patience_day",
        "patience_slot",
        "priority",
        "procedures",
        "req",
        "returns",
        "service",
        "status",
        "submitted",
        "todo",
        "trips",
    )

    def __init__(
        self,
        kind,
        req,
        service,
        created,
        todo,
        one_stop,
        parallel,
        priority,
        digital,
        key,
        informed=False,
    ):
        CaseRandom.__init__(self, key)
        self.kind = kind
        self.req = req
        self.service = service
        self.created = created
        self.todo = todo
        self.one_stop = one_stop
        self.parallel = parallel
        self.priority = priority
        self.digital = digital
        self.informed = informed  # read the published requirements and fees before coming
        self.next = 0
        self.outstanding = 0
        self.trips = 0
        self.hours = 0.0
        self.procedures = 0
        self.returns = 0
        self.bounces = 0
        self.paid = 0.0
        self.fees = 0.0  # official fees paid, CNY
        self.passed_over = False  # queued in person while the priority lane was served first
        self.demanded = False
        self.courtesy = 0.0
        self.contacts = 0
        self.handlers: list[tuple[int, int, bool]] = []
        self.status = OPEN
        self.submitted = False
        # where the flow's agenda holds the end of its requester's patience (-1: nowhere)
        self.patience_day = -1
        self.patience_slot = -1


class Job:
    """One visit or submission of a case to an office's counter."""

    __slots__ = (
        "approval",
        "bounce_home",
        "case",
        "in_person",
        "online",
        "opened",
        "priority",
        "t",
        "work",
    )

    def __init__(self, case, approval, work, in_person, bounce_home):
        self.case = case
        self.approval = approval
        self.work = work
        self.priority = case.priority
        self.in_person = in_person
        self.bounce_home = bounce_home
        self.t = 0.0
        self.opened = 0
        self.online = False  # submitted online: decided by the back office, any day

    def live(self) -> bool:
        return self.case.status == OPEN
