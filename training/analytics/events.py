"""One line per event: the category, category × feature and feature views of one spike, grouped.

A rise of `billing × export` tickets also raises `billing` and `export` that week, so the three
views find one event three times. Spikes of one week are joined when a pair cell names a single
cell (`billing × export` joins `billing` and `export`); the event is headed by its most specific
cell (the pair, when there is one) and lists every cell it was seen in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from training.analytics.spikes import CROSS_ACCOUNT, Spike

PAIR = " × "


@dataclass(frozen=True)
class SpikeEvent:
    """Spikes of one week that are views of one event; `head` is the most specific of them."""

    head: Spike
    spikes: tuple[Spike, ...]

    @property
    def window(self) -> str:
        return self.head.window

    @property
    def week_index(self) -> int:
        return self.head.week_index

    @property
    def likely_regression(self) -> bool:
        return any(s.kind == CROSS_ACCOUNT for s in self.spikes)

    @property
    def kind(self) -> str:
        return CROSS_ACCOUNT if self.likely_regression else self.head.kind

    @property
    def cells(self) -> list[str]:
        """Every view the event was seen in, as `dimension: cell`, the head first."""
        return [f"{s.dimension}: {s.cell}" for s in self.spikes]

    def to_dict(self) -> dict[str, Any]:
        return {
            "window": self.window,
            "week_index": self.week_index,
            "kind": self.kind,
            "head": self.head.to_dict(),
            "cells": self.cells,
        }


def _names(spike: Spike) -> set[str]:
    return set(spike.cell.split(PAIR))


def group_spikes(spikes: Sequence[Spike]) -> list[SpikeEvent]:
    """Group the spikes of each week into events (see the module docstring), in week order."""
    events = []
    for week in sorted({s.week_index for s in spikes}):
        remaining = [s for s in spikes if s.week_index == week]
        # Pairs first, so each pair gathers the single cells it names.
        remaining.sort(key=lambda s: (-len(_names(s)), -s.accounts, s.dimension, s.cell))
        while remaining:
            head = remaining.pop(0)
            names = _names(head)
            members = [s for s in remaining if _names(s) <= names]
            remaining = [s for s in remaining if s not in members]
            events.append(SpikeEvent(head, (head, *members)))
    return events
