"""The ``learn`` command: content checks, the database, the demo commune and the server."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from learn.settings import Settings

if TYPE_CHECKING:  # the commands import what they use inside, so that `learn --help` stays quick
    from learn.voice.narrator import Narrator
    from learn.voice.tts import EngineChoice
    from progress_db.records import AccountInfo

APP = Path(__file__).resolve().parent / "app" / "main.py"


class _Failure(click.ClickException):
    """A failure the tech team reads: "Lỗi: …" in Vietnamese, exit status 1."""

    def show(self, file: Any = None) -> None:
        from learn.strings_vi import t

        click.echo(t("cli.error", message=self.format_message()), file=file, err=file is None)


def _said(error: Exception) -> str:
    """The Vietnamese message for a domain error; when its key is only its class's general one, the English
    detail follows in brackets (so "could not download …" is not lost behind a general sentence)."""
    from learn.strings_vi import STRINGS, t

    key, values = getattr(error, "key", None), getattr(error, "values", {})
    if key not in STRINGS:
        return str(error)
    try:
        said = t(key, **values)
    except (KeyError, IndexError, ValueError):  # a message that needs a value the error did not carry
        return str(error)
    general = key == getattr(type(error), "key", None)
    return t("cli.detail", message=said, detail=str(error)) if general and str(error) else said


class _Errors(click.Group):
    """Maps domain and storage errors to one clear Vietnamese line and exit status 1 (no traceback), at the
    boundary."""

    def invoke(self, ctx: click.Context) -> Any:
        from learn.errors import LearnError
        from learn.strings_vi import t
        from progress_db.backup import AppRunning, BackupError
        from progress_db.db import DatabaseError, MaxConnectionsExceeded

        try:
            return super().invoke(ctx)
        except LearnError as exc:
            raise _Failure(_said(exc)) from exc
        except AppRunning as exc:
            raise _Failure(t("cli.app_running", detail=str(exc))) from exc
        except BackupError as exc:
            raise _Failure(t("cli.backup", detail=str(exc))) from exc
        except (DatabaseError, MaxConnectionsExceeded) as exc:
            from learn.settings import hide_password

            settings = ctx.obj if isinstance(ctx.obj, Settings) else Settings.from_env()
            raise _Failure(t("cli.database", url=hide_password(settings.database_url), detail=str(exc))) from exc
        except OSError as exc:
            raise _Failure(t("cli.file", detail=str(exc))) from exc


@click.group(cls=_Errors)
@click.version_option(package_name="hoc-so")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Học Số: short spoken lessons in digital skills. Settings come from LEARN_* environment variables."""
    try:
        ctx.obj = Settings.from_env()
    except ValueError as exc:  # a setting with a value it cannot take
        raise click.UsageError(str(exc)) from exc
    from progress_db import private

    # LEARN_HOME holds the database (PIN and password hashes) and the laptop's TLS key: this account's only
    # (an older version left it 0755); it is made 0700 with the database when missing
    if ctx.obj.home.is_dir():
        private.close(ctx.obj.home)


@cli.command("settings")
@click.option("-v", "--verbose", is_flag=True, help="Also say what each setting means and its default.")
def settings_command(verbose: bool) -> None:
    """Print every setting: its name, where its value came from (environment or default), and the value.

    A secret (LEARN_SYNC_KEY) only says whether it is set; a password in LEARN_DATABASE_URL shows as ***.
    """
    from learn.settings import read_settings

    readings = read_settings()  # `learn` itself has refused to start if any of them is wrong
    width = max(len(r.setting.name) for r in readings)
    for reading in readings:
        click.echo(f"{reading.setting.name:{width}}  {reading.source:11}  {reading.shown}")
        if verbose:
            click.echo(f"    {reading.setting.help}\n    default: {reading.setting.default or 'none'}")


@cli.group()
def content() -> None:
    """Check and list lessons."""


@content.command("check")
@click.argument("root", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.pass_obj
def content_check(settings: Settings, root: Path | None) -> None:
    """Parse and validate every lesson in ROOT (default: LEARN_CONTENT_DIR), then the rules for authors.

    The rules (docs/lesson-format.md): wrong-answer feedback, answers a guesser cannot pass with, decision
    questions, joke options, false claims read as statements, long steps, hopeless lines, and every narrated word
    said by espeak-ng with Vietnamese rules or covered by ROOT/lexicon.yaml. Prints each problem as
    path:line: message and exits 1 if there is any.
    """
    from learn.lessons.validate import check_content

    lessons, problems = check_content(root or settings.content_dir)
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


def _narrator(settings: Settings, engine: EngineChoice | None) -> Narrator:
    from learn.errors import VoiceUnavailable
    from learn.lessons.pronunciation import load_lexicon
    from learn.voice.narrator import AudioCache, Narrator
    from learn.voice.tts import engines_for

    try:
        return Narrator(AudioCache(settings.audio_cache_dir), engines_for(engine or settings.tts),
                        load_lexicon(settings.content_dir, pronounce=False)[0])
    except VoiceUnavailable as exc:
        raise click.BadParameter(str(exc), param_hint="--engine") from exc


ENGINE = click.option("--engine", type=click.Choice(["auto", "gtts", "espeak"]), default=None,
                      help="Narration engines to use (default: LEARN_TTS, else auto: gTTS, then espeak-ng).")


@cli.command()
@click.argument("text")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="MP3 file to write.")
@ENGINE
@click.option("--slow", is_flag=True, help="Read slowly.")
@click.pass_obj
def say(settings: Settings, text: str, output: Path, engine: EngineChoice | None, slow: bool) -> None:
    """Write TEXT, read aloud in Vietnamese, to an MP3 file (through the shared audio cache)."""
    import shutil

    from learn.errors import VoiceUnavailable

    narrator = _narrator(settings, engine)
    try:
        clip = narrator.clip(text, "slow" if slow else "normal")
        shutil.copyfile(clip.path, output)
    except VoiceUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"cannot write {output}: {exc.strerror}") from exc
    click.echo(f"{output}: {clip.seconds:.1f} s, {clip.size} bytes, voice {clip.engine}/{clip.voice}"
               + ("" if clip.made else " (from cache)"))


@cli.command()
@ENGINE
@click.option("--lesson", "lesson_ids", multiple=True, help="Only this lesson id (repeatable).")
@click.option("--speed", type=click.Choice(["normal", "slow", "all"]), default="all", show_default=True,
              help="Which reading speeds to prepare.")
@click.pass_obj
def narrate(settings: Settings, engine: EngineChoice | None, lesson_ids: tuple[str, ...], speed: str) -> None:
    """Pre-render the audio of every lesson, so it plays in a village with no internet.

    Run it while online to get Google's voice (gTTS); offline it uses espeak-ng. Clips already made are reused.
    """
    from learn import services
    from learn.lessons.catalog import Catalog

    catalog = Catalog.load(settings.content_dir)
    unknown = [x for x in lesson_ids if catalog.get(x) is None]
    if unknown:
        raise click.BadParameter(f"no lesson with id {', '.join(unknown)}", param_hint="--lesson")
    lessons = [catalog.lessons[x] for x in lesson_ids] if lesson_ids else [
        lesson for _, group in catalog.by_topic() for lesson in group]
    speeds = ("normal", "slow") if speed == "all" else (speed,)
    narrator = _narrator(settings, engine)
    total = sum(len(services.narrated_texts(lesson)) for lesson in lessons) * len(speeds)
    bar: Any
    with click.progressbar(length=total, label="Narrating", file=sys.stderr) as bar:
        summary = services.prerender(narrator, lessons, speeds, progress=lambda _: bar.update(1))
    for error in summary.errors or []:
        click.echo(f"failed: {error}", err=True)
    click.echo(f"{summary.made} made, {summary.reused} reused, {summary.failed} failed; "
               f"{summary.seconds / 60:.1f} min of speech, {summary.bytes / 1e6:.1f} MB in {settings.audio_cache_dir}")
    if summary.failed:
        raise click.ClickException(f"{summary.failed} clip(s) could not be made")


@cli.command()
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--choices", help='The options, separated by "|", as written in the lesson.')
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--batch", "batch", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A folder of clips: print choice accuracy and word error rate over them (needs --transcripts).")
@click.option("--transcripts", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Tab-separated file with columns path (relative to --batch) and text (what is said).")
@click.pass_obj
def listen(settings: Settings, file: Path | None, choices: str | None, as_json: bool, batch: Path | None,
           transcripts: Path | None) -> None:
    """Say what the recogniser hears in FILE (any audio format) and which option it chooses.

    For trainers testing a microphone, and for content authors adding spoken forms. With --batch DIR
    --transcripts FILE: how often the right option is chosen, and the word error rate, over a folder of clips.
    """
    from learn.errors import VoiceUnavailable
    from learn.voice.asr import load_recognizer, understand
    from learn.voice.pipeline import prepare

    if (file is None) == (batch is None) or (batch is None) != (transcripts is None):
        raise click.UsageError("give FILE, or --batch DIR with --transcripts FILE")
    try:
        recognizer = load_recognizer(settings.vosk_model_dir)
    except VoiceUnavailable as exc:
        raise click.ClickException(f"{exc} (looked in {settings.vosk_model_dir})") from exc
    options = [c.strip() for c in choices.split("|")] if choices else []
    if batch is not None and transcripts is not None:
        _listen_batch(recognizer, settings.vosk_model_dir, batch, transcripts, options, as_json)
        return
    assert file is not None
    prepared = prepare(file.read_bytes())
    result: dict[str, Any] = {"file": str(file), "seconds": round(prepared.seconds, 2),
                              "speech_seconds": round(prepared.speech_seconds, 2), "problem": prepared.problem}
    if prepared.ok:
        heard = understand(recognizer, prepared.pcm, options)
        result.update(
            heard=heard.transcript.text, confidence=round(heard.transcript.confidence, 3),
            mode=heard.transcript.mode, action=heard.interpretation.action, choice=heard.interpretation.index,
            tried=[{"mode": x.mode, "text": x.text, "confidence": round(x.confidence, 3)} for x in heard.tried])
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    click.echo(f"{file}: {result['seconds']} s, speech {result['speech_seconds']} s")
    if not prepared.ok:
        click.echo(f"nothing to recognise: {prepared.problem}")
        return
    for x in result["tried"]:
        click.echo(f"  heard ({x['mode']}): {x['text'] or '(nothing)'}  confidence {x['confidence']}")
    if result["choice"] is not None:
        click.echo(f"chosen: {result['choice'] + 1}. {options[result['choice']]}")
    else:
        click.echo(f"meaning: {result['action']}")


def _listen_batch(recognizer: Any, model_dir: Path, folder: Path, transcripts: Path, options: list[str],
                  as_json: bool) -> None:
    """`learn listen --batch`: every clip of ``transcripts`` heard, then the totals."""
    from learn.voice.evaluate import TranscriptsError, evaluate, model_language, read_transcripts

    try:
        rows = read_transcripts(transcripts)
    except TranscriptsError as exc:
        raise click.ClickException(str(exc)) from exc
    result = evaluate(recognizer, folder, rows, options or None)
    language = model_language(model_dir)
    note = None if language == "vi" else (
        f"the model at {model_dir} is not a Vietnamese model ({language}): these figures test the engine, "
        "they are not the accuracy residents will get")
    if as_json:
        click.echo(json.dumps({
            "model": str(model_dir), "vietnamese_model": language == "vi", "note": note, "clips": len(result.clips),
            "choice_accuracy": round(result.accuracy, 4), "word_error_rate": round(result.wer, 4),
            "results": [{"path": c.path, "said": c.said, "heard": c.heard, "chosen": c.chosen, "correct": c.correct,
                         "word_errors": c.errors, "words": c.reference_words, "problem": c.problem}
                        for c in result.clips]}, ensure_ascii=False))
        return
    for c in result.clips:
        mark = "ok " if c.correct else "-- "
        heard = c.problem if c.problem else (c.heard or "(nothing)")
        click.echo(f"{mark}{c.path}: said «{c.said}», heard «{heard}», chosen «{c.chosen or '-'}», "
                   f"{c.errors}/{c.reference_words} word errors")
    click.echo(f"{len(result.clips)} clips: choice accuracy {result.accuracy:.0%}, "
               f"word error rate {result.wer:.0%}")
    if note:
        click.echo(f"Note: {note}.")


@cli.group()
def models() -> None:
    """Speech recognition models (Vosk)."""


@models.command("check")
@click.pass_obj
def models_check(settings: Settings) -> None:
    """Is a model installed where LEARN_VOSK_MODEL points, and does it load?"""
    from learn.voice.asr import load_recognizer, model_problems

    folder = settings.vosk_model_dir
    if not folder.is_dir():
        raise click.ClickException(f"no usable model at {folder}: {'; '.join(model_problems(folder))}. "
                                   "Run `learn models download vi` or set LEARN_VOSK_MODEL.")
    # a damaged or half-copied folder is a VoiceUnavailable ("voice.engine.damaged"), said in Vietnamese
    recognizer = load_recognizer(folder)
    click.echo(f"model OK: {folder} (loaded in {getattr(recognizer, 'load_seconds', 0):.1f} s)")


@models.command("download")
@click.argument("language", type=click.Choice(["vi"]))
@click.pass_obj
def models_download(settings: Settings, language: str) -> None:
    """Download the official model for LANGUAGE, check its SHA-256 and unpack it into LEARN_HOME/models."""
    from learn.voice.models import MODELS, download

    spec = MODELS[language]
    bar: Any
    with click.progressbar(length=spec.size, label=f"Downloading {spec.name}", file=sys.stderr) as bar:
        folder = download(spec, settings.home / "models", progress=bar.update)
    click.echo(f"installed {folder}")
    if folder != settings.vosk_model_dir:
        click.echo(f"set LEARN_VOSK_MODEL={folder} to use it")


@cli.command("handout")
@click.argument("lesson_ids", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Every lesson.")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="HTML file to write (a folder with --all or several ids).")
@click.pass_obj
def handout_command(settings: Settings, lesson_ids: tuple[str, ...], everything: bool, output: Path) -> None:
    """Write printable handouts (large-print HTML, pictures included): open in a browser, print or save as PDF."""
    from learn import services
    from learn.lessons.catalog import Catalog

    catalog = Catalog.load(settings.content_dir)
    ids = sorted(catalog.lessons) if everything else list(lesson_ids)
    if not ids:
        raise click.UsageError("name a lesson id, or use --all")
    unknown = [x for x in ids if catalog.get(x) is None]
    if unknown:
        raise click.BadParameter(f"no lesson with id {', '.join(unknown)}", param_hint="LESSON_IDS")
    many = everything or len(ids) > 1
    if many:
        output.mkdir(parents=True, exist_ok=True)
    for lesson_id in ids:
        target = output / f"{lesson_id}.html" if many else output
        target.write_text(services.handout(catalog, catalog.lessons[lesson_id]), encoding="utf-8")
        click.echo(str(target))


@cli.group("communes")
def communes_group() -> None:
    """Communes (xã, phường): add one, with its villages, before its staff's and trainers' accounts."""


@communes_group.command("list")
@click.pass_obj
def communes_list(settings: Settings) -> None:
    """Every commune and its number of villages."""
    from learn.services import communes
    from learn.strings_vi import t
    from progress_db.db import open_db

    open_db(settings.database_url)
    found = communes.communes()
    for commune in found:
        click.echo(t("commune.row", name=commune.name, villages=commune.villages))
    if not found:
        click.echo(t("commune.none"))


@communes_group.command("add")
@click.argument("name")
@click.option("--village", "villages", multiple=True,
              help="A village of the new commune (repeatable; staff can add more on the dashboard).")
@click.pass_obj
def communes_add(settings: Settings, name: str, villages: tuple[str, ...]) -> None:
    """Add the commune NAME, with its villages; names are checked like village names, and a bad one adds nothing."""
    from learn.services import communes
    from learn.strings_vi import t
    from progress_db.db import open_db

    open_db(settings.database_url)
    made, village_names = communes.add(name, villages)
    click.echo(t("commune.added_villages", name=made.name, count=made.villages, villages=", ".join(village_names))
               if village_names else t("commune.added", name=made.name))


@communes_group.command("rename")
@click.argument("old")
@click.argument("new")
@click.pass_obj
def communes_rename(settings: Settings, old: str, new: str) -> None:
    """Rename the commune OLD to NEW; its villages, residents and accounts stay."""
    from learn.services import communes
    from learn.strings_vi import t
    from progress_db.db import open_db

    open_db(settings.database_url)
    before, after = communes.rename(old, new)
    click.echo(t("commune.renamed", old=before.name, new=after.name))


@cli.group()
def users() -> None:
    """Accounts of the village tech teams (trainers) and commune staff."""


def _ask_password() -> str:
    """A new password typed twice, hidden; asked again until it is long enough and both times the same."""
    from learn.errors import InvalidInput
    from learn.services.accounts import MIN_PASSWORD, check_password
    from learn.strings_vi import t

    while True:
        first = click.prompt(t("cli.password", minimum=MIN_PASSWORD), hide_input=True)
        try:
            check_password(first)
        except InvalidInput as exc:
            click.echo(t("cli.error", message=_said(exc)), err=True)
            continue
        if click.prompt(t("cli.password_again"), hide_input=True) == first:
            return str(first)
        click.echo(t("cli.error", message=t("cli.password_mismatch")), err=True)


@users.command("add")
@click.argument("username")
@click.option("--role", required=True, metavar="[trainer|staff|admin]")
@click.option("--commune", help="The commune the account works for (not for admins).")
@click.option("--name", default="", help="Display name shown in the app (default: the username).")
@click.option("--password", help="Asked for when not given (at least 8 characters).")
@click.pass_obj
def users_add(settings: Settings, username: str, role: str, commune: str | None, name: str,
              password: str | None) -> None:
    """Create an account that signs in with USERNAME and a password."""
    from learn.services.accounts import check_new_account, create_account
    from learn.strings_vi import t
    from progress_db.db import open_db

    open_db(settings.database_url)
    role = role.strip().lower()
    check_new_account(username, role, commune)  # before the password is typed twice for nothing
    if password is None:
        password = _ask_password()
    created = create_account(username, name, password, role, commune)
    values = {"username": created.username, "role": t(f"dashboard.role.{created.role}"), "commune": created.commune}
    click.echo(t("cli.user_created_for", **values) if created.commune else t("cli.user_created", **values))


@cli.group()
def report() -> None:
    """Reports for commune staff."""


def _commune(commune: str | None) -> str:
    """The commune named, or the only one in the database."""
    from progress_db import community

    if commune is None:
        communes = [name for _, name in community.list_communes()]
        if len(communes) != 1:
            raise click.UsageError(f"name the commune with --commune (there are {len(communes)})")
        return communes[0]
    return commune


@report.command("villages")
@click.option("--commune", help="Commune name (default: the only one in the database).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.pass_obj
def report_villages(settings: Settings, commune: str | None, fmt: str) -> None:
    """Each village of a commune: residents, lessons completed, share who finished each core topic, each
    indicator's value, households, sessions, last activity."""
    from learn.lessons.catalog import Catalog
    from learn.services import exports, reports
    from progress_db.db import open_db

    open_db(settings.database_url)
    records = exports.as_records(reports.villages_report(Catalog.load(settings.content_dir), _commune(commune)))
    columns = exports.VILLAGE_COLUMNS
    if fmt == "csv":
        click.echo(exports.as_csv(records, columns), nl=False)
    elif fmt == "json":
        for record in records:
            click.echo(json.dumps(record, ensure_ascii=False))
    else:
        widths = {c: max(len(c), *(len(str(r[c])) for r in records)) if records else len(c) for c in columns}
        click.echo("  ".join(c.ljust(widths[c]) for c in columns))
        for r in records:
            click.echo("  ".join(str(r[c]).ljust(widths[c]) for c in columns))


def _staff_view(commune: str) -> tuple[AccountInfo, int]:
    """An admin's view of one commune, for the CLI (which runs as the operator), and the commune's id."""
    from progress_db import community
    from progress_db.records import AccountInfo

    commune_id = community.find_commune(commune)
    if commune_id is None:
        raise click.ClickException(f"no commune named {commune!r}")
    return AccountInfo(0, "cli", "cli", "admin", None, None), commune_id


@report.command("monthly")
@click.option("--commune", help="Commune name (default: the only one in the database).")
@click.option("--month", "month", required=True, help="The month, as YYYY-MM.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The HTML file to write (open it in a browser and print).")
@click.pass_obj
def report_monthly(settings: Settings, commune: str | None, month: str, output: Path) -> None:
    """The printable one-page monthly report of a commune."""
    from datetime import date

    from learn.lessons.catalog import Catalog
    from learn.services import monthly, reports
    from progress_db.db import open_db

    try:
        first = date.fromisoformat(f"{month}-01")
    except ValueError as exc:
        raise click.BadParameter("use YYYY-MM, e.g. 2026-10", param_hint="--month") from exc
    open_db(settings.database_url)
    who, commune_id = _staff_view(_commune(commune))
    dash = reports.dashboard(who, Catalog.load(settings.content_dir), commune_id, monthly.month_filters(first))
    output.write_text(monthly.monthly_report(dash, reports.local_today()), encoding="utf-8")
    click.echo(f"monthly report for {dash.commune}, {month}: {output}")


@report.command("learners")
@click.option("--commune", help="Commune name (default: the only one in the database).")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The file to write.")
@click.pass_obj
def report_learners(settings: Settings, commune: str | None, fmt: str, output: Path) -> None:
    """Every resident's progress (CSV), or the village table and residents' progress (Excel), spreadsheet-safe."""
    from learn.lessons.catalog import Catalog
    from learn.services import exports, reports
    from progress_db import community
    from progress_db.db import open_db

    open_db(settings.database_url)
    who, commune_id = _staff_view(_commune(commune))
    catalog = Catalog.load(settings.content_dir)
    rows = reports.learners_report(who, catalog, commune_id)
    if fmt == "xlsx":
        output.write_bytes(exports.exports(reports.dashboard(who, catalog, commune_id), rows))
    else:
        names = {v.id: v.name for v in community.list_villages() if v.commune_id == commune_id}
        output.write_text(exports.as_csv(exports.learner_records(rows, names), exports.LEARNER_COLUMNS,
                                         people=True), encoding="utf-8")
    click.echo(f"{len(rows)} residents: {output}")


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


@db.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_obj
def db_backup(settings: Settings, file: Path) -> None:
    """Copy the database to FILE while the app keeps running (SQLite backup API, or pg_dump)."""
    from progress_db.backup import backup

    click.echo(f"backup written: {backup(settings.database_url, file)}")


@db.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
def db_restore(settings: Settings, file: Path, yes: bool) -> None:
    """Replace the database with the backup FILE. Refused while `learn serve` runs on it (answers given since
    the backup would be lost). The backup is checked first, and a SQLite database is kept beside it as
    *.before-restore-TIME."""
    from progress_db.backup import restore

    if not yes:
        click.confirm(f"Replace {settings.database_url} with {file}?", abort=True)
    kept = restore(settings.database_url, file, settings.home)
    click.echo(f"restored from {file}" + (f"; the previous database is kept at {kept}" if kept else ""))


@cli.group()
def sync() -> None:
    """Offline sync: a trainer's laptop exports a bundle, the commune or province server imports it."""


@sync.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The bundle file to write.")
@click.option("--all", "everything", is_flag=True, help="Everything, not only what changed since the last export.")
@click.pass_obj
def sync_export(settings: Settings, output: Path, everything: bool) -> None:
    """Write what this laptop recorded since its last export to one bundle file (readable only by you). With a
    commune's key in LEARN_SYNC_KEY, only that commune's records."""
    from learn.services import sync as syncing
    from progress_db.db import open_db

    key = syncing.parse_key(settings.sync_key)
    open_db(settings.database_url)
    made = syncing.export(output, key, everything=everything)
    what = ", ".join(f"{n} {k}" for k, n in made.counts.items() if n) or "nothing new"
    since = f"since {made.since:%Y-%m-%d %H:%M} UTC" if made.since else "everything"
    signed = (f", signed for {made.commune}" if made.commune else ", signed with the master key") if key else \
        ", unsigned"
    click.echo(f"bundle {made.bundle} ({since}{signed}): {what}: {output}")
    if made.left_out:
        click.echo(f"not in this bundle: the records of {', '.join(made.left_out)} (this laptop's key is "
                   f"{made.commune}'s only)", err=True)


@sync.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def sync_import(settings: Settings, file: Path) -> None:
    """Take a bundle in: checked whole first (nothing is written if anything is wrong), then written in parts
    others can write between; the same bundle twice changes nothing, and an import that was interrupted is
    finished by importing the same file again."""
    from learn.lessons.catalog import Catalog
    from learn.services import sync as syncing
    from progress_db.db import open_db

    if file.stat().st_size > syncing.MAX_BUNDLE:  # refused before it is read into memory
        raise syncing.BundleRejected(f"{file} is larger than any bundle", "sync.too_large")
    catalog = Catalog.load(settings.content_dir)
    open_db(settings.database_url)
    done = syncing.take_in(file.read_bytes(), settings.sync_key, catalog)
    if done.already:
        click.echo(f"bundle {done.bundle} was imported before: nothing changed")
        return
    what = ", ".join(f"{n} {k}" for k, n in done.added.items() if n) or "nothing new"
    matched = f"; {done.matched_learners} residents matched by name" if done.matched_learners else ""
    click.echo(f"bundle {done.bundle} from {done.origin}: added {what}{matched}")
    if done.unfinished:
        click.echo(f"interrupted earlier and not finished: bundle(s) {', '.join(done.unfinished)}; import those "
                   "files again", err=True)


@sync.command("key")
@click.option("--commune", "commune", required=True, help="The commune whose laptops get the key.")
@click.pass_obj
def sync_key(settings: Settings, commune: str) -> None:
    """On the server (LEARN_SYNC_KEY is its master key): print the key for a commune's laptops. Set it as their
    LEARN_SYNC_KEY: they can sign bundles for that commune only, and cannot work out any other key."""
    from learn.services import communes
    from learn.services import sync as syncing
    from progress_db.db import open_db

    master = syncing.parse_key(settings.sync_key)
    open_db(settings.database_url)
    found = communes.find(commune)
    click.echo(syncing.commune_key(master, found.name))
    click.echo(f"LEARN_SYNC_KEY for the laptops of {found.name}; keep it as secret as a password", err=True)


@cli.group()
def voices() -> None:
    """Voice packs: the tech team's recorded narration, carried to another laptop or the commune server."""


@voices.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--commune", help="Commune name (default: the commune of LEARN_SYNC_KEY, or the only one).")
@click.pass_obj
def voices_export(settings: Settings, file: Path, commune: str | None) -> None:
    """Write a commune's recordings (every language, with who recorded and approved them) to one voice pack,
    signed with LEARN_SYNC_KEY like a sync bundle."""
    from learn.services import sync as syncing
    from learn.services import voice_packs
    from progress_db.db import open_db

    key = syncing.parse_key(settings.sync_key)
    open_db(settings.database_url)
    name = commune or (key.commune if key is not None and key.commune else _commune(None))
    made = voice_packs.export(file, key, settings.audio_cache_dir, name)
    click.echo(f"voice pack of {made.commune} ({'signed' if made.signed else 'unsigned'}): "
               f"{made.recordings} recordings: {file}")
    if made.missing:
        click.echo(f"left out: {made.missing} recordings whose clip is no longer in {settings.audio_cache_dir}",
                   err=True)


@voices.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def voices_import(settings: Settings, file: Path) -> None:
    """Take a voice pack in, into the commune it is for: checked whole first (nothing changes if anything is
    wrong); a later recording of the same line replaces an older one; the same pack twice changes nothing."""
    from learn.services import voice_packs
    from progress_db.db import open_db

    if file.stat().st_size > voice_packs.MAX_PACK:  # refused before it is read into memory
        raise voice_packs.VoicePackRejected(f"{file} is larger than any voice pack", "voicepack.too_large",
                                            limit=voice_packs.MAX_PACK // 2**20)
    open_db(settings.database_url)
    done = voice_packs.take_in(file.read_bytes(), settings.sync_key, settings.audio_cache_dir)
    click.echo(f"voice pack of {done.commune}: {done.added} added, {done.replaced} replaced, "
               f"{done.unchanged} unchanged" + ("" if done.changed else ": nothing changed"))


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


@demo.command("seed")
@click.option("--villages", type=click.IntRange(1), required=True, help="Villages in all.")
@click.option("--learners", type=click.IntRange(0), required=True, help="Residents in all.")
@click.option("--communes", type=click.IntRange(1), default=1, show_default=True,
              help="Spread the villages over this many communes (a province).")
@click.option("--months", type=click.IntRange(1, 60), default=8, show_default=True, help="Months of history.")
@click.option("--seed", "seed_value", type=int, default=1, show_default=True, help="Same seed, same data.")
@click.pass_obj
def demo_seed(settings: Settings, villages: int, learners: int, communes: int, months: int,
              seed_value: int) -> None:
    """Add a realistic synthetic commune or province (names, uneven villages, months of answers)."""
    from learn.lessons.catalog import Catalog
    from learn.services import demo as demo_data
    from progress_db.db import open_db

    open_db(settings.database_url)
    made = demo_data.seed(Catalog.load(settings.content_dir), settings.content_dir / "demo-names.yaml",
                          villages, learners, communes=communes, seed=seed_value, months=months)
    click.echo(f"{made.communes} communes, {made.villages} villages, {made.learners} residents, "
               f"{made.lessons} lessons started, {made.answers} answers, {made.sessions} group sessions")


def _workers(ctx: click.Context, param: click.Parameter, value: str) -> int | None:
    """`--workers`: a number of app processes, or None for `auto`."""
    if value.strip().lower() == "auto":
        return None
    try:
        count = int(value)
    except ValueError:
        count = 0
    if not 1 <= count <= 64:
        raise click.BadParameter(f"{value!r} is not a number from 1 to 64, nor 'auto'")
    return count


def _auto_workers(settings: Settings) -> int:
    from learn.app.workers import auto_count

    return auto_count(settings.vosk_model_dir)


@cli.command()
@click.option("--host", default="0.0.0.0", show_default=True,
              help="Address to listen on (127.0.0.1: this laptop only).")
@click.option("--port", default=8501, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--https", "https", is_flag=True,
              help="Serve over HTTPS so phones on the Wi-Fi may record answers (a self-signed certificate is made "
                   "in $LEARN_HOME/tls unless --cert and --key are given).")
@click.option("--cert", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Certificate (PEM).")
@click.option("--key", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Private key (PEM).")
@click.option("--workers", "workers", default="1", show_default=True, metavar="N|auto", callback=_workers,
              help="App processes behind nginx (sticky sessions by a cookie; a process that dies is restarted); "
                   "`auto`: one per core, as many as the memory holds. 1: no nginx.")
@click.pass_obj
def serve(settings: Settings, host: str, port: int, https: bool, cert: Path | None, key: Path | None,
          workers: int | None) -> None:
    """Start the app for residents on http://HOST:PORT (or https://)."""
    from learn.app.serving import streamlit_command
    from learn.services.voice import forget_old_voices
    from learn.strings_vi import t
    from learn.tls import CertificateError, ensure_certificate, local_addresses
    from progress_db import private
    from progress_db.db import open_db

    private.folder(settings.home)  # the app keeps its database, audio and TLS key there: 0700
    open_db(settings.database_url)  # fail here, clearly, rather than in the first visitor's browser
    forget_old_voices(settings.keep_voice_days)  # it comes from a person's voice: kept LEARN_KEEP_VOICE_DAYS
    if (cert is None) != (key is None):
        raise click.UsageError("give both --cert and --key, or neither")
    if cert is not None:
        https = True
    if https and cert is None:
        try:
            cert, key = ensure_certificate(settings.home / "tls")
        except (CertificateError, OSError) as exc:
            raise click.ClickException(str(exc)) from exc
    args = streamlit_command(APP, host, port, (cert, key) if https and cert and key else None)
    scheme = "https" if https else "http"
    shown = [a for a in local_addresses() if a != "127.0.0.1"] if host == "0.0.0.0" else [host]
    addresses = ", ".join(f"{scheme}://{a if ':' not in a else f'[{a}]'}:{port}" for a in ["localhost", *shown])
    click.echo("Học Số: " + addresses)
    if https and cert is not None and cert.parent == settings.home / "tls":
        click.echo("Phones show a warning for this laptop's own certificate the first time: " + t("serve.proceed"))
    count = workers if workers is not None else _auto_workers(settings)
    if count == 1:
        os.execv(sys.executable, args)
    from learn.app import workers as supervisor

    status = supervisor.serve(APP, settings.home, host, port, count, audio_dir=settings.audio_cache_dir,
                              tls=(cert, key) if https and cert and key else None,
                              ready=lambda: click.echo(t("serve.workers_ready", count=count, addresses=addresses)))
    sys.exit(status)


def main() -> None:
    cli()
