"""Progress of a run: a Rich display per stage on a terminal, plain log lines otherwise."""

from __future__ import annotations

import logging
import sys
from types import TracebackType
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from annotask.tasks.report import StageReport

__all__ = ["LogProgress", "RichProgress", "RunProgress", "progress_for_terminal"]

logger = logging.getLogger("annotask.tasks.progress")


class RunProgress(Protocol):
    """Told when a stage starts, after each commit, and when it ends."""

    def start(self, report: StageReport, total: int) -> None: ...
    def update(self, report: StageReport) -> None: ...
    def finish(self, report: StageReport) -> None: ...
    def __enter__(self) -> RunProgress: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class LogProgress:
    """One log line per commit and per finished stage."""

    def start(self, report: StageReport, total: int) -> None:
        """A stage begins with ``total`` claimable tasks (an empty stage logs at debug level)."""
        logger.log(
            logging.INFO if total else logging.DEBUG,
            "stage %r: %d task(s) to do",
            report.stage,
            total,
        )

    def update(self, report: StageReport) -> None:
        """A batch committed."""
        logger.debug(
            "stage %r: %d done, %d failed, %.0f tasks/s",
            report.stage,
            report.attempted,
            report.failed,
            report.rate,
        )

    def finish(self, report: StageReport) -> None:
        """The stage is done for this pass."""
        moved = ", ".join(f"{n} → {p!r}" for p, n in sorted(report.moved.items())) or "none moved"
        logger.log(
            logging.INFO if report.attempted else logging.DEBUG,
            "stage %r: %d done in %.1f s (%.0f tasks/s): %s; %d stayed, %d failed, %d lost, "
            "%d conflicts",
            report.stage,
            report.attempted,
            report.seconds,
            report.rate,
            moved,
            report.stayed,
            report.failed,
            report.lost,
            report.conflicts,
        )

    def __enter__(self) -> LogProgress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


class RichProgress(LogProgress):
    """A live bar per stage: done/total, tasks/s, failures."""

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:.0f} tasks/s"),
            TextColumn("[red]{task.fields[failed]} failed"),
            TimeElapsedColumn(),
            console=console,
        )
        self._ids: dict[str, TaskID] = {}

    def start(self, report: StageReport, total: int) -> None:
        """Add a bar for the stage."""
        self._ids[report.stage] = self._progress.add_task(
            report.stage, total=total, rate=0.0, failed=0
        )

    def update(self, report: StageReport) -> None:
        """Move the stage's bar."""
        self._progress.update(
            self._ids[report.stage],
            completed=report.attempted,
            rate=report.rate,
            failed=report.failed,
        )

    def finish(self, report: StageReport) -> None:
        """Complete the bar and log the summary."""
        self.update(report)
        super().finish(report)

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()


def progress_for_terminal() -> RunProgress:
    """Rich bars when stderr is a terminal, log lines otherwise."""
    if sys.stderr.isatty():
        return RichProgress(Console(stderr=True))
    return LogProgress()
