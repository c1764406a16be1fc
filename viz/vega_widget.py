"""A Vega-Lite chart widget that redraws by feeding new data, not by re-embedding the chart.

solara's own VegaLite widget re-embeds the whole chart 100 ms after every change; ten charts
redrawn that way miss the dashboard's 300 ms step budget. Here the spec (without data) and the
data travel separately: the browser re-embeds only when the spec changes (language, series),
and otherwise swaps the named datasets in place (`vega_chart.vue`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import ipyvuetify as v
import reacton
import traitlets


class VegaChart(v.VuetifyTemplate):
    """The browser side of `Chart`."""

    template_file = str(Path(__file__).with_name("vega_chart.vue"))
    spec = traitlets.Dict().tag(sync=True)  # the Vega-Lite spec, its data sources named only
    # JSON text of {"mark": str, "data": {name: rows}}: a string, so that Vue 2 does not make
    # thousands of rows reactive (walking them cost more than drawing them).
    payload = traitlets.Unicode("{}").tag(sync=True)
    name = traitlets.Unicode("").tag(sync=True)  # which chart, for tests: the data-chart attribute
    cdn = traitlets.Unicode(None, allow_none=True).tag(sync=True)

    @traitlets.default("cdn")
    def _cdn(self) -> str | None:
        import solara.settings

        return None if solara.settings.assets.proxy else solara.settings.assets.cdn


def split(spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list]]:
    """(the spec with each inline `data.values` replaced by a named source, the datasets)."""
    datasets: dict[str, list] = {}

    def walk(node: Any, path: str) -> Any:
        if isinstance(node, dict):
            out = {}
            for k, val in node.items():
                if k == "data" and isinstance(val, dict) and "values" in val:
                    name = f"data{len(datasets)}_{path}".rstrip("_")
                    datasets[name] = list(val["values"])
                    out[k] = {"name": name}
                else:
                    out[k] = walk(val, f"{path}{k[:1]}")
            return out
        if isinstance(node, list):
            return [walk(item, f"{path}{i}") for i, item in enumerate(node)]
        return node

    return walk(spec, ""), datasets


def Chart(spec: dict[str, Any], mark: str = "", name: str = "") -> reacton.core.Element:
    """A chart element; `mark` (e.g. "day 12") is written to the page once the data is drawn,
    `name` identifies the chart whatever the language."""
    structure, datasets = split(spec)
    payload = json.dumps({"mark": mark, "data": datasets}, separators=(",", ":"), allow_nan=False)
    return VegaChart.element(spec=structure, payload=payload, name=name)
