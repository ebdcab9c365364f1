"""Service settings, read from `TICKETLENS_*` environment variables (or passed explicitly)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_GENERIC_FIELDS = {
    "id": "id",
    "subject": "subject",
    "body": "body",
    "created_at": "created_at",
    "account_id": "account_id",
}


class Settings(BaseSettings):
    """Everything the HTTP service needs; each field is also `TICKETLENS_<NAME>` in the env."""

    model_config = SettingsConfigDict(env_prefix="TICKETLENS_", extra="ignore", frozen=True)

    model_path: Path = Path("models/current")
    """Bundle folder, usually the `current` symlink (watched for changes)."""
    api_token: SecretStr
    """Bearer token every route except /health requires."""
    db_url: str = Field(default="sqlite:///ticketlens.db", repr=False)  # may hold a password
    """Prediction log: any SQLAlchemy URL (SQLite in WAL mode by default, or PostgreSQL)."""
    log_predictions: bool = True
    journal_path: Path | None = None
    """Local journal of log rows the database could not take in time, replayed when it is back.
    Default: next to a SQLite log (`<file>.journal.sqlite`), else `ticketlens-journal.sqlite` in
    the working folder. Give each replica (process) its own."""
    db_statement_timeout_ms: int = Field(default=500, gt=0)
    """Longest a log write may wait (SQLite busy timeout, PostgreSQL statement_timeout) before
    its rows go to the journal."""
    db_connect_timeout_s: int = Field(default=2, gt=0)
    """PostgreSQL connect_timeout (libpq's minimum is 2 s)."""
    db_retry_s: float = Field(default=1.0, gt=0)
    """After a failed write, how long new rows skip the database and go to the journal."""
    log_deadline_s: float = Field(default=3.0, gt=0)
    """Longest a request waits for its rows to be stored; past it the answer is 503."""
    retry_after_s: int = Field(default=5, gt=0)
    """`Retry-After` of a 503 (no model, or neither the database nor the journal took a row)."""
    journal_replay_interval_s: float = Field(default=0.5, gt=0)
    api_docs: bool = False
    """Serve /docs, /redoc and /openapi.json (without a token); off by default."""
    cache_dir: Path | None = None
    """Embedding cache folder; none by default (live tickets are rarely seen twice)."""
    backend: Literal["onnx", "torch"] = "onnx"
    """Runtime of the transformer: ONNX Runtime (smaller, faster single tickets; exported once
    into `cache_dir` or the default cache folder) or torch. Both give the same vectors."""

    max_body_bytes: int = Field(default=1_000_000, gt=0)
    batch_limit: int = Field(default=100, gt=0)
    """Most tickets one /classify/batch request may hold."""
    batcher_max_wait_ms: float = Field(default=0.0, ge=0)
    """How long an idle model waits for more tickets before it starts a batch. 0 starts at once:
    tickets that arrive while a batch runs join the next batch anyway, so waiting only adds
    latency at low load."""
    batcher_max_size: int = Field(default=32, gt=0)
    batcher_workers: int = Field(default=1, gt=0)
    """Batches predicted at once; 1 lets torch use every core for one batch."""

    watch_interval_s: float = Field(default=2.0, ge=0)
    """How often the model path's symlink target is checked; 0 turns the watch off."""

    zendesk_secret: SecretStr | None = None
    """Zendesk webhook signing secret; when set, unsigned Zendesk calls are refused."""
    webhook_secret: SecretStr | None = None
    """Shared secret for `X-Ticketlens-Signature` on /webhooks/generic; when set, required."""
    replay_window_s: int = Field(default=300, gt=0)
    generic_fields: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_GENERIC_FIELDS))
    """Ticket attribute → dotted path in the generic webhook JSON (e.g. "body": "ticket.text")."""

    def journal_file(self) -> Path:
        """`journal_path`, or its default for `db_url`."""
        if self.journal_path is not None:
            return self.journal_path
        prefix = "sqlite:///"
        if self.db_url.startswith(prefix) and self.db_url != prefix + ":memory:":
            return Path(self.db_url.removeprefix(prefix).split("?")[0] + ".journal.sqlite")
        return Path("ticketlens-journal.sqlite")
