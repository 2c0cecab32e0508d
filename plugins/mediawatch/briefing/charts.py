"""The briefing's four charts as PNG bytes (matplotlib Figure objects; no pyplot, no global state)."""

from __future__ import annotations

import io
from typing import Any

from ..constants import TONE_FIELDS
from .data import Briefing
from .text import CHART_FONT, chart_label, language_label

LANGUAGE_COLORS = {"ar": "#1b7837", "ru": "#2166ac", "en": "#b2182b"}
KIND_COLORS = {"state": "#4d4d4d", "private": "#4393c3", "opposition": "#d6604d", "international": "#92c5de",
               "search": "#f4a582"}
CHART_NAMES = ("volume", "tone", "entities", "stories")


def _figure(width: float, height: float, rows: int = 1, cols: int = 1, **kwargs: Any) -> Any:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    return fig, fig.subplots(rows, cols, squeeze=False, **kwargs)


def _png(fig: Any) -> bytes:
    import matplotlib

    buffer = io.BytesIO()
    with matplotlib.rc_context({"font.family": "sans-serif", "font.sans-serif": [CHART_FONT]}):
        fig.savefig(buffer, format="png", facecolor="white")
    return buffer.getvalue()


def _legend(ax: Any, **kwargs: Any) -> None:
    """A legend only where something is labelled (an empty day has no lines)."""
    if ax.get_legend_handles_labels()[0] or kwargs.get("handles"):
        ax.legend(fontsize=8, **kwargs)


def volume_chart(briefing: Briefing) -> bytes:
    """Articles per language split by outlet kind, and the hourly volume per language."""
    fig, axes = _figure(11, 4.2, 1, 2, width_ratios=[1, 1.4])
    bars, lines = axes[0]
    languages = briefing.ordered_languages()[::-1]
    kinds = sorted(briefing.kinds, key=lambda k: -briefing.kinds[k])
    left = [0] * len(languages)
    for kind in kinds:
        values = [briefing.language_kinds.get(lang, {}).get(kind, 0) for lang in languages]
        bars.barh(range(len(languages)), values, left=left, label=kind, color=KIND_COLORS.get(kind))
        left = [a + b for a, b in zip(left, values, strict=True)]
    for y, total in enumerate(left):
        bars.text(total, y, f" {total}", va="center", fontsize=9)
    bars.set_yticks(range(len(languages)), [language_label(lang) for lang in languages])
    bars.set_xlabel("articles")
    bars.set_title("Articles by language and outlet kind")
    _legend(bars, loc="lower right")
    bars.margins(x=0.15)
    for lang in languages[::-1]:
        lines.plot(briefing.hourly.get(lang, []), label=language_label(lang), color=LANGUAGE_COLORS.get(lang))
    lines.set_xlabel(f"hours since {briefing.period.start:%Y-%m-%d %H:%M} UTC")
    lines.set_ylabel("articles per hour")
    lines.set_title("Hourly volume")
    _legend(lines)
    return _png(fig)


def tone_chart(briefing: Briefing) -> bytes:
    """Daily mean tone toward Russia and Syria per language: 14 days, then the report period."""
    fig, axes = _figure(11, 4.2, 1, 2, sharey=True)
    labels = [day.label for day in briefing.trend] + ["report"]
    for ax, target in zip(axes[0], TONE_FIELDS, strict=True):
        for lang in briefing.ordered_languages():
            points = [day.tone.get(target, {}).get(lang) for day in briefing.trend] + \
                     [briefing.tone.get(target, {}).get(lang)]
            values = [p.mean if p and p.count else float("nan") for p in points]
            color = LANGUAGE_COLORS.get(lang)
            ax.plot(range(len(values)), values, marker="o", markersize=3, label=language_label(lang), color=color)
            ax.plot([len(values) - 1], [values[-1]], marker="o", markersize=9, color=color)
        ax.axvspan(len(labels) - 1.5, len(labels) - 0.5, color="#fee08b", alpha=0.5)
        ax.axhline(0, color="#888", linewidth=0.8)
        ax.set_xticks(range(len(labels)), labels, rotation=60, fontsize=8)
        ax.set_title(f"Tone toward {target} (mean per day, −1 … +1)")
    axes[0][0].set_ylabel("mean tone")
    _legend(axes[0][0])
    return _png(fig)


def entities_chart(briefing: Briefing) -> bytes:
    """Top entities split by language, and the entities most co-mentioned with Russia and Syria."""
    fig, axes = _figure(13, 5, 1, 3, width_ratios=[1.3, 1, 1])
    top = axes[0][0]
    names = [name for name, _, _ in briefing.entities][::-1]
    left = [0] * len(names)
    for lang in briefing.ordered_languages():
        values = [dict((n, by) for n, _, by in briefing.entities)[name].get(lang, 0) for name in names]
        top.barh(range(len(names)), values, left=left, color=LANGUAGE_COLORS.get(lang), label=language_label(lang))
        left = [a + b for a, b in zip(left, values, strict=True)]
    top.set_yticks(range(len(names)), [chart_label(n, 28) for n in names], fontsize=8)
    top.set_title("Most mentioned entities")
    _legend(top, loc="lower right")
    for ax, (anchor, pairs) in zip(axes[0][1:], briefing.co_mentions.items(), strict=True):
        pairs = pairs[::-1]
        ax.barh(range(len(pairs)), [c for _, c in pairs], color="#762a83")
        ax.set_yticks(range(len(pairs)), [chart_label(n, 28) for n, _ in pairs], fontsize=8)
        ax.set_title(f"Co-mentioned with {anchor}")
    for ax in axes[0]:
        ax.set_xlabel("articles")
    return _png(fig)


def _language_patches(briefing: Briefing) -> list[Any]:
    from matplotlib.patches import Patch

    return [Patch(color=LANGUAGE_COLORS.get(code, "#999"), label=language_label(code))
            for code in briefing.ordered_languages()]


def stories_chart(briefing: Briefing) -> bytes:
    """The top stories (clusters) of each language by number of outlets; titles in their own script."""
    stories = briefing.stories[::-1]
    fig, axes = _figure(11, 0.45 * max(len(stories), 3) + 1.2)
    ax = axes[0][0]
    ax.barh(range(len(stories)), [len(s.outlets) for s in stories],
            color=[LANGUAGE_COLORS.get(s.language, "#999") for s in stories])
    for y, story in enumerate(stories):
        ax.text(len(story.outlets), y, f"  {story.copies} articles", va="center", fontsize=8)
    ax.set_yticks(range(len(stories)), [chart_label(s.title, 60) for s in stories], fontsize=9)
    ax.set_xlabel("outlets")
    ax.set_title("Top stories per language (one bar per story and its copies)")
    _legend(ax, handles=_language_patches(briefing), loc="lower right")
    ax.margins(x=0.2)
    return _png(fig)


def render_charts(briefing: Briefing) -> dict[str, bytes]:
    charts = {"volume": volume_chart, "tone": tone_chart, "entities": entities_chart, "stories": stories_chart}
    return {name: draw(briefing) for name, draw in charts.items()}
