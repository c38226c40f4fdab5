"""The CLI commands that start processes: `run`, `poll`, `worker`, `demo`."""

from __future__ import annotations

from pathlib import Path

import click

from intake.cli.common import counted
from intake.cli.main import Context
from workers import runner


@click.command("run")
@click.option("--once", is_flag=True, help="Take all mail now in the mailbox, finish, exit.")
@click.option("--timeout", default=3600.0, show_default=True, help="With --once: seconds to wait.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="With --once: print what would be filed and sent, one line a message; change nothing.",
)
@click.pass_obj
def run(ctx: Context, once: bool, timeout: float, dry_run: bool) -> None:
    """Poller, workers and scheduler in one process."""
    if dry_run:
        if not once:
            raise click.UsageError("--dry-run goes with --once: intake run --once --dry-run")
        from workers.preview import dry_run as preview

        lines = [p.line() for p in preview(ctx.settings)]
        for line in lines:
            click.echo(line)
        read = counted(len(lines), "message")
        click.echo(f"dry run: {read} read; nothing was stored, flagged or sent")
        return
    if once:
        stored = runner.run_once(ctx.settings, timeout=timeout)
        click.echo(f"{counted(stored, 'new message')} stored and filed")
        return
    runner.run(ctx.settings)


@click.command("poll")
@click.pass_obj
def poll(ctx: Context) -> None:
    """Only the poller (workers run as `intake worker` on Redis)."""
    runner.poll(ctx.settings)


@click.command("worker")
@click.option("--processes", type=int, default=None, help="Default: queue.worker_processes.")
@click.option("--threads", type=int, default=None, help="Default: queue.worker_threads.")
@click.pass_obj
def worker(ctx: Context, processes: int | None, threads: int | None) -> None:
    """Worker processes on the Redis queue."""
    runner.worker(ctx.settings, processes, threads)


@click.command("demo")
@click.option(
    "--dir",
    "folder",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Where to keep the demo database (default: a new temporary folder).",
)
@click.pass_obj
def demo(ctx: Context, folder: Path | None) -> None:
    """Run the sample mailbox through intake on embedded servers; no setup needed."""
    from workers.demo import run_demo

    click.echo(run_demo(folder))
