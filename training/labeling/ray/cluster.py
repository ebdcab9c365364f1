"""Joining a Ray cluster and sizing an actor pool, for the Ray labeling engine and embedder.

This module imports Ray; only the `--engine ray` code path imports it.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

import ray
import ray.data

from classifier.errors import TicketlensError

_CONNECT_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class RayOptions:
    """How the job uses the cluster."""

    address: str | None = None
    """Cluster to join (`ray://head:10001`, `head:6379`); None: `RAY_ADDRESS` or a local one."""
    actors: int | None = None
    """Actors in the pool; None: as many as the cluster's CPUs allow at `cpus_per_actor`."""
    cpus_per_actor: float = 1.0
    shard_rows: int = 10_000
    """Tickets per shard: the unit of scheduling, of output files and of resuming."""


def connect(address: str | None) -> None:
    """Join the cluster at `address` (or start a local Ray instance); once per process."""
    if not ray.is_initialized():
        if address:
            _check_reachable(address)
        try:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
        except (ConnectionError, ValueError, RuntimeError, TimeoutError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise TicketlensError(
                f"cannot connect to the Ray cluster at {address!r}: {first}"
            ) from exc
    # The caller shows progress per shard; Ray Data's own would log a line every 10 seconds.
    ray.data.DataContext.get_current().enable_progress_bars = False


def _check_reachable(address: str) -> None:
    """Fail in seconds, not minutes: `ray.init` keeps retrying an address nobody listens on."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        return  # "auto", "local" and the like: Ray resolves them itself
    try:
        socket.create_connection((host, int(port)), timeout=_CONNECT_TIMEOUT_S).close()
    except OSError as exc:
        raise TicketlensError(
            f"cannot reach the Ray cluster at {address!r} ({exc.strerror or exc}); is its head "
            "node running (`ray start --head`) and the port open?"
        ) from None


def pool_size(options: RayOptions) -> int:
    """Actors to run: the option, or the cluster's CPUs divided by the CPUs each actor takes."""
    if options.actors is not None:
        return options.actors
    cpus = float(ray.cluster_resources().get("CPU", 1))
    return max(1, int(cpus // options.cpus_per_actor))
