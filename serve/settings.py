"""Service settings, read from `TICKETLENS_*` environment variables (or passed explicitly)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_GENERIC_FIELDS = {
    "id": "id",
    "subject": "subject",
    "body": "body",
    "created_at": "created_at",
    "account_id": "account_id",
}


class WebUser(BaseModel):
    """One person who may sign in to the pages."""

    role: Literal["viewer", "agent", "admin"]
    password: SecretStr


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
    log_aggregates: bool = True
    """Keep the pages' weekly counts with every log write (the pages need them: off, there are
    no pages, /releases or alerts; they are refilled from the whole log when turned back on)."""
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

    web_pages: bool = True
    """Serve the web pages (/pulse, /review, /model, /alerts) and their sign-in."""
    web_users: dict[str, WebUser] = Field(default_factory=dict)
    """Who may sign in: name → {"role": "viewer" | "agent" | "admin", "password": "…"}."""
    web_session_secret: SecretStr | None = None
    """Key that signs session cookies; default: random per process (sessions end on restart;
    set it when several replicas serve the pages)."""
    web_session_hours: float = Field(default=12.0, gt=0)
    web_ticket_url: str | None = None
    """Link from the queue and ticket lists to the helpdesk, `{id}` replaced by the ticket id
    (the log stores a hash of the text, never the text: agents read the ticket there)."""
    review_claim_minutes: float = Field(default=10.0, gt=0)
    """How long a ticket shown to one agent is withheld from the others."""
    usage_file: Path | None = None
    """Product-usage file (what `ticketlens report --usage` reads) for the pulse's urgent-fix list
    and silence decoded; read at start-up (a bad file stops it there) and when it changes."""
    usage_columns: dict[str, str] = Field(default_factory=dict)
    """Usage column key → the file's column, where the names are not found (e.g.
    {"measure": "seats"}); the keys are those of `report --usage-column`."""
    public_url: str = "http://127.0.0.1:8000"
    """Base of the links in alerts."""
    alert_slack_url: SecretStr | None = None
    """Slack-compatible incoming webhook (`{"text": …}`) alerts are posted to."""
    alert_webhook_url: SecretStr | None = None
    """Generic JSON webhook alerts are posted to (the whole alert as JSON)."""
    alert_interval_s: float = Field(default=3600.0, ge=0)
    """How often the server runs the spike detector on the log; 0 turns the schedule off."""
    alert_weeks: int = Field(default=2, gt=0)
    """Only spikes in the latest this many weeks alert (older ones were alerted already)."""
    alert_cooldown_h: float = Field(default=72.0, ge=0)
    """No second alert for the same cell within this many hours."""
    alert_retry_s: float = Field(default=30.0, gt=0)
    """First retry delay of a failed delivery; doubled after each failure."""
    alert_max_attempts: int = Field(default=8, gt=0)

    def journal_file(self) -> Path:
        """`journal_path`, or its default for `db_url`."""
        if self.journal_path is not None:
            return self.journal_path
        prefix = "sqlite:///"
        if self.db_url.startswith(prefix) and self.db_url != prefix + ":memory:":
            return Path(self.db_url.removeprefix(prefix).split("?")[0] + ".journal.sqlite")
        return Path("ticketlens-journal.sqlite")
