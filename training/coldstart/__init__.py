"""Cold start: zero- and few-shot bundles from a taxonomy, active-learning picks, discovery."""

from training.coldstart.discover import Cluster, DiscoverConfig, Discovery, discover, draft_taxonomy
from training.coldstart.model import ColdStartConfig, ColdStartModel
from training.coldstart.select import Pick, select

__all__ = [
    "Cluster",
    "ColdStartConfig",
    "ColdStartModel",
    "DiscoverConfig",
    "Discovery",
    "Pick",
    "discover",
    "draft_taxonomy",
    "select",
]
