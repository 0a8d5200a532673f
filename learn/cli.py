"""The ``learn`` command: content checks, the database, the demo commune and the server."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from learn.settings import Settings

APP = Path(__file__).resolve().parent / "app" / "main.py"


@click.group()
@click.version_option(package_name="hoc-so")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Học Số: short spoken lessons in digital skills. Settings come from LEARN_* environment variables."""
    ctx.obj = Settings.from_env()


@cli.group()
def content() -> None:
    """Check and list lessons."""


@content.command("check")
@click.argument("root", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.pass_obj
def content_check(settings: Settings, root: Path | None) -> None:
    """Parse and validate every lesson in ROOT (default: LEARN_CONTENT_DIR).

    Prints each problem as path:line: message and exits 1 if there is any.
    """
    from learn.lessons.validate import check_tree

    lessons, problems = check_tree(root or settings.content_dir)
    for problem in problems:
        click.echo(str(problem), err=True)
    if problems:
        raise click.ClickException(f"{len(problems)} problem(s) in {len({p.path for p in problems})} file(s)")
    click.echo(f"{len(lessons)} lessons OK")


@content.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_obj
def content_list(settings: Settings, as_json: bool) -> None:
    """List the valid lessons (broken ones are left out: see `learn content check`)."""
    from learn.lessons.catalog import Catalog

    catalog = Catalog.load(settings.content_dir)
    for topic, lessons in catalog.by_topic():
        for lesson in lessons:
            row = {"id": lesson.id, "title": lesson.title, "topic": topic, "minutes": lesson.minutes,
                   "steps": len(lesson.steps), "questions": len(lesson.questions),
                   "prerequisites": list(lesson.prerequisites),
                   "path": str(lesson.source.relative_to(catalog.root)) if lesson.source else None}
            if as_json:
                click.echo(json.dumps(row, ensure_ascii=False))
            else:
                click.echo(f"{lesson.id:28} {topic:16} {lesson.minutes} min  {row['steps']} steps  "
                           f"{row['questions']} questions  {lesson.title}")
    if catalog.problems:
        click.echo(f"{len(catalog.problems)} problem(s) left lessons out: run `learn content check`", err=True)


@cli.group()
def db() -> None:
    """The progress database."""


@db.command("migrate")
@click.pass_obj
def db_migrate(settings: Settings) -> None:
    """Create the database or bring it up to the current schema."""
    from progress_db.db import connect
    from progress_db.migrations import migrate

    ran = migrate(connect(settings.database_url))
    click.echo(f"applied {len(ran)} migration(s)" + (f": {', '.join(m.name for m in ran)}" if ran else ""))


@db.command("status")
@click.pass_obj
def db_status(settings: Settings) -> None:
    """Show which migrations are applied."""
    from progress_db.db import connect
    from progress_db.migrations import applied, available

    done = applied(connect(settings.database_url))
    for m in available():
        click.echo(f"{m.version:04d} {m.name:24} {'applied' if m.version in done else 'pending'}")


@cli.group()
def demo() -> None:
    """Demo data."""


@demo.command("init")
@click.pass_obj
def demo_init(settings: Settings) -> None:
    """Create the database and a small demo commune with villages (does nothing if they exist)."""
    from learn import services
    from progress_db.db import open_db

    path = settings.content_dir / "demo-commune.yaml"
    if not path.is_file():
        raise click.ClickException(f"no demo commune file at {path}")
    open_db(settings.database_url)
    services.seed_demo(path)
    click.echo(f"demo commune ready in {settings.database_url}")


@cli.command()
@click.option("--host", default="0.0.0.0", show_default=True,
              help="Address to listen on (127.0.0.1: this laptop only).")
@click.option("--port", default=8501, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.pass_obj
def serve(settings: Settings, host: str, port: int) -> None:
    """Start the app for residents on http://HOST:PORT."""
    from progress_db.db import open_db

    open_db(settings.database_url)  # fail here, clearly, rather than in the first visitor's browser
    args = [sys.executable, "-m", "streamlit", "run", str(APP),
            "--server.headless", "true", "--server.address", host, "--server.port", str(port),
            "--browser.gatherUsageStats", "false",
            # Streamlit's full garbage collection after every rerun costs most of a small server's time.
            "--runner.postScriptGC", "false",
            "--client.toolbarMode", "minimal", "--theme.base", "light",
            # a calm blue for "go on": red is kept for wrong answers and warnings
            "--theme.primaryColor", "#0b5cad"]
    click.echo(f"Học Số: http://{'localhost' if host in ('0.0.0.0', '127.0.0.1') else host}:{port}")
    os.execv(sys.executable, args)


def main() -> None:
    cli()
