"""ticketlens' tests, mirroring the packages."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
"""The repository root: `data/` (sample export, taxonomy) lies under it."""
