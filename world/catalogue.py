"""The service catalogue: offices, service types and the approvals each service needs.

The catalogue is data (TOML under `scenarios/`); these classes validate it and answer the
questions the case flow asks (which approvals remain after a reform, which offices work together).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# strict: a boolean is not a number, a string not a list; finite numbers only
_STRICT = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class OfficeSpec(BaseModel):
    """A department with counters (窗口) that performs some approvals."""

    model_config = _STRICT
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_en: str
    name_zh: str
    min_staff: float = Field(
        1.0,
        gt=0,
        description="Fewest full-time staff at its counters, whatever the workload"
        " (0.4 would be one counter open two days in five)",
    )


class ApprovalSpec(BaseModel):
    """One approval step (a Doing Business 'procedure'), performed by one office."""

    model_config = _STRICT
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_en: str
    name_zh: str
    office: str
    effort_hours: float = Field(gt=0, description="Counter work per visit, in staff hours")
    lead_days: float = Field(ge=0, description="Working days from acceptance to the decision")
    documents: int = Field(3, ge=0, description="Documents the requester must bring")
    fee: float = Field(0.0, ge=0, description="Official fee in CNY")
    online: bool = Field(False, description="Can be submitted online once a channel exists")
    removable: bool = Field(
        False, description="Can be abolished or merged by the 'fewer approvals' reform"
    )
    after: tuple[str, ...] = Field(
        (),
        strict=False,  # a TOML list becomes the tuple (a frozen approval must hash)
        description="Approvals of the same service that must be decided first (they need"
        " their output: the licence number, the seal); parallel approval cannot overlap them",
    )


class ServiceSpec(BaseModel):
    """A service type a requester asks for, with the approvals it needs in their legal order."""

    model_config = _STRICT
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name_en: str
    name_zh: str
    requester: Literal["citizen", "enterprise"]
    annual_rate: float = Field(ge=0, description="Requests per requester per year")
    creates_enterprise: bool = Field(
        False, description="Requested by a would-be firm, which exists once the case completes"
    )
    time_limit_days: float = Field(
        gt=0, description="Committed time limit (承诺时限) superiors judge the city by"
    )
    approvals: list[ApprovalSpec] = Field(min_length=1)

    def remaining_approvals(self, removal_share: float) -> tuple[ApprovalSpec, ...]:
        """The approvals left when `removal_share` of the removable ones are abolished.

        Removable approvals go in the order they are listed, so the same share always removes
        the same steps.
        """
        removable = [a for a in self.approvals if a.removable]
        n_cut = round(removal_share * len(removable))
        cut = {a.key for a in removable[:n_cut]}
        return tuple(a for a in self.approvals if a.key not in cut)


class Catalogue(BaseModel):
    """All offices and service types of a city."""

    model_config = _STRICT
    doing_business_service: str = Field(
        "start_business", description="Service measured as Doing Business 'starting a business'"
    )
    offices: list[OfficeSpec] = Field(min_length=1)
    services: list[ServiceSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Catalogue:
        office_keys = [o.key for o in self.offices]
        _unique("office", office_keys, ("offices",))
        _unique("service", [s.key for s in self.services], ("services",))
        for i, s in enumerate(self.services):
            _unique("approval", [a.key for a in s.approvals], ("services", i, "approvals"))
            earlier: set[str] = set()
            for j, a in enumerate(s.approvals):
                for before in a.after:
                    if before not in earlier:
                        raise CatalogueError(
                            f"service {s.key!r} approval {a.key!r}: 'after' names {before!r},"
                            " which is not an earlier approval of this service",
                            ("services", i, "approvals", j, "after"),
                        )
                earlier.add(a.key)
            for j, a in enumerate(s.approvals):
                if a.office not in office_keys:
                    raise CatalogueError(
                        f"service {s.key!r} approval {a.key!r}: unknown office {a.office!r}"
                        f" (offices: {', '.join(office_keys)})",
                        ("services", i, "approvals", j, "office"),
                    )
        if self.doing_business_service not in {s.key for s in self.services}:
            raise CatalogueError(
                f"doing_business_service {self.doing_business_service!r} is not a service key",
                ("doing_business_service",),
            )
        return self

    def office_index(self) -> dict[str, int]:
        """Office key -> position, the index offices are stored under."""
        return {o.key: i for i, o in enumerate(self.offices)}

    def office_network(self) -> Any:
        """Offices linked when some service needs both: the paths knowledge spreads along."""
        import networkx as nx  # only when a city is built: loading a catalogue stays quick

        g = nx.Graph()
        g.add_nodes_from(range(len(self.offices)))
        idx = self.office_index()
        for s in self.services:
            used = sorted({idx[a.office] for a in s.approvals})
            g.add_edges_from((u, v) for i, u in enumerate(used) for v in used[i + 1 :])
        return g


class CatalogueError(ValueError):
    """An inconsistent catalogue; `path` locates the offending key, e.g. ("services", 0, "key")."""

    def __init__(self, message: str, path: tuple[str | int, ...]) -> None:
        super().__init__(message)
        self.path = path


def _unique(kind: str, keys: list[str], where: tuple[str | int, ...]) -> None:
    seen: set[str] = set()
    for i, k in enumerate(keys):
        if k in seen:
            raise CatalogueError(f"duplicate {kind} key {k!r}", (*where, i, "key"))
        seen.add(k)
