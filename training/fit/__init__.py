"""Fitting: the `TicketModel` estimator, its heads and thresholds, retraining, distillation."""

from training.fit.heads import FittedHead, HeadConfig, fit_head
from training.fit.train import TicketModel, TrainConfig, TrainResult, train

__all__ = [
    "FittedHead",
    "HeadConfig",
    "TicketModel",
    "TrainConfig",
    "TrainResult",
    "fit_head",
    "train",
]
