"""SolaraViz `model_params` generated from the declarations: parameters, reforms and the seed.

Every control takes its label from `viz.i18n`, and its default, range and type from
`Parameters.table()` (values from the chosen preset) or the intervention's own fields: nothing
is typed twice. A parameter whose range is too wide for a slider gets a text box, parsed by
`ParameterInfo.parse` on Reset like `govsim run --set`.
"""

from __future__ import annotations

from typing import Any

from scenarios import Preset
from viz.dashboard_model import control_name, reference_seed, reform_cities, reform_defaults
from viz.i18n import city_label, parameter_label, policy_label, t
from viz.sliders import slider_step, uses_slider
from world.parameters import ParameterInfo, Parameters

# Shown unless "show every parameter" is ticked: what a policymaker or a class changes first.
KEY_PARAMETERS = (
    "n_citizens",
    "n_enterprises",
    "digital_access_citizens",
    "skill_mean",
    "courtesy_mean",
    "corruption_mean",
    "incomplete_docs_prob",
    "bounce_prob",
    "expectation_drift",
    "pay_propensity_enterprise",
)


def parameter_control(info: ParameterInfo, value: Any, lang: str) -> dict[str, Any]:
    """One SolaraViz control for a declared parameter, showing `value` (the preset's)."""
    label = parameter_label(info.name, info.unit, lang)
    if not uses_slider(info):
        return {"type": "InputText", "value": _text(value), "label": label}
    if info.type is int:
        return {
            "type": "SliderInt",
            "value": int(value),
            "min": int(info.low),
            "max": int(info.high),
            "step": 1,
            "label": label,
        }
    step = slider_step(info)
    return {
        "type": "SliderFloat",
        "value": float(value),
        "min": float(info.low),
        "max": float(info.high),
        "step": step,
        "label": label,
    }


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


HEADING = "Heading"  # a line of text between controls (not a control: no value, not passed on)


def reform_controls(preset: Preset, lang: str) -> dict[str, dict[str, Any]]:
    """Three controls per reform (on, start day, intensity), set as the preset has them; with
    several cities, one such panel per city, each under a heading naming its city."""
    out: dict[str, dict[str, Any]] = {}
    for k, city in enumerate(reform_cities(preset)):
        if preset.cities:
            name = city or preset.cities[0].name
            out[f"{city or name}:reforms"] = {
                "type": HEADING,
                "label": t("reforms_in", lang, city=city_label(name, lang)),
                "index": k,
            }
        out.update(city_reform_controls(preset, lang, city))
    return out


def city_reform_controls(preset: Preset, lang: str, city: str = "") -> dict[str, dict[str, Any]]:
    """The reform panel of one policy package (`reform_cities`: "" the first or only one)."""
    out: dict[str, dict[str, Any]] = {}
    for key, (on, intervention) in reform_defaults(preset, city).items():
        cls = type(intervention)
        label = policy_label(cls, lang)
        intensity = cls.model_fields["intensity"].metadata
        lo = next((m.ge for m in intensity if hasattr(m, "ge")), 0.0)
        hi = next((m.le for m in intensity if hasattr(m, "le")), 1.0)
        out[control_name(key, "on", city)] = {
            "type": "Checkbox",
            "value": on,
            "label": t("reform_on", lang, label=label),
        }
        out[control_name(key, "start", city)] = {
            "type": "SliderInt",
            "value": intervention.start,
            "min": 0,
            "max": max(preset.days - 1, intervention.start),
            "step": 1,
            "label": t("reform_start", lang, label=label),
        }
        out[control_name(key, "intensity", city)] = {
            "type": "SliderFloat",
            "value": intervention.intensity,
            "min": float(lo),
            "max": float(hi),
            "step": 0.05,
            "label": t("reform_intensity", lang, label=label),
        }
    return out


def model_params(
    preset: Preset,
    lang: str,
    *,
    preset_name: str,
    lesson: str = "",
    seed: int | None = None,
    show_all: bool = False,
) -> dict[str, Any]:
    """Everything SolaraViz shows in "Model Parameters", and the fixed choices Reset keeps.

    The seed shown is `seed`, else the one the preset reference names (`viz.share` links)."""
    if seed is None:
        seed = reference_seed(preset_name)
    params: dict[str, Any] = {
        "preset": preset_name,  # fixed: chosen with the preset picker above
        "lesson": lesson,
        "seed": {"type": "InputText", "value": str(seed), "label": t("seed", lang)},
    }
    params.update(reform_controls(preset, lang))
    for info in Parameters.table():
        if show_all or info.name in KEY_PARAMETERS:
            params[info.name] = parameter_control(info, getattr(preset.parameters, info.name), lang)
    return params
