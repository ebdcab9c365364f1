"""Cold start: zero- and few-shot bundles from a taxonomy, active-learning picks, discovery."""

from training.coldstart.candidates import CandidateCategory, CandidateFile, read_candidates
from training.coldstart.discover import (
    Cluster,
    DiscoverConfig,
    Discovery,
    candidate_clusters,
    discover,
    draft_taxonomy,
)
from training.coldstart.model import ColdStartConfig, ColdStartModel
from training.coldstart.novelty import Novelty, Reference, novelty, references_of
from training.coldstart.select import Pick, select

__all__ = [
    "CandidateCategory",
    "CandidateFile",
    "Cluster",
    "ColdStartConfig",
    "ColdStartModel",
    "DiscoverConfig",
    "Discovery",
    "Novelty",
    "Pick",
    "Reference",
    "candidate_clusters",
    "discover",
    "draft_taxonomy",
    "novelty",
    "read_candidates",
    "references_of",
    "select",
]
