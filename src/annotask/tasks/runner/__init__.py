"""Runners: :class:`SequentialRunner` (alias ``Runner``) and :class:`QueueRunner`."""

from annotask.tasks.runner.queue_runner import QueueAgent, QueueRunner
from annotask.tasks.runner.runner_base import RunnerBase
from annotask.tasks.runner.sequential_runner import Runner, SequentialRunner

__all__ = ["QueueAgent", "QueueRunner", "Runner", "RunnerBase", "SequentialRunner"]
