"""Prometheus metrics, in a registry of the app's own (so many apps in one process never clash)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info

from classifier.records import NO_LABEL, Prediction

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The service's counters; `/metrics` renders `registry`."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "ticketlens_http_requests",
            "HTTP requests by route template, method and status code.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "ticketlens_http_request_duration_seconds",
            "Time to answer a request, by route template.",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.predictions = Counter(
            "ticketlens_predictions",
            "Predicted labels, by field and label (label '(none)' for tickets without text).",
            ["field", "label"],
            registry=self.registry,
        )
        self.needs_review = Counter(
            "ticketlens_needs_review",
            "Field predictions marked needs_review (the model abstains), by field and reason.",
            ["field", "reason"],
            registry=self.registry,
        )
        self.abstain_rate = Gauge(
            "ticketlens_abstain_ratio",
            "Share of field predictions since start that were marked needs_review.",
            ["field"],
            registry=self.registry,
        )
        self.model = Info(
            "ticketlens_model", "The model bundle being served.", registry=self.registry
        )
        self.model_loaded = Gauge(
            "ticketlens_model_loaded", "1 when a model is loaded.", registry=self.registry
        )
        self.batch_size = Histogram(
            "ticketlens_batch_size",
            "Tickets per model call (the micro-batcher gathers concurrent requests).",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128),
            registry=self.registry,
        )
        self.predlog_errors = Counter(
            "ticketlens_predlog_errors",
            "Predictions that could not be written to the prediction log.",
            registry=self.registry,
        )
        self.journaled = Counter(
            "ticketlens_journal_appended_rows",
            "Log rows written to the local journal because the database was unavailable.",
            registry=self.registry,
        )
        self.replayed = Counter(
            "ticketlens_journal_replayed_rows",
            "Journaled log rows moved into the database.",
            registry=self.registry,
        )
        self.unavailable = Counter(
            "ticketlens_log_unavailable",
            "Requests answered 503 because neither the database nor the journal took their rows.",
            registry=self.registry,
        )
        self.journal_depth = Gauge(
            "ticketlens_journal_depth",
            "Log rows waiting in the local journal for the database.",
            registry=self.registry,
        )
        self.journal_age = Gauge(
            "ticketlens_journal_oldest_age_seconds",
            "Age of the oldest row waiting in the journal (0 when it is empty).",
            registry=self.registry,
        )
        self.journal_rejected = Gauge(
            "ticketlens_journal_rejected",
            "Journaled rows the database refused by their content, kept aside in the journal.",
            registry=self.registry,
        )
        self.cascade_answers = Counter(
            "ticketlens_cascade_answers",
            "Tickets a cascade answered, by the stage that answered them: fast (sure of every "
            "field, or no text) or accurate (handed to the transformer).",
            ["stage"],
            registry=self.registry,
        )
        self._stages: dict[str, tuple[int, int]] = {}
        self._stages_lock = threading.Lock()  # batches finish on the batcher's threads
        self._seen: dict[str, int] = {}
        self._abstained: dict[str, int] = {}

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def observe_predictions(self, predictions: Sequence[Prediction]) -> None:
        for prediction in predictions:
            for name, field in prediction.fields.items():
                self.predictions.labels(name, field.label or NO_LABEL).inc()
                self._seen[name] = self._seen.get(name, 0) + 1
                if field.needs_review:
                    self.needs_review.labels(name, field.review_reason or "unknown").inc()
                    self._abstained[name] = self._abstained.get(name, 0) + 1
                self.abstain_rate.labels(name).set(self._abstained.get(name, 0) / self._seen[name])

    def observe_stages(self, version: str, fast: int, accurate: int) -> None:
        """Count the tickets each stage of the cascade `version` answered."""
        self.cascade_answers.labels("fast").inc(fast)
        self.cascade_answers.labels("accurate").inc(accurate)
        with self._stages_lock:
            seen_fast, seen_accurate = self._stages.get(version, (0, 0))
            self._stages[version] = (seen_fast + fast, seen_accurate + accurate)

    def stage_counts(self, version: str) -> tuple[int, int]:
        """(tickets the fast stage answered, tickets the accurate stage answered) since start, by
        the cascade `version` only (the counter sums every cascade served)."""
        with self._stages_lock:
            return self._stages.get(version, (0, 0))

    def set_model(self, info: dict[str, str]) -> None:
        """The model served: `info` holds its version and embedding model (a cascade's both)."""
        self.model.info(info)
        self.model_loaded.set(1)
