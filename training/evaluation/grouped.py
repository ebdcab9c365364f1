"""Scores averaged over groups of tickets (a repository, a channel), not pooled.

The NLBSE'24 issue-report competition ranks tools by macro-F1 computed within each repository and
then averaged over the repositories, so a tool that is strong on one project cannot hide a weak
one. Pooled macro-F1 over all tickets is reported beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import f1_score


@dataclass(frozen=True)
class GroupedF1:
    """Macro-F1 per group and their unweighted mean (`mean`), with the pooled macro-F1."""

    per_group: dict[str, float]
    mean: float
    pooled: float


def cross_group_f1(
    truth: Sequence[str], predicted: Sequence[str], groups: Sequence[str]
) -> GroupedF1:
    """Macro-F1 within each group over every class of `truth`, then the mean over the groups.

    Every class seen anywhere in `truth` counts in each group's average (a class a group never
    predicts scores 0 there), as the competition's per-repository averages over its three labels.
    """
    y = np.asarray(truth, dtype=object)
    p = np.asarray(predicted, dtype=object)
    g = np.asarray(groups, dtype=object)
    if not len(y) == len(p) == len(g):
        raise ValueError(f"lengths differ: truth {len(y)}, predicted {len(p)}, groups {len(g)}")
    classes = sorted(set(y.tolist()))
    per_group = {
        str(name): float(
            f1_score(y[g == name], p[g == name], labels=classes, average="macro", zero_division=0)
        )
        for name in sorted(set(g.tolist()))
    }
    pooled = float(f1_score(y, p, labels=classes, average="macro", zero_division=0))
    return GroupedF1(
        per_group=per_group, mean=float(np.mean(list(per_group.values()))), pooled=pooled
    )
