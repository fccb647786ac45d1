"""``cityloop model …`` commands: train, eval, list, activate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

model_app = typer.Typer(
    help="Train, evaluate and version the appeal classifier.", no_args_is_help=True
)


def default_models_dir() -> Path:
    """Where model versions live unless --models-dir is given.

    The one place to swap for the project settings object later.
    """
    from cityloop.settings import get_settings

    return get_settings().models_dir


DataOpt = Annotated[Path, typer.Option("--data", help="Labelled CSV or XLSX file.")]
TextOpt = Annotated[str, typer.Option("--text-col", help="Column with the appeal body.")]
TitleOpt = Annotated[
    str | None, typer.Option("--title-col", help="Optional title column, prepended to the text.")
]
LabelOpt = Annotated[str, typer.Option("--label-col", help="Column with the category.")]
DirOpt = Annotated[
    Path | None, typer.Option("--models-dir", help="Model registry folder (default: data dir).")
]


def _load(data: Path, text_col: str, label_col: str, title_col: str | None):  # type: ignore[no-untyped-def]
    from cityloop.nlp.datasets import DatasetError, read_labeled

    try:
        ds = read_labeled(data, text_col=text_col, label_col=label_col, title_col=title_col)
    except DatasetError as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"{len(ds)} rows from {data} ({ds.encoding}); skipped {ds.skipped_empty} empty")
    if len(set(ds.labels)) < 2:
        typer.secho("need at least two distinct labels", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    return ds


@model_app.command("train")
def train(
    data: Annotated[Path | None, typer.Option("--data", help="Labelled CSV or XLSX file.")] = None,
    text_col: Annotated[str, typer.Option("--text-col", help="Column with the appeal body.")] = "",
    label_col: Annotated[str, typer.Option("--label-col", help="Column with the category.")] = "",
    title_col: TitleOpt = None,
    from_history: Annotated[
        bool,
        typer.Option(
            "--from-history",
            help="Train on the database's own closed orders (with dispatchers' corrections).",
        ),
    ] = False,
    level: Annotated[
        int, typer.Option("--level", min=1, max=3, help="Taxonomy depth to learn (history).")
    ] = 3,
    folds: Annotated[int, typer.Option("--folds", min=2, help="Cross-validation folds.")] = 5,
    models_dir: DirOpt = None,
    precision: Annotated[
        float, typer.Option("--precision", help="Target precision for auto-dispatch.")
    ] = 0.95,
) -> None:
    """Cross-validate, train on all rows, register the model as a new version and activate it."""
    from tqdm import tqdm

    from cityloop.nlp.evaluation import render_table
    from cityloop.nlp.training import train_and_register

    if from_history:
        from cityloop.services.context import build_context
        from cityloop.services.learning import corrections, training_examples
        from cityloop.settings import get_settings

        ctx = build_context(get_settings())
        texts, labels = training_examples(ctx, level=level)
        typer.echo(
            f"{len(texts)} closed orders from the database "
            f"({corrections(ctx)} dispatcher corrections among them)"
        )
        if len(set(labels)) < 2:
            typer.secho(
                "need closed orders in at least two categories", fg=typer.colors.RED, err=True
            )
            raise typer.Exit(2)
    elif data is None or not text_col or not label_col:
        typer.secho(
            "give --data, --text-col and --label-col, or --from-history",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2)
    else:
        ds = _load(data, text_col, label_col, title_col)
        texts, labels = ds.texts, ds.labels
    version, report, legend = train_and_register(
        texts,
        labels,
        models_dir or default_models_dir(),
        folds=folds,
        precision=precision,
        progress=lambda it: tqdm(it, desc="cross-validation", unit="fold"),
    )
    typer.echo(render_table(report))
    if legend:
        typer.echo("confusion.png axes use class indices (no CJK font installed):\n" + legend)
    typer.echo(f"registered and activated {version} in {models_dir or default_models_dir()}")


@model_app.command("eval")
def evaluate(
    data: DataOpt,
    text_col: TextOpt,
    label_col: LabelOpt,
    title_col: TitleOpt = None,
    models_dir: DirOpt = None,
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold",
            min=0.0,
            max=1.0,
            help="Measure auto-dispatch at this threshold instead of the model's stored one "
            "(e.g. a CITYLOOP_AUTO_DISPATCH_THRESHOLD under consideration).",
        ),
    ] = None,
) -> None:
    """Score the active model on a labelled file: macro-F1, the per-class table, and
    auto-dispatch coverage and precision at the threshold stored in training (never re-tuned
    on this file's labels)."""
    from cityloop.nlp.evaluation import render_table, score
    from cityloop.nlp.registry import ModelRegistry

    registry = ModelRegistry(models_dir or default_models_dir())
    model = registry.active()
    if model is None:
        typer.secho(f"no active model in {registry.root}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1)
    ds = _load(data, text_col, label_col, title_col)
    proba = model.predict_proba(ds.texts)
    pred = [str(model.classes_[i]) for i in proba.argmax(axis=1)]
    classes = sorted(set(model.classes_) | set(ds.labels))
    # Labels the model never learnt count as errors; the confidence is the model's own.
    at = threshold if threshold is not None else registry.threshold()
    rep = score(ds.labels, pred, proba, classes, threshold=at)
    if threshold is not None:
        rep.extra["threshold_source"] = "given"
    typer.echo(f"model {registry.active_version()}")
    typer.echo(render_table(rep))


@model_app.command("list")
def list_versions(models_dir: DirOpt = None) -> None:
    """List model versions (* marks the active one)."""
    from cityloop.nlp.registry import ModelRegistry

    registry = ModelRegistry(models_dir or default_models_dir())
    versions = registry.list()
    if not versions:
        typer.echo(f"no models in {registry.root}")
        return
    for v in versions:
        f1 = v.metrics.get("macro_f1")
        f1_s = f"{f1:.4f}" if isinstance(f1, int | float) else "-"
        n = v.metrics.get("n_samples", "-")
        mark = "*" if v.active else " "
        typer.echo(f"{mark} {v.version}  macro-F1 {f1_s}  n={n}  {v.created_at}")


@model_app.command("activate")
def activate(
    version: Annotated[str, typer.Argument(help="Version folder name, 'v0002' or '2'.")],
    models_dir: DirOpt = None,
) -> None:
    """Make VERSION the model used for routing."""
    from cityloop.nlp.registry import ModelRegistry

    registry = ModelRegistry(models_dir or default_models_dir())
    try:
        name = registry.activate(version)
    except KeyError as exc:
        typer.secho(str(exc.args[0]), fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from exc
    from sqlalchemy.exc import SQLAlchemyError

    from cityloop.audit.changes import record
    from cityloop.services.context import build_context
    from cityloop.settings import get_settings

    ctx = build_context(get_settings())
    try:
        record(ctx, None, "config.model_activate", name, {"models_dir": str(registry.root)})
    except SQLAlchemyError as exc:  # a models folder used without the platform's database
        cause = getattr(exc, "orig", exc)
        typer.secho(
            f"未记入审计日志（数据库不可用） not audited, database unavailable: {cause!r}"[:300],
            fg=typer.colors.YELLOW,
            err=True,
        )
    finally:
        ctx.engine.dispose()
    typer.echo(f"active model: {name}")
