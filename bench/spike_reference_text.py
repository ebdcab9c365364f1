"""The detector benchmark's comparison with its references, as the docs' table and text."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

NAMES = {"ticketlens": "ticketlens (default α)", "oracle": "oracle (true rate, Poisson test)",
         "share_total": "known shares × the week's total (diagnostic)",
         "share_rest": "known shares × the rest of the week (diagnostic)",
         "glm": "GLM baseline (Farrington, quasi-Poisson)"}  # fmt: skip


def _paired(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Mean difference of two methods' hits on the same injections, and its standard error."""
    diff = a.astype(float) - b.astype(float)
    return float(diff.mean()), float(diff.std(ddof=1) / math.sqrt(len(diff)))


def reference_table(results: list[dict[str, Any]], trials: int) -> tuple[str, str]:
    """The method table (volume × method) and one verdict line per volume."""
    rows, lines = [], []
    for r in results:
        methods = r["methods"]
        for key, m in methods.items():
            rows.append(
                f"| ×{r['scale']} | {NAMES[key]} | {m['alpha']:.4f} | {m['recall']:.3f} "
                f"| {m['false_alarms']:.2f} | {m['per_week']:.3f} | {m['any_week']:.3f} |"
            )
        ours, oracle, glm = methods["ticketlens"], methods["oracle"], methods["glm"]
        gap, gap_se = _paired(ours["found"], oracle["found"])
        lead, lead_se = _paired(ours["found"], glm["found"])
        near, calm, ahead = gap >= -0.03, ours["false_alarms"] <= 1, lead >= 0
        lines.append(
            f"- ×{r['scale']}: ticketlens − oracle = {gap:+.3f} ± {gap_se:.3f} "
            f"({'within' if near else 'NOT within'} 0.03), ticketlens − GLM = {lead:+.3f} ± "
            f"{lead_se:.3f} ({'not below' if ahead else 'below'}), "
            f"{ours['false_alarms']:.2f} false alarms per category-year: target "
            f"{'met' if near and calm and ahead else 'NOT met'}."
        )
    return "\n".join(rows), "\n".join(lines)


def reference_prose(results: list[dict[str, Any]]) -> str:
    """What the method table says, from its figures."""
    by = {r["scale"]: r["methods"] for r in results}

    def each(figure: Any) -> str:
        return ", ".join(f"{figure(m):.3f} at ×{s}" for s, m in by.items())

    def behind(m: dict[str, Any]) -> float:
        return float(m["oracle"]["recall"] - max(m["share_total"]["recall"],
                                                 m["share_rest"]["recall"]))  # fmt: skip

    standing: dict[str, list[str]] = {}
    for r in results:
        lead, se = _paired(r["methods"]["ticketlens"]["found"], r["methods"]["glm"]["found"])
        word = "ahead" if lead > 2 * se else "behind" if lead < -2 * se else "level"
        standing.setdefault(word, []).append(f"×{r['scale']}")
    against_glm = (
        " and ".join(f"{word} at {', '.join(scales)}" for word, scales in standing.items())
        + " (level: within two paired standard errors)"
    )
    spread = ", ".join(f"{r['dispersion']:.2f} at ×{r['scale']}" for r in results)
    weekly = [m["per_week"] for ms in by.values() for m in ms.values()]
    every = "–".join(dict.fromkeys(f"{1 / w:.0f}" for w in (max(weekly), min(weekly))))
    return (
        "The oracle finds more of the injections than ticketlens by "
        f"{each(lambda m: m['oracle']['recall'] - m['ticketlens']['recall'])}. Of that lead, "
        f"{each(behind)} is knowing each week's expected volume: told every category's true "
        "share but reading the week's volume from the data, as a real detector must, the same "
        f"test finds {each(lambda m: m['share_total']['recall'])} (× the whole week, which "
        f"carries the spike too) and {each(lambda m: m['share_rest']['recall'])} (× the rest "
        "of the week, whose own sampling noise moves the other way to the cell's). What is "
        "left, down to ticketlens, is the cost of learning the shares from 4–8 earlier weeks "
        "of the same small counts and of its test; the GLM, which learns them too, lands near "
        "ticketlens, not near the oracle (differences above). Since even the true shares leave "
        "the better of the two ways of reading the week that far behind, a detector built on "
        "either cannot come within 0.03 of the oracle where the counts are small; what a "
        "better detector could still win is roughly the distance from ticketlens up to those "
        f"known-share figures. Against the GLM, ticketlens is {against_glm}. "
        f"The oracle's calibrated α ({each(lambda m: m['oracle']['alpha'])}) is well above its "
        "nominal rate because distinct accounts vary less than Poisson counts (variance / mean "
        f"across the null worlds {spread}), so its Poisson p-values are conservative and the "
        "calibration spends the slack. On the null worlds every method, set to ticketlens' "
        f"false-alarm rate, raises one cross-account alert every {every} weeks across all 8 "
        "categories (alerts per week above): a page that rarely fires, as long as real shares "
        "wander no more than these shuffled ones.\n"
    )
