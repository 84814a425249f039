"""What the ``tanbo`` command groups share: the consoles, the per-invocation state, reports."""

import sys
from dataclasses import dataclass

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy import Engine

from api.config import Settings
from api.db import connect, migrate
from api.registry import ImportReport

__all__ = ["State", "err", "out", "print_report", "state_of"]

# Piped output is not cut to 80 columns: ids (MAFF uuids are 36 characters) stay whole.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, highlight=False, soft_wrap=True)


@dataclass
class State:
    """The settings of this invocation, and the database once a command needs it."""

    settings: Settings
    engine: Engine | None = None

    def db(self) -> Engine:
        """The database engine, connected and migrated on first use."""
        if self.engine is None:
            self.engine = connect(self.settings.resolved_database_url)
            migrate(self.engine)
        return self.engine


def state_of(ctx: typer.Context) -> State:
    """The state the root command stored for this invocation."""
    state = ctx.find_root().obj
    assert isinstance(state, State)
    return state


def print_report(report: ImportReport, what: str) -> None:
    """One summary line on stdout, the repairs after it, one line per rejection on stderr."""
    verb = "would import" if report.dry_run else "imported"
    out.print(
        f"{escape(report.source)} ({report.format}, {report.crs}): {report.features} features; "
        f"{verb} {report.imported} {what} "
        f"({len(report.created)} new, {len(report.updated)} updated), "
        f"{len(report.repaired)} repaired, {len(report.rejected)} rejected"
    )
    for note in report.notes:
        out.print(f"note: {escape(note)}")
    for new, olds in report.replaced.items():
        out.print(f"replaced {escape(', '.join(olds))} by {escape(new)} (a newer MAFF release)")
    for problem in report.repaired:
        out.print(f"repaired {escape(str(problem))}")
    for problem in report.rejected:
        err.print(f"rejected {escape(str(problem))}")
