"""Prometheus metrics of runners, as a runner hook (``prometheus_client``).

``runner.add_hook(PrometheusHook())`` counts into the default registry; ``annotask run
--metrics-port 9100`` also serves it at ``http://HOST:9100/metrics``. Every series has a
``stage`` label (the stage's name); ``annotask_tasks_done_total`` also a ``pathway``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    start_http_server,
)

from annotask.tasks.hooks import RunnerHook
from annotask.tasks.outcome import CommitStatus, TaskOutcome

__all__ = ["PrometheusHook", "serve_metrics"]

_SECONDS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class _Metrics:
    """The metric families, registered once per registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        stage = ["stage"]
        self.claimed = Counter(
            "annotask_tasks_claimed", "Tasks leased by runners", stage, registry=registry
        )
        self.done = Counter(
            "annotask_tasks_done",
            "Tasks an agent moved, per pathway",
            ["stage", "pathway"],
            registry=registry,
        )
        self.failed = Counter(
            "annotask_tasks_failed",
            "Tasks whose attempts were used up (failed, or sent along on_failure)",
            stage,
            registry=registry,
        )
        self.retried = Counter(
            "annotask_tasks_retried", "Attempts repeated after a failure", stage, registry=registry
        )
        self.agent_seconds = Histogram(
            "annotask_agent_seconds",
            "Duration of one agent call (one task, or one batch)",
            stage,
            buckets=_SECONDS,
            registry=registry,
        )
        self.commit_seconds = Histogram(
            "annotask_commit_seconds",
            "Duration of one batch commit",
            stage,
            buckets=_SECONDS,
            registry=registry,
        )
        self.in_flight = Gauge(
            "annotask_tasks_in_flight", "Tasks an agent is working on", stage, registry=registry
        )
        self.waiting = Gauge(
            "annotask_tasks_waiting",
            "Claimable tasks not yet claimed (counted when a pass starts)",
            stage,
            registry=registry,
        )


_BY_REGISTRY: dict[int, _Metrics] = {}
_LOCK = threading.Lock()


def _metrics(registry: CollectorRegistry) -> _Metrics:
    with _LOCK:
        if id(registry) not in _BY_REGISTRY:
            _BY_REGISTRY[id(registry)] = _Metrics(registry)
        return _BY_REGISTRY[id(registry)]


class PrometheusHook(RunnerHook):
    """Counts what runners do into ``registry`` (default: prometheus_client's global one)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self._m = _metrics(REGISTRY if registry is None else registry)
        self._waiting: dict[str, int] = {}
        self._lock = threading.Lock()

    def tasks_waiting(self, stage: str, count: int) -> None:
        """Set the stage's waiting gauge."""
        with self._lock:
            self._waiting[stage] = count
            self._m.waiting.labels(stage).set(count)

    def tasks_claimed(self, stage: str, count: int) -> None:
        """Count claimed tasks; they no longer wait."""
        self._m.claimed.labels(stage).inc(count)
        with self._lock:
            self._waiting[stage] = max(0, self._waiting.get(stage, 0) - count)
            self._m.waiting.labels(stage).set(self._waiting[stage])

    def task_started(self, stage: str) -> None:
        """One more task in flight."""
        self._m.in_flight.labels(stage).inc()

    def task_finished(self, stage: str) -> None:
        """One task fewer in flight."""
        self._m.in_flight.labels(stage).dec()

    def agent_called(self, stage: str, seconds: float, tasks: int) -> None:
        """Observe an agent call's latency."""
        self._m.agent_seconds.labels(stage).observe(seconds)

    def batch_committed(self, stage: str, outcomes: Sequence[TaskOutcome], seconds: float) -> None:
        """Observe the commit; count moves per pathway, failures and retries."""
        self._m.commit_seconds.labels(stage).observe(seconds)
        for outcome in outcomes:
            if outcome.tries > 1:
                self._m.retried.labels(stage).inc(outcome.tries - 1)
            if outcome.status is CommitStatus.FAILED or outcome.action == "on_failure":
                self._m.failed.labels(stage).inc()
            if outcome.status is CommitStatus.MOVED and outcome.pathway is not None:
                self._m.done.labels(stage, outcome.pathway.name).inc()


def serve_metrics(port: int, addr: str = "0.0.0.0") -> PrometheusHook:
    """Serve the default registry on ``port`` and return a hook that counts into it."""
    start_http_server(port, addr=addr)
    return PrometheusHook()
