"""The annotated real-news corpus: manifest, labels, split, and the texts rebuilt from their sources.

What the repository keeps (``data/corpus/``): the manifest (outlet, date, source repository, path,
commit, licence, SHA-256 of the text, split), the labels, the second labelling and the guidelines.
It does not keep the texts: they belong to the outlets and reach us through public research
corpora, so ``python -m mediawatch.learn.corpus materialise --snapshots DIR`` rebuilds them from
git snapshots of those corpora into a per-machine cache (``MEDIAWATCH_CORPUS_TEXTS``, default
``~/.cache/mediawatch/corpus-texts``), checking every text against its SHA-256.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from mediawatch.seedfile import StrictModel

from . import sources

CORPUS_DIR = Path(__file__).resolve().parents[3] / "data" / "corpus"
Tone = Literal["positive", "neutral", "negative", "none"]
Sentiment = Literal["positive", "neutral", "negative"]
MANIFEST_FIELDS = ("id", "language", "outlet", "date", "url", "source_repo", "source_path", "source_commit",
                   "licence", "sha256", "split")


class CorpusError(Exception):
    """The corpus files are inconsistent, or its texts are not available on this machine."""


class EntityLabel(StrictModel):
    text: str = Field(min_length=1)
    type: Literal["PER", "ORG", "LOC"]


class SentenceLabel(StrictModel):
    n: int = Field(ge=0)
    sha1: str = Field(min_length=10, max_length=10)
    Russia: Tone | None = None
    Syria: Tone | None = None


class ArticleLabels(StrictModel):
    id: str
    annotator: str
    sentiment: Sentiment
    tone: dict[str, Tone]
    topics: tuple[str, ...] = ()
    relevant: bool
    entities: tuple[EntityLabel, ...] = ()
    sentences: tuple[SentenceLabel, ...] = ()
    note: str = ""

    @field_validator("tone")
    @classmethod
    def _both_sides(cls, tone: dict[str, str]) -> dict[str, str]:
        if set(tone) != {"Russia", "Syria"}:
            raise ValueError(f"tone must give Russia and Syria, not {sorted(tone)}")
        return tone


class SecondLabel(StrictModel):
    id: str
    n: int
    side: Literal["Russia", "Syria"]
    first: Tone
    second: Tone
    annotators: tuple[str, str]


@dataclass(frozen=True)
class CorpusArticle:
    id: str
    language: str
    outlet: str
    date: str
    url: str
    source_repo: str
    source_path: str
    source_commit: str
    licence: str
    sha256: str
    split: str
    labels: ArticleLabels
    text: str = field(default="", repr=False)

    @property
    def title(self) -> str:
        return self.text.split("\n", 1)[0]

    @property
    def body(self) -> str:
        return self.text.split("\n", 1)[1] if "\n" in self.text else ""


def texts_dir() -> Path:
    configured = os.environ.get("MEDIAWATCH_CORPUS_TEXTS")
    return Path(configured) if configured else Path.home() / ".cache" / "mediawatch" / "corpus-texts"


def read_manifest(corpus_dir: Path = CORPUS_DIR) -> list[dict[str, str]]:
    with open(corpus_dir / "manifest.tsv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    if rows and tuple(rows[0]) != MANIFEST_FIELDS:
        raise CorpusError(f"{corpus_dir / 'manifest.tsv'}: columns {tuple(rows[0])} != {MANIFEST_FIELDS}")
    return rows


def write_manifest(rows: Iterable[dict[str, str]], corpus_dir: Path = CORPUS_DIR) -> None:
    with open(corpus_dir / "manifest.tsv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, MANIFEST_FIELDS, delimiter="\t", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def read_labels(corpus_dir: Path = CORPUS_DIR) -> dict[str, ArticleLabels]:
    labels: dict[str, ArticleLabels] = {}
    for path in sorted((corpus_dir / "labels").glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            try:
                item = ArticleLabels.model_validate_json(line)
            except ValueError as exc:
                raise CorpusError(f"{path}:{number}: {exc}") from exc
            labels[item.id] = item
    return labels


def read_second_labels(corpus_dir: Path = CORPUS_DIR) -> list[SecondLabel]:
    return [SecondLabel.model_validate_json(line)
            for path in sorted((corpus_dir / "agreement").glob("*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()]


def cohen_kappa(pairs: Iterable[tuple[str, str]]) -> float:
    """Cohen's kappa of two annotators' labels on the same items."""
    pairs = list(pairs)
    if not pairs:
        return 0.0
    observed = sum(a == b for a, b in pairs) / len(pairs)
    labels = {x for pair in pairs for x in pair}
    expected = sum((sum(a == label for a, _ in pairs) / len(pairs)) * (sum(b == label for _, b in pairs) / len(pairs))
                   for label in labels)
    return round((observed - expected) / (1 - expected), 4) if expected < 1 else 1.0


def agreement(corpus_dir: Path = CORPUS_DIR) -> dict[str, dict[str, float | int]]:
    """Per language: pairs labelled twice, raw agreement and Cohen's kappa over the four tone labels."""
    by_language: dict[str, list[tuple[str, str]]] = {}
    for label in read_second_labels(corpus_dir):
        by_language.setdefault(label.id.split("-", 1)[0], []).append((label.first, label.second))
    return {lang: {"pairs": len(pairs), "agreement": round(sum(a == b for a, b in pairs) / len(pairs), 4),
                   "kappa": cohen_kappa(pairs)}
            for lang, pairs in sorted(by_language.items())}


def load_corpus(corpus_dir: Path = CORPUS_DIR, texts: Path | None = None, *,
                require_texts: bool = True) -> list[CorpusArticle]:
    """Every labelled article with its text; raises CorpusError when texts are missing or changed."""
    labels = read_labels(corpus_dir)
    folder = texts or texts_dir()
    articles = []
    for row in read_manifest(corpus_dir):
        if row["id"] not in labels:
            raise CorpusError(f"{row['id']} is in the manifest but has no labels")
        text = ""
        path = folder / f"{row['id']}.txt"
        if path.is_file():
            raw = path.read_bytes()  # bytes: some texts hold \r, which text mode would rewrite
            text = raw.decode("utf-8")
            if hashlib.sha256(raw).hexdigest() != row["sha256"]:
                raise CorpusError(f"{path}: text differs from the manifest's SHA-256; materialise again")
        elif require_texts:
            raise CorpusError(f"corpus texts are not on this machine ({path} missing): run "
                              "`python -m mediawatch.learn.corpus materialise --snapshots DIR` with git "
                              "snapshots of the source corpora (see data/corpus/README.md)")
        articles.append(CorpusArticle(**row, labels=labels[row["id"]], text=text))
    return articles


def texts_available(corpus_dir: Path = CORPUS_DIR) -> bool:
    folder = texts_dir()
    return all((folder / f"{row['id']}.txt").is_file() for row in read_manifest(corpus_dir))


def materialise(snapshots: Path, corpus_dir: Path = CORPUS_DIR, texts: Path | None = None) -> int:
    """Rebuild every text from ``snapshots/<owner>+<name>/repo`` (as the search tool fetches them)."""
    folder = texts or texts_dir()
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for row in read_manifest(corpus_dir):
        snapshot = snapshots / row["source_repo"].replace("/", "+") / "repo"
        title, body = sources.read_article(snapshot, row["source_repo"], row["source_path"], row["source_commit"])
        text = sources.article_text(title, body)
        if hashlib.sha256(text.encode()).hexdigest() != row["sha256"]:
            raise CorpusError(f"{row['id']}: rebuilt text does not match the manifest's SHA-256")
        target = folder / f"{row['id']}.txt"
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(text.encode("utf-8"))
        tmp.replace(target)
        written += 1
    return written


def split_groups(rows: list[dict[str, str]], test_share: float = 0.3) -> dict[str, str]:
    """Assign whole outlet-days to train or test (no outlet-day in both), about ``test_share`` test.

    Groups are ordered by a hash of (language, outlet, date) and taken into the test split until
    each language's share is reached: deterministic, and blind to the labels.
    """
    split: dict[str, str] = {}
    for language in sorted({r["language"] for r in rows}):
        mine = [r for r in rows if r["language"] == language]
        groups: dict[tuple[str, str], list[str]] = {}
        for r in mine:
            groups.setdefault((r["outlet"], r["date"]), []).append(r["id"])
        order = sorted(groups, key=lambda g: hashlib.sha256(f"{language}|{g[0]}|{g[1]}".encode()).hexdigest())
        taken = 0
        for group in order:
            part = "test" if taken < test_share * len(mine) else "train"
            taken += len(groups[group]) if part == "test" else 0
            for article_id in groups[group]:
                split[article_id] = part
    return split


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mediawatch.learn.corpus", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    mat = sub.add_parser("materialise", help="rebuild the corpus texts from git snapshots of the source corpora")
    mat.add_argument("--snapshots", type=Path, required=True, help="folder holding <owner>+<name>/repo snapshots")
    sub.add_parser("status", help="say whether the texts are available here")
    sub.add_parser("agreement", help="Cohen's kappa of the second labelling, per language")
    args = parser.parse_args(argv)
    if args.command == "materialise":
        count = materialise(args.snapshots)
        print(json.dumps({"texts": count, "dir": str(texts_dir())}))
        return 0
    if args.command == "agreement":
        print(json.dumps(agreement(), indent=1))
        return 0
    print(json.dumps({"texts_available": texts_available(), "dir": str(texts_dir())}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
