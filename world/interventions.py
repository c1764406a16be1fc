"""Reform policies as intervention objects, and the registry presets rebuild them from.

An intervention is an immutable specification (after Covasim's interventions, without their run
state): which environment knobs it owns, the values `settings()` gives them while it is on, its
start and end day, intensity and costs. `to_dict` gives back the data it was built from and
`build_intervention` builds it again. What happens in a run (the knobs' original values, whether
the policy is on, set-up paid, funds short) is kept by the city government
(`agents/government.py`), so one intervention can be shared by any number of models.
Interventions change the service environment only, never agent code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from world.environment import ServiceEnvironment
from world.errors import ParameterError, first_problem, unknown_name_message

REGISTRY: dict[str, type[Intervention]] = {}
SETUP_COST = "One-off cost at start, CNY per 10,000 residents"
DAILY_COST = "Running cost per day while on, CNY per 10,000 residents"


class Intervention(BaseModel):
    """One reform policy: registry key, start and end day, intensity (0-1) and cost.

    Frozen: equal data gives equal (and hashable) objects, and a change is a new intervention
    (`build_intervention({**x.to_dict(), "start": 30})`), validated like the first.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    key: ClassVar[str]
    label_en: ClassVar[str]
    label_zh: ClassVar[str]
    knobs: ClassVar[tuple[str, ...]]
    disrupts: ClassVar[bool] = False  # a process change: staff relearn (learning-curve dip)

    start: int = Field(0, ge=0, description="Day the policy takes effect")
    end: int | None = Field(None, ge=1, description="Day it is withdrawn (none: stays on)")
    intensity: float = Field(1.0, ge=0.0, le=1.0, description="How fully it is implemented")
    setup_cost: float = Field(0.0, ge=0.0, description=SETUP_COST)
    daily_cost: float = Field(0.0, ge=0.0, description=DAILY_COST)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "key" in cls.__dict__:
            unknown = set(cls.knobs) - ServiceEnvironment.knob_names()
            if unknown:
                raise TypeError(f"{cls.__name__} owns unknown knobs {unknown}")
            REGISTRY[cls.key] = cls

    @model_validator(mode="after")
    def _end_after_start(self) -> Intervention:
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        return self

    def settings(self) -> dict[str, Any]:
        """The knob values while the policy is on."""
        raise NotImplementedError

    def due(self, day: int) -> bool:
        """Whether the policy is meant to be on on `day`: from `start` to the day before `end`."""
        return self.start <= day and (self.end is None or day < self.end)

    def to_dict(self) -> dict[str, Any]:
        """The data that rebuilds this intervention (`build_intervention(x.to_dict())`)."""
        return {"type": self.key, **self.model_dump()}


def build_intervention(data: Mapping[str, Any], source: str = "") -> Intervention:
    """An intervention from its data: {'type': key, 'start': ..., ...}; clear errors otherwise."""
    where = f"{source}: " if source else ""
    if not isinstance(data, Mapping):
        raise ParameterError(f"{where}an intervention is a table of fields, got {data!r}")
    data = dict(data)
    kind = data.pop("type", None)
    if kind is None:
        raise ParameterError(f"{where}intervention needs a 'type' (one of {', '.join(REGISTRY)})")
    if not isinstance(kind, str):
        raise ParameterError(f"{where}an intervention's 'type' is a reform's key, got {kind!r}")
    if kind not in REGISTRY:
        raise ParameterError(where + unknown_name_message("intervention type", kind, REGISTRY))
    cls = REGISTRY[kind]
    for key in data:
        if key not in cls.model_fields:
            raise ParameterError(
                f"{where}intervention {kind!r}: "
                + unknown_name_message("field", key, cls.model_fields)
            )
    try:
        return cls(**data)
    except ValidationError as exc:
        problem = first_problem(exc)
        if not problem.loc and problem.cause is not None:
            raise ParameterError(f"{where}intervention {kind!r}: {problem.message}") from None
        loc = problem.dotted or "value"
        raise ParameterError(
            f"{where}intervention {kind!r}: {loc}={problem.input!r}: {problem.message}"
        ) from None


class OneStop(Intervention):
    """行政服务中心 / 一站式服务: offices' windows co-located, one trip submits every approval."""

    key = "one_stop"
    label_en, label_zh = "One-stop service centre", "行政服务中心(一站式服务)"
    knobs = ("one_stop_share",)
    disrupts = True
    setup_cost: float = Field(300_000.0, ge=0.0, description=SETUP_COST)
    daily_cost: float = Field(50.0, ge=0.0, description=DAILY_COST)

    def settings(self) -> dict[str, Any]:
        return {"one_stop_share": self.intensity}


class ParallelApproval(Intervention):
    """并联审批: a case's approvals are processed at the same time, not one after another."""

    key = "parallel_approval"
    label_en, label_zh = "Parallel approval", "并联审批"
    knobs = ("parallel_share",)
    disrupts = True
    setup_cost: float = Field(50_000.0, ge=0.0, description=SETUP_COST)
    daily_cost: float = Field(50.0, ge=0.0, description=DAILY_COST)

    def settings(self) -> dict[str, Any]:
        return {"parallel_share": self.intensity}


class FewerApprovals(Intervention):
    """取消不必要的审批事项: this share of the removable approvals is abolished or merged, or,
    when `approvals` names them, exactly those (a dated reform such as 三证合一: the organisation
    code and tax registration merged into the licence)."""

    key = "fewer_approvals"
    label_en, label_zh = "Fewer approvals", "取消不必要的审批事项"
    knobs = ("removal_share", "abolished")
    approvals: tuple[str, ...] = Field(
        (),
        strict=False,  # a TOML list becomes the tuple
        description="Keys of the approvals abolished (any service); empty: the removable ones,"
        " this share of them (intensity)",
    )
    setup_cost: float = Field(20_000.0, ge=0.0, description=SETUP_COST)

    def settings(self) -> dict[str, Any]:
        if self.approvals:
            return {"removal_share": 0.0, "abolished": frozenset(self.approvals)}
        return {"removal_share": self.intensity, "abolished": frozenset()}


class Reengineering(Intervention):
    """简化审批程序 / 流程再造: less counter work per approval, shorter committed lead times."""

    key = "reengineering"
    label_en, label_zh = "Process re-engineering", "流程再造(简化审批程序)"
    knobs = ("effort_factor", "lead_factor")
    disrupts = True
    effort_cut: float = Field(0.4, ge=0.0, lt=1.0, description="Counter work cut at intensity 1")
    lead_cut: float = Field(0.4, ge=0.0, lt=1.0, description="Lead time cut at intensity 1")
    setup_cost: float = Field(100_000.0, ge=0.0, description=SETUP_COST)
    daily_cost: float = Field(50.0, ge=0.0, description=DAILY_COST)

    def settings(self) -> dict[str, Any]:
        return {
            "effort_factor": 1.0 - self.effort_cut * self.intensity,
            "lead_factor": 1.0 - self.lead_cut * self.intensity,
        }


class Transparency(Intervention):
    """阳光工程 / 政策透明: requirements and fees published; fewer returns, less room to extort."""

    key = "transparency"
    label_en, label_zh = "Transparency", "阳光工程(政策透明)"
    knobs = ("transparency",)
    setup_cost: float = Field(30_000.0, ge=0.0, description=SETUP_COST)
    daily_cost: float = Field(50.0, ge=0.0, description=DAILY_COST)

    def settings(self) -> dict[str, Any]:
        return {"transparency": self.intensity}


class Online247(Intervention):
    """热线网络服务 / 全天候: online-eligible approvals submitted online, any day, no trip."""

    key = "online_24_7"
    label_en, label_zh = "Online and hotline, 24/7", "热线网络服务(全天候)"
    knobs = ("online_share",)
    disrupts = True
    setup_cost: float = Field(250_000.0, ge=0.0, description=SETUP_COST)
    daily_cost: float = Field(100.0, ge=0.0, description=DAILY_COST)

    def settings(self) -> dict[str, Any]:
        return {"online_share": self.intensity}


class GreenChannel(Intervention):
    """绿色通道: enterprise cases jump the queue, at the cost of equal treatment (一视同仁)."""

    key = "green_channel"
    label_en, label_zh = "Green channel for enterprises", "绿色通道"
    knobs = ("green_channel_share",)
    daily_cost: float = Field(50.0, ge=0.0, description=DAILY_COST)

    def settings(self) -> dict[str, Any]:
        return {"green_channel_share": self.intensity}


class FirstContact(Intervention):
    """首接责任制: the first office routes the case internally instead of sending people away."""

    key = "first_contact"
    label_en, label_zh = "First-contact responsibility", "首接责任制"
    knobs = ("first_contact",)
    setup_cost: float = Field(10_000.0, ge=0.0, description=SETUP_COST)

    def settings(self) -> dict[str, Any]:
        return {"first_contact": self.intensity}


class ServiceStandards(Intervention):
    """创三优一满意 / 文明窗口: courtesy trained toward a standard, paid in counter time."""

    key = "service_standards"
    label_en, label_zh = "Service standards", "创三优一满意(文明窗口)"
    knobs = ("courtesy_target", "courtesy_training_time", "courtesy_training")
    target: float = Field(0.85, ge=0.0, le=1.0, description="Courtesy the training aims at")
    training_time: float = Field(
        0.05, ge=0.0, le=0.5, description="Share of counter time spent training at intensity 1"
    )
    setup_cost: float = Field(20_000.0, ge=0.0, description=SETUP_COST)
    daily_cost: float = Field(300.0, ge=0.0, description=DAILY_COST)

    def settings(self) -> dict[str, Any]:
        return {
            "courtesy_target": self.target,
            "courtesy_training_time": self.training_time * self.intensity,
            "courtesy_training": self.intensity,
        }


class Feedback(Intervention):
    """征求意见有错必纠 / 领导接待日: complaints are invited and trigger correction."""

    key = "feedback"
    label_en, label_zh = "Complaints and feedback", "征求意见、有错必纠"
    knobs = ("complaint_response",)
    setup_cost: float = Field(20_000.0, ge=0.0, description=SETUP_COST)
    daily_cost: float = Field(950.0, ge=0.0, description=DAILY_COST)

    def settings(self) -> dict[str, Any]:
        return {"complaint_response": self.intensity}


class LearningOrganisation(Intervention):
    """学习型组织: training raises skill and knowledge spreads between offices."""

    key = "learning"
    label_en, label_zh = "Learning organisation", "学习型组织"
    knobs = ("training_rate", "diffusion_rate", "learning_training_time")
    rate: float = Field(0.004, ge=0.0, le=1.0, description="Daily training gain at intensity 1")
    diffusion: float = Field(
        0.02, ge=0.0, le=1.0, description="Daily pull toward neighbouring offices at intensity 1"
    )
    training_time: float = Field(
        0.05, ge=0.0, le=0.5, description="Share of counter time spent learning at intensity 1"
    )
    setup_cost: float = Field(20_000.0, ge=0.0, description=SETUP_COST)
    daily_cost: float = Field(300.0, ge=0.0, description=DAILY_COST)

    def settings(self) -> dict[str, Any]:
        i = self.intensity
        return {
            "training_rate": self.rate * i,
            "diffusion_rate": self.diffusion * i,
            "learning_training_time": self.training_time * i,
        }


class LeanStaffing(Intervention):
    """机构精简 / 人员精干: fewer counter staff, cheaper, less capacity."""

    key = "lean_staffing"
    label_en, label_zh = "Lean staffing", "机构精简、人员精干"
    knobs = ("staff_factor",)
    max_cut: float = Field(
        0.2,
        ge=0.0,
        lt=1.0,
        description="Share of staff cut at intensity 1 (0.2: counters planned for 70% load"
        " run at about 88%)",
    )

    def settings(self) -> dict[str, Any]:
        return {"staff_factor": 1.0 - self.max_cut * self.intensity}
