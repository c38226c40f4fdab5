"""`intake classifier evaluate`: how well the classifier does on requests it never saw."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from intake import catalogue
from intake.classification import evaluation as ev
from intake.classification.rules import load_rules
from intake.classification.service import example_files, holdout_examples, training_examples
from intake.cli.common import echo_json
from intake.cli.main import Context


@click.group("classifier")
def command() -> None:
    """The learned classifier of type and severity."""


@command.command("evaluate")
@click.option("--folds", default=5, show_default=True, help="Cross-validation folds.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def evaluate(ctx: Context, folds: int, as_json: bool) -> None:
    """Train on the labelled set's training part and measure it on its holdout (which
    nothing is tuned on), with cross-validation over the training part beside it."""
    settings = ctx.settings
    if folds < 2:
        raise click.BadParameter("at least 2", param_hint="--folds")
    files = example_files(settings.examples_dir)
    rules = catalogue.read(settings.rules_file, load_rules)
    learn, holdout = training_examples(files), holdout_examples(files)
    if not holdout:
        raise click.ClickException(f"{settings.examples_dir} has no holdout to measure on")
    measured = ev.measure(learn, holdout, rules)
    crossed = ev.cross_validated(learn, rules, folds)
    below = settings.quotes.review_below
    report = _report(measured, crossed, below)
    report["examples"] = {"training": len(learn), "holdout": len(holdout), "folds": folds}
    if as_json:
        echo_json(report)
        return
    _print(report, measured)


def _report(
    measured: Sequence[ev.Outcome], crossed: Sequence[ev.Outcome], below: float
) -> dict[str, object]:
    sent, right, both = ev.automatic(measured, below)
    languages = sorted({o.example.language for o in measured})
    return {
        "holdout": {
            axis: {
                "accuracy": round(ev.accuracy(measured, axis), 4),
                "per_label": {k: list(v) for k, v in ev.per_label(measured, axis).items()},
                "confusion": ev.confusion(measured, axis),
                "calibration": [list(row) for row in ev.calibration(measured, axis)],
            }
            for axis in ev.AXES
        },
        "by_language": {
            language: {
                axis: round(
                    ev.accuracy([o for o in measured if o.example.language == language], axis),
                    4,
                )
                for axis in ev.AXES
            }
            | {"requests": sum(o.example.language == language for o in measured)}
            for language in languages
        },
        "cross_validation": {axis: round(ev.accuracy(crossed, axis), 4) for axis in ev.AXES},
        "review": {
            "review_below": below,
            "quoted_without_review": sent,
            "of_holdout": len(measured),
            "right_on_type": right,
            "right_on_both": both,
            "threshold_for_95_percent_on_cross_validation": ev.review_threshold(crossed),
        },
    }


def _print(report: dict[str, Any], measured: Sequence[ev.Outcome]) -> None:
    sizes = report["examples"]
    click.echo(
        f"trained on {sizes['training']} labelled requests; measured on the holdout of "
        f"{sizes['holdout']}, which nothing was tuned on"
    )
    crossed = report["cross_validation"]
    for axis in ev.AXES:
        part = report["holdout"][axis]
        click.echo("")
        click.echo(
            f"{axis}: {part['accuracy']:.1%} right on the holdout "
            f"({crossed[axis]:.1%} in {sizes['folds']}-fold cross-validation of the training part)"
        )
        labels = ev.AXES[axis]
        width = max(len(label) for label in labels) + 2
        click.echo(
            "  "
            + "true \\ said".ljust(width + 4)
            + "".join(said.rjust(width) for said in labels)
            + "   right"
        )
        for label in labels:
            row = part["confusion"][label]
            good, total = part["per_label"][label]
            share = f"{good / total:.0%}" if total else "-"
            click.echo(
                "  "
                + label.ljust(width + 4)
                + "".join(str(row[said]).rjust(width) for said in labels)
                + f"   {good}/{total} {share}"
            )
        click.echo("  calibration: of requests the model gave probability p, how many it got right")
        bounds = [row[0] for row in part["calibration"]] + [1.0]
        for (low, count, good), high in zip(part["calibration"], bounds[1:], strict=True):
            if count:
                span = f"{low:.2f} to {high:.2f}"
                click.echo(f"    p {span}: {good:>4} right of {count:<4} ({good / count:.0%})")
    click.echo("")
    click.echo("by language (holdout):")
    for language, figures in report["by_language"].items():
        click.echo(
            f"  {language or '?':<4} {figures['requests']:>4} requests   "
            f"type {figures['type']:.1%}   severity {figures['severity']:.1%}"
        )
    review = report["review"]
    sent, total = review["quoted_without_review"], review["of_holdout"]
    click.echo("")
    click.echo(
        f"review below {review['review_below']}: {sent} of {total} ({sent / total:.0%}) would be "
        f"quoted without review; of those {review['right_on_type']} "
        f"({review['right_on_type'] / sent if sent else 0:.1%}) right on type, "
        f"{review['right_on_both']} on type and severity"
    )
    click.echo(
        "  the lowest quotes.review_below giving 95 % right on type in cross-validation: "
        f"{review['threshold_for_95_percent_on_cross_validation']}"
    )
