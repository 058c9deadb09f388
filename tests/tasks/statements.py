"""Recording the SQL a store runs, grouped by transaction, with SQLAlchemy's events."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event

from annotask.store import Store


@dataclass
class Transaction:
    """The statements of one transaction, and whether it was a write transaction."""

    write: bool
    statements: list[str] = field(default_factory=list)
    autocommit: bool = False
    """Run in autocommit: each statement its own transaction, no BEGIN or COMMIT sent."""

    def has(self, fragment: str) -> bool:
        return any(fragment in s for s in self.statements)

    @property
    def work(self) -> list[str]:
        """The statements after the commit's one permission check (the runner's user may
        still run agents), which opens every commit transaction; asserts it is there."""
        assert self.statements and self.statements[0].startswith("SELECT members.role"), (
            self.statements[:1]
        )
        assert not any(s.startswith("SELECT members.role") for s in self.statements[1:])
        return self.statements[1:]


@dataclass
class Recorder:
    transactions: list[Transaction] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)

    def writes(self) -> list[Transaction]:
        return [t for t in self.transactions if t.write]

    def count(self, *fragments: str) -> int:
        return sum(all(f in s for f in fragments) for s in self.statements)


@contextmanager
def recording(store: Store) -> Iterator[Recorder]:
    """Record every statement and transaction on ``store`` inside the block."""
    recorder = Recorder()
    open_tx: dict[int, Transaction] = {}

    def on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        write = bool(options.get("annotask_write"))
        open_tx[id(conn)] = Transaction(
            write, autocommit=options.get("isolation_level") == "AUTOCOMMIT"
        )

    def on_execute(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        text = " ".join(statement.split())
        recorder.statements.append(text)
        tx = open_tx.get(id(conn))
        if tx is not None:
            tx.statements.append(text)

    def on_end(conn: Any) -> None:
        tx = open_tx.pop(id(conn), None)
        if tx is not None:
            recorder.transactions.append(tx)

    engine = store.engine
    event.listen(engine, "begin", on_begin)
    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", on_end)
    event.listen(engine, "rollback", on_end)
    try:
        yield recorder
    finally:
        event.remove(engine, "begin", on_begin)
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "commit", on_end)
        event.remove(engine, "rollback", on_end)
