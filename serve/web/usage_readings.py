"""The pulse's readings beside product usage: the urgent-fix list and silence decoded.

The usage file is read by the report's own reader (`training.analytics.usage.load_usage`) and
joined to the prediction log as the report joins it to a tickets export: on the log's weeks
(first to latest logged week) and its accounts (`account_totals`); usage rows of other accounts
are counted and left out. It is read at start-up, where a bad file stops the service with the
reader's one-line error, and again when the file changes (mtime or size) or the log gains a week
(an account new to the log joins then). Before anything is logged the file is only checked.

The readings come from the log's weekly aggregates, never from its rows: the urgent-fix list
from the `feature` field's tickets in the usage weeks (`serve.web.urgent_counts`: the arithmetic
of `training.analytics.urgent.urgent_fixes`, its usage side computed once per read of the file),
silence decoded by `training.analytics.silence.decode_silence` on the pulse's silent accounts,
kept until those or the file change. The log keeps neither CSAT nor resolution times: those
figures are NaN here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from classifier.errors import TicketlensError
from classifier.predlog import account_totals, weekly_cells, weekly_totals
from serve.web.urgent_counts import UrgentBasis, urgent_basis, urgent_from_counts
from training.analytics.accounts import SilentAccount
from training.analytics.silence import DecodedSilence, decode_silence
from training.analytics.urgent import UrgentFix
from training.analytics.usage import Usage, load_usage
from training.analytics.usage_check import check_usage_file, weeks_frame

logger = logging.getLogger(__name__)

URGENT_FIELD = "feature"
"""The label field the urgent-fix list matches to the usage file's features (as the report)."""
_SOURCE = "the prediction log"


class UsageFileError(TicketlensError):
    """The service's usage file cannot be read or joined to the log."""


@dataclass(frozen=True)
class UsagePulse:
    """What the pulse shows about the usage file: its readings, or why there are none."""

    source: str
    error: str | None = None
    urgent: list[UrgentFix] = field(default_factory=list)
    silence: list[DecodedSilence] = field(default_factory=list)
    has_feature_field: bool = True
    unknown_accounts: int = 0
    unknown_rows: int = 0


def _hint(exc: TicketlensError) -> str:
    """The reader's message, with the service's setting beside the report's flag it names."""
    text = str(exc)
    if "--usage-column" in text:
        text += ' (on the service: TICKETLENS_USAGE_COLUMNS=\'{"KEY": "COLUMN"}\')'
    return text


class UsageReadings:
    """The usage file as the log's pages join it; safe to share between request threads."""

    def __init__(self, path: Path, columns: Mapping[str, str], engine: Engine) -> None:
        self.path = path
        self.columns = dict(columns)
        self.engine = engine
        self._lock = threading.Lock()
        self._key: tuple[Any, ...] | None = None
        self._usage: Usage | None = None
        self._error: str | None = None
        self._basis: tuple[Any, UrgentBasis | None] | None = None
        self._silence: tuple[Any, list[DecodedSilence]] | None = None

    def start(self) -> None:
        """Read the file now; raise `UsageFileError` (one line) when it cannot be used."""
        self._refresh()
        if self._error is not None:
            raise UsageFileError(self._error)

    def _log_span(self) -> tuple[str | None, str | None]:
        with self.engine.connect() as connection:
            first, last = connection.execute(
                sa.select(sa.func.min(weekly_totals.c.week), sa.func.max(weekly_totals.c.week))
            ).one()
        return (str(first), str(last)) if first is not None else (None, None)

    def _refresh(self) -> None:
        """Re-read the file when it or the log's weeks changed since the last read."""
        try:
            stat = self.path.stat()
            version: tuple[Any, ...] = (stat.st_mtime_ns, stat.st_size)
        except OSError as exc:
            version = ("missing", exc.strerror)
        key = (*version, *self._log_span())
        with self._lock:
            if key == self._key:
                return
            try:
                self._usage, self._error = self._read(key[-2], key[-1]), None
            except (TicketlensError, OSError) as exc:
                self._usage = None
                self._error = _hint(exc) if isinstance(exc, TicketlensError) else str(exc)
                logger.error("usage file: %s", self._error)
            self._key = key

    def _read(self, first: str | None, last: str | None) -> Usage | None:
        if not self.path.is_file():
            raise UsageFileError(
                "no such file (set TICKETLENS_USAGE_FILE to the usage file)", file=self.path
            )
        if first is None or last is None:
            check_usage_file(self.path, self.columns)
            return None
        with self.engine.connect() as connection:
            accounts = connection.execute(sa.select(account_totals.c.account_id)).scalars().all()
        frame = weeks_frame(first, last, _SOURCE)
        return load_usage(self.path, frame, columns=self.columns, known_accounts=set(accounts))

    def pulse(
        self, fields: list[str], silent: list[tuple[str, int, str]], quiet_weeks: int
    ) -> UsagePulse:
        """The readings for the page: `silent` is the pulse's (account, tickets, last ticket)."""
        self._refresh()
        usage, error, key = self._usage, self._error, self._key
        if error is not None:
            return UsagePulse(str(self.path), error=error)
        if usage is None:
            return UsagePulse(str(self.path), silence=self._decoded(key, None, silent, quiet_weeks))
        has_field = URGENT_FIELD in fields
        return UsagePulse(
            usage.source,
            urgent=self._urgent_list(key, usage) if has_field else [],
            silence=self._decoded(key, usage, silent, quiet_weeks),
            has_feature_field=has_field,
            unknown_accounts=usage.unknown_accounts,
            unknown_rows=usage.unknown_rows,
        )

    def _urgent_list(self, key: Any, usage: Usage) -> list[UrgentFix]:
        cached = self._basis
        if cached is None or cached[0] != key:
            cached = (key, urgent_basis(usage))
            self._basis = cached
        basis = cached[1]
        if basis is None:
            return []
        cells = weekly_cells.c
        query = (
            sa.select(cells.label, sa.func.sum(cells.tickets))
            .where(
                cells.field == URGENT_FIELD,
                cells.week.in_(basis.weeks),
                cells.label.in_(list(basis.features)),
            )
            .group_by(cells.label)
        )
        with self.engine.connect() as connection:
            tickets = {str(v): int(n) for v, n in connection.execute(query)}
        return urgent_from_counts(basis, tickets)

    def _decoded(
        self,
        key: Any,
        usage: Usage | None,
        silent: list[tuple[str, int, str]],
        quiet_weeks: int,
    ) -> list[DecodedSilence]:
        inputs = (key, tuple(silent), quiet_weeks)
        cached = self._silence
        if cached is not None and cached[0] == inputs:
            return cached[1]
        # The aggregates keep no per-account count of active weeks; decode_silence reads only
        # each account's id and last ticket.
        accounts = [SilentAccount(a, 0, n, last) for a, n, last in silent]
        result = decode_silence(accounts, usage, quiet_weeks)
        self._silence = (inputs, result)
        return result


__all__ = ["URGENT_FIELD", "UsageFileError", "UsagePulse", "UsageReadings"]
