"""Validate the spike and slow-drift detectors by injecting known signals into a real timeline.

The timeline (ticket times and accounts) is the sample export's, less the tickets of its planted
regression and flood; its category labels are shuffled across tickets for every trial, which keeps
the weekly volume and the accounts' habits but erases the planted drift, giving a null world.
`--scale N` stacks N copies of the timeline (accounts renamed per copy): the same business at N
times the volume. Into it we inject:

- spikes: one category-week gets +50 % of its tickets (at least 10), each from a different
  account, i.e. spread over ≥ 10 accounts; recall = share of injections reported as a
  cross-account spike in that category and week;
- false alarms: cross-account spikes reported in the null worlds, per category-year (52 tested
  category-weeks);
- slow drift: a category's share rises linearly by `--drift-pp` over the last 20 weeks (other
  tickets relabeled to it); recall = share flagged as trending up; false drift alerts = trends
  flagged in the null worlds (random resamples of the reference).

Usage: python bench/detectors.py [--trials 300] [--seed 0] [--scale 1 5 20] [--write-docs]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.docs_section import write_section  # noqa: E402
from bench.spike_reference_text import reference_prose, reference_table  # noqa: E402
from bench.spike_references import (  # noqa: E402
    account_table,
    calibrate,
    check_glm_against_statsmodels,
    glm_pvalues,
    known_share_expected,
    oracle_pvalues,
    true_expected_accounts,
)
from training.analytics import (  # noqa: E402
    CROSS_ACCOUNT,
    SpikeConfig,
    TicketFrame,
    TrendConfig,
    counts,
    detect_spikes,
    load_export,
    shares,
    trends,
)


def _with_labels(base: TicketFrame, labels: np.ndarray, extra: pd.DataFrame | None = None):  # type: ignore[no-untyped-def]
    data = base.data[["created_at", "window", "account_id"]].copy()
    data["category"] = labels
    if extra is not None:
        data = pd.concat([data, extra], ignore_index=True)
    return TicketFrame(data, ["category"], {"category": "category"}, base.source)


def spike_trials(base: TicketFrame, rng: np.random.Generator, trials: int, config: SpikeConfig
                 ) -> dict[str, Any]:  # fmt: skip
    """Ticketlens' detector, the oracle and the GLM baseline on the same null worlds and
    injections; the references are calibrated to ticketlens' false alarms on those null worlds."""
    labels = base.data["category"].to_numpy()
    windows = base.windows
    accounts = base.data["account_id"].dropna().unique()
    first = config.min_history
    share = pd.Series(labels).value_counts(normalize=True)
    categories = sorted(share.index)
    truth = true_expected_accounts(base.data, windows, categories)
    per_category: dict[str, list[int]] = {}
    injected_n: dict[str, list[int]] = {}
    false_alarms = tested = 0
    hits: list[int] = []
    null_alerts = []  # ticketlens' cross-account alerts per tested week of every null world
    references = ("oracle", "share_total", "share_rest", "glm")
    null_scores: dict[str, list[np.ndarray]] = {name: [] for name in references}
    spike_scores: dict[str, list[float]] = {name: [] for name in references}
    glm_checked = 0
    moments = np.zeros((2, len(windows) - first, len(categories)))
    for trial in range(trials):
        shuffled = rng.permutation(labels)
        null = _with_labels(base, shuffled)
        table = counts(null, "category")
        alarms = [s for s in detect_spikes(null, ["category"], config) if s.kind == CROSS_ACCOUNT]
        false_alarms += sum(1 for s in alarms if s.week_index >= first)
        tested += table.shape[1] * (len(windows) - first)
        weekly = np.bincount([s.week_index for s in alarms], minlength=len(windows))
        null_alerts.append(weekly[first:])
        null_values = account_table(null.data, windows, categories)
        moments += [null_values[first:], null_values[first:] ** 2]
        if trial == 0:
            glm_checked = check_glm_against_statsmodels(null_values, first, config.baseline_weeks)
        null_scores["oracle"].append(oracle_pvalues(null_values, truth)[first:])
        for name, mean in known_share_expected(null_values, truth).items():
            null_scores[name].append(oracle_pvalues(null_values, mean)[first:])
        null_scores["glm"].append(glm_pvalues(null_values, first, config.baseline_weeks)[first:])
        week = int(rng.integers(first, len(windows)))
        category = str(rng.choice(table.columns))
        # +50 % of the tickets the category expects that week (its share of the week's tickets:
        # exact in a shuffled world), at least 10, one ticket from each of as many new accounts
        expected = table.iloc[week].sum() * share[category]
        extra_n = max(math.ceil(0.5 * expected), 10)
        injected_n.setdefault(category, []).append(extra_n)
        filed = null.data[
            (null.data["window"] == windows[week]) & (null.data["category"] == category)
        ]
        fresh = np.setdiff1d(accounts, filed["account_id"].dropna().unique())
        chosen = rng.choice(fresh, size=extra_n, replace=False)
        stamp = pd.Timestamp(windows[week]).tz_localize("UTC") + pd.Timedelta(hours=30)
        extra = pd.DataFrame({"created_at": stamp, "window": windows[week], "account_id": chosen,
                              "category": category})  # fmt: skip
        injected = _with_labels(base, shuffled, extra)
        found = any(
            s.kind == CROSS_ACCOUNT and s.cell == category and s.week_index == week
            for s in detect_spikes(injected, ["category"], config)
        )
        hits.append(int(found))
        per_category.setdefault(category, []).append(int(found))
        # the oracle keeps the null world's truth: the injection is what it must find
        values = account_table(injected.data, windows, categories)
        c = categories.index(category)
        glm = glm_pvalues(values, first, config.baseline_weeks)
        spike_scores["oracle"].append(float(oracle_pvalues(values, truth)[week, c]))
        for name, mean in known_share_expected(values, truth).items():
            spike_scores[name].append(float(oracle_pvalues(values, mean)[week, c]))
        spike_scores["glm"].append(float(glm[week, c]))
    years = tested / 52
    mean = moments[0] / trials
    dispersion = float(np.mean((moments[1] / trials - mean**2) * trials / (trials - 1) / mean))
    methods = {"ticketlens": _method_figures(np.array(hits), np.array(null_alerts), years)}
    methods["ticketlens"]["alpha"] = config.alpha
    for name in references:
        null = np.array(null_scores[name])  # trials × tested weeks × categories
        alpha = calibrate(null, false_alarms)
        found_at = (np.array(spike_scores[name]) <= alpha).astype(int)
        methods[name] = _method_figures(found_at, (null <= alpha).sum(axis=2), years)
        methods[name]["alpha"] = alpha
    return {"recall": float(np.mean(hits)), "false_alarms": false_alarms / years,
            "per_category": per_category, "injected": injected_n, "methods": methods,
            "glm_checked": glm_checked, "dispersion": dispersion}  # fmt: skip


def _method_figures(found: np.ndarray, weekly_alerts: np.ndarray, years: float
                    ) -> dict[str, Any]:  # fmt: skip
    """Recall (and the per-injection hits, for paired differences), false alarms per
    category-year, alerts per week across all cells and the share of weeks with any alert."""
    return {"found": found, "recall": float(found.mean()),
            "false_alarms": float(weekly_alerts.sum() / years),
            "per_week": float(weekly_alerts.mean()),
            "any_week": float((weekly_alerts > 0).mean())}  # fmt: skip


def drift_trials(base: TicketFrame, rng: np.random.Generator, trials: int, drift_pp: float,
                 config: TrendConfig) -> tuple[float, float, float]:  # fmt: skip
    labels = base.data["category"].to_numpy()
    week_index = base.data["window"].map({w: i for i, w in enumerate(base.windows)}).to_numpy()
    n_weeks, span = len(base.windows), 20
    false_alerts = tested = hits = any_alert = 0
    for _ in range(trials):
        shuffled = rng.permutation(labels)
        null_trends = trends(shares(counts(_with_labels(base, shuffled), "category")), config)
        false_alerts += sum(t.flagged for t in null_trends)
        any_alert += any(t.flagged for t in null_trends)
        tested += len(null_trends)
        category = str(rng.choice(np.unique(labels)))
        start = n_weeks - span
        ramp = np.clip((week_index - start) / (span - 1), 0, 1) * drift_pp / 100
        others = shuffled != category
        # relabel other tickets so the category gains `ramp` of each week's tickets
        flip = others & (rng.random(len(labels)) < ramp / np.maximum(others.mean(), 1e-9))
        drifted = np.where(flip, category, shuffled)
        found = trends(shares(counts(_with_labels(base, drifted), "category")), config)
        hits += any(t.label == category and t.flagged and t.direction == "up" for t in found)
    # per category and resample: what α promises; the old figure divided by resamples only,
    # i.e. summed the alerts of all categories
    return hits / trials, false_alerts / tested, any_alert / trials


def clean_timeline(path: Path, scale: int) -> TicketFrame:
    """The export's timeline without the planted regression and flood, stacked `scale` times."""
    full = load_export(path, fields=["category", "feature"])
    data, windows = full.data, full.windows
    flood_account = data[data["window"] == windows[11]].groupby("account_id").size().idxmax()
    planted = (
        (data["window"] == windows[20])
        & (data["category"] == "technical_issue")
        & (data["feature"] == "reports")
    ) | ((data["window"] == windows[11]) & (data["account_id"] == flood_account))
    kept = data.loc[~planted, ["created_at", "window", "account_id", "category"]]
    copies = [kept.assign(account_id=kept["account_id"] + f"-{i}") for i in range(scale)]
    table = pd.concat(copies, ignore_index=True)
    return TicketFrame(table, ["category"], {"category": "category"}, str(path))


def _verdict(results: list[dict[str, Any]]) -> str:
    met = [r["scale"] for r in results if r["recall"] >= 0.95 and r["false_alarms"] <= 1]
    if not met:
        return "Spike target NOT met at any volume measured."
    missed = [f"×{r['scale']}" for r in results if r["scale"] not in met]
    first = next(r for r in results if r["scale"] == min(met))
    worst = min(first["per_category"].items(), key=lambda kv: np.mean(kv[1]))
    return (
        f"Spike target met overall at ×{min(met)}"
        + (f" (not at {', '.join(missed)})" if missed else "")
        + f"; its weakest category there is {worst[0]} "
        f"({first['weekly'][worst[0]]:.0f} tickets/week, recall {np.mean(worst[1]):.2f})."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--export", type=Path, default=ROOT / "data" / "sample_tickets.csv")
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--drift-trials", type=int, default=100)
    parser.add_argument("--drift-pp", type=float, default=8.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", type=int, nargs="+", default=[1, 5, 20])
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    started, cpu_started = time.perf_counter(), time.process_time()
    spike_config, trend_config = SpikeConfig(), TrendConfig()
    results: list[dict[str, Any]] = []
    for scale in args.scale:
        base = clean_timeline(args.export, scale)
        rng = np.random.default_rng(args.seed)
        spikes = spike_trials(base, rng, args.trials, spike_config)
        drift_recall, drift_false, drift_any = drift_trials(
            base, rng, args.drift_trials, args.drift_pp, trend_config
        )
        results.append(
            {"scale": scale, "tickets": len(base.data), **spikes, "drift_recall": drift_recall,
             "drift_false": drift_false, "drift_any": drift_any,
             "weekly": counts(base, "category").mean()}
        )  # fmt: skip
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    command = (
        f"python bench/detectors.py --trials {args.trials} --drift-trials {args.drift_trials} "
        f"--drift-pp {args.drift_pp:g} --seed {args.seed} --scale {' '.join(map(str, args.scale))}"
    )
    summary = "\n".join(
        f"| ×{r['scale']} ({r['tickets']} tickets) | {r['recall']:.3f} | {r['false_alarms']:.2f} "
        f"| {r['drift_recall']:.2f} | {r['drift_false']:.4f} | {r['drift_any']:.2f} |"
        for r in results
    )
    per_cat = "\n".join(
        f"| ×{r['scale']} | {c} | {r['weekly'][c]:.1f} | {np.mean(r['injected'][c]):.1f} "
        f"| {len(v)} | {np.mean(v):.2f} |"
        for r in results
        for c, v in sorted(r["per_category"].items())
    )
    method_rows, verdicts = reference_table(results, args.trials)
    load = os.getloadavg()[0]
    z_sum = float(norm.isf(spike_config.alpha) + norm.isf(0.05))
    needed = (2 * z_sum) ** 2
    text = f"""## Detectors (spikes and slow drift)

Measured with `{command} --write-docs` ({elapsed:.0f} s wall, {cpu:.0f} s CPU, on a machine of 2
cores shared with other work: load average {load:.1f} at the end). Timeline and accounts:
the sample export `{args.export.relative_to(ROOT)}` (30 weeks) less its planted regression and
flood, category labels shuffled per trial (a null world); ×N stacks N copies (N times the volume,
accounts renamed per copy).

Injection: one random category-week (any week from index {spike_config.min_history}, the first
with enough history) gets extra tickets
numbering 50 % of the tickets the category expects that week (the week's tickets × the category's
overall share), but at least 10; each extra ticket comes from a different account that had not
filed in that category that week (drawn from the timeline's accounts), so ≥ 10 new distinct
accounts. Where 50 % of the expected volume is under 10 tickets the injection is larger than
+50 % (the "injected" column below).

Spike detector defaults: each cell's distinct accounts are compared with the rest of the week
(the other categories' accounts) × the cell's ratio to the rest over the previous
{spike_config.baseline_weeks} weeks, so whole-week swings cancel; the excess is judged by the
exact conditional binomial test for two Poisson rates (mid-p), one-sided
α = {spike_config.alpha:g} per cell-week (≈ {spike_config.alpha * 52:.2f} false alarms per
cell-year if the shares are steady), min rise {spike_config.min_rise} accounts. Drift: Theil–Sen +
Mann–Kendall, α = {trend_config.alpha:g}, min change {trend_config.min_change_pp:g} pp.
Targets: spike recall ≥ 0.95 with ≤ 1 false alarm per category-year.

| volume | spike recall | false spikes / category-year \
| drift recall (+{args.drift_pp:g} pp in 20 weeks) | false drift alerts / category / resample \
| resamples with any drift alert |
|---|---|---|---|---|---|
{summary}

{_verdict(results)}

At the sample's volume (4–20 tickets per category-week) a +50 % week is
½·√μ Poisson standard deviations above an expected μ accounts: about 2 sd at μ = 15, so no
threshold that keeps false alarms at ≤ 1 per category-year can find ≥ 95 % of them; small
categories are found because the 10-account floor makes their injection far more than +50 %.
A +50 % rise is detectable at 95 % with α = {spike_config.alpha:g} once μ ≳ {needed:.0f} accounts
per category-week (½·√μ ≥ z(α) + z(0.05) = {z_sum:.2f}).
The null worlds shuffle labels, so shares vary only by sampling noise; real shares that wander
more will raise more false alarms than here.
Drift false alerts are per category and resample (α = {trend_config.alpha:g} promises ≤ 0.01);
an earlier version of this table divided by resamples only, summing 8 categories' alerts.
Spike recall per category:

| volume | category | tickets/week | injected (mean) | injections | recall |
|---|---|---|---|---|---|
{per_cat}

### Against the statistical limit and a surveillance baseline (issue #16)

The same null worlds and the same injections (one per trial) are judged by the oracle, two
diagnostics and a surveillance baseline, on the same table of distinct accounts per
category-week and the same tested weeks (from index {spike_config.min_history}):

- **oracle**: knows each cell-week's true expected accounts μ in the null world (exact in a
  shuffled world: an account filing n tickets that week shows in a category unless none of its n
  tickets draws it, a hypergeometric chance; the injection does not change μ, it is what must be
  found) and alarms when P(Poisson(μ) ≥ count) ≤ α. For a single cell that test is "count ≥ k",
  the most powerful there is, so at the same false-alarm rate no detector reading the cell's
  count can find more (up to how the false-alarm budget is split across cells);
- **known shares** (two diagnostics, not detectors): told each category's true long-run share of
  accounts but reading the week's volume from the data, the week's total accounts or the rest of
  the week (other categories), then the oracle's Poisson test;
- **GLM baseline**: the Farrington (1996) recipe, a standard for many count series: per cell and
  week, a quasi-Poisson GLM (intercept, log of the week's total accounts as offset) fitted on the
  previous {spike_config.baseline_weeks} weeks (at least {spike_config.min_history}), dispersion
  from Pearson's χ² floored at 1, and an alarm when the count exceeds the upper prediction bound
  of the 2/3-power transformation (the fit's own error counted). The intercept-only fit has a
  closed form, used for speed and asserted equal to statsmodels' `GLM(..., exposure=)`
  `.fit(scale="X2")` (rate, dispersion, prediction and its standard error) on all
  {results[0]["glm_checked"]} cell-week fits of the first null world at each volume. The week's
  total includes the cell itself, spike and all, as such a GLM's offset usually does.

Both are calibrated to ticketlens' detector: α is the largest per-cell-week threshold whose
alarms on these {args.trials} null worlds number no more than ticketlens' cross-account false
alarms there (calibrated in-sample, so their false-alarm rate is matched by construction, ties of
the discrete counts leaving it at most a hair below). ticketlens runs at its default α. Alerts per
week are the cross-account alerts summed over the 8 categories in each tested week of the null
worlds; the last column is the share of those weeks with at least one.

| volume | method | α per cell-week | spike recall | false alarms / category-year \
| alerts / week (all cells, null) | weeks with any alert |
|---|---|---|---|---|---|---|
{method_rows}

Target: recall within 0.03 of the oracle's at every volume with ≤ 1 false alarm per
category-year, and not below the GLM baseline. Differences are paired over the same {args.trials}
injections, ± one standard error; "below" is read on the point estimate, however small.

{verdicts}

{reference_prose(results)}"""
    print(text)
    if args.write_docs:
        write_section("detectors", text)


if __name__ == "__main__":
    main()
