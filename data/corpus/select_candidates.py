"""Choose the articles of the annotated corpus from public news corpora (run once; kept for provenance).

Reads three fetched snapshots (git directories, read with ``git show``): the ANT Corpus (Arabic),
ru_kw_eval_datasets (Russian: RT and Nezavisimaya Gazeta) and Article-Bias-Prediction (English).
For each language it keeps articles of a readable length, mostly ones that mention the Russian
or the Syrian side (found with the project's own watchlist and sentence splitter, so the labelled
sentences are exactly the sentences the enricher scores), plus some that mention neither.
Files used by ../shared/realtexts (the evaluation set) are never chosen.

Writes ``data/corpus/work/<lang>.jsonl``: id, source, text, and the side-mentioning sentences to
label. ``work/`` holds texts and is not committed (see data/corpus/README.md).

    python data/corpus/select_candidates.py --mirror /work/.mirror --realtexts ../shared/realtexts
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import random
import re
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from mediawatch.enrich.entities import match_entities
from mediawatch.enrich.pipeline import load_enricher
from mediawatch.learn import sources

ROOT = Path(__file__).resolve().parents[2]
SEED = 20261205
RELEVANT_PER_LANG = 150
OTHER_PER_LANG = 20
WORDS = {"ar": (90, 650), "ru": (120, 700), "en": (150, 750)}
MAX_SIDE_SENTENCES = 18
ANT = ("antcorpus/antcorpus.multisource.data", "antcorpus+antcorpus.multisource.data")
RUKW = ("mannefedov/ru_kw_eval_datasets", "mannefedov+ru_kw_eval_datasets")
ABP = ("ramybaly/Article-Bias-Prediction", "ramybaly+Article-Bias-Prediction")
LICENCES = {
    ANT[0]: "ANT Corpus citation licence (cite Chouigui et al. 2017); repository Apache-2.0",
    RUKW[0]: "none stated",
    ABP[0]: "Apache-2.0 (repository)",
}
_keep_other = random.Random(SEED)
EXCLUDE_TITLES: set[str] = set()
SYRIA_HINT = {"ar": "سوري", "ru": "Сири", "en": "Syria"}


def git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True).stdout


def unpacked(repo: Path) -> Path:
    """The snapshot's HEAD tree unpacked once into a temporary folder (reading 30,000 blobs one
    ``git show`` at a time takes minutes)."""
    target = Path(tempfile.gettempdir()) / f"mediawatch-corpus-{repo.parent.name}"
    if not (target / ".done").exists():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(repo), "archive", "HEAD"], check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
        (target / ".done").touch()
    return target


def ant_articles(repo: Path, exclude: set[str]) -> Iterator[dict]:
    commit = git(repo, "rev-parse", "HEAD").decode().strip()
    tree = unpacked(repo)
    for file in sorted(tree.rglob("*.txt")):
        path = file.relative_to(tree).as_posix()
        if path in exclude:
            continue
        raw = file.read_text("utf-8", "replace")
        title, body = sources.parse_ant(raw)
        if not title or not body:
            continue
        source, _category, name = path.split("/")
        yield {
            "outlet": {"BBC": "BBC Arabic", "SkyNews": "Sky News Arabia", "France24": "France 24 Arabic",
                       "CNN": "CNN Arabic", "Alarabia": "Al Arabiya"}[source],
            "date": f"{name[-12:-8]}-{name[-8:-6]}-{name[-6:-4]}",
            "url": re.search(r"<URL>(.*?)</URL>", raw, re.S).group(1).strip(),
            "repo": ANT[0], "path": path, "commit": commit,
            "title": title, "body": body,
        }


def rukw_articles(repo: Path, exclude: set[str]) -> Iterator[dict]:
    commit = git(repo, "rev-parse", "HEAD").decode().strip()
    for path in sorted(git(repo, "ls-tree", "-r", "--name-only", "HEAD").decode().splitlines()):
        name = path.rsplit("/", 1)[-1]
        if not (name.startswith("ng_") or name.startswith("russia_today_")):
            continue
        inner = name.removesuffix(".zip")
        with zipfile.ZipFile(io.BytesIO(git(repo, "show", f"HEAD:{path}"))) as archive:
            lines = archive.read(inner).decode("utf-8").split("\n")
        for number, line in enumerate(lines):
            ref = f"{path} :: {inner} line {number} (0-based)"
            if ref in exclude:
                continue
            if not line.strip():
                continue
            item = json.loads(line)
            title, body = sources.parse_rukw(line)
            url = item.get("url", "").replace("https://russian.rt.comhttps://", "https://")
            ng = re.search(r"ng\.ru/[^/]+/(\d{4}-\d{2}-\d{2})/", url)
            rt = re.search(r"/(\d{5,7})-", url)
            yield {
                "outlet": "Nezavisimaya Gazeta" if name.startswith("ng_") else "RT (russian.rt.com)",
                # RT's URLs carry no date; its article numbers rise with time, so a block of 2,000
                # numbers stands in for the date when the corpus is split.
                "date": ng.group(1) if ng else (f"rt-block-{int(rt.group(1)) // 2000}" if rt else "unknown"),
                "url": url, "repo": RUKW[0], "path": ref, "commit": commit,
                "title": title, "body": body,
            }


def abp_articles(repo: Path, exclude: set[str]) -> Iterator[dict]:
    commit = git(repo, "rev-parse", "HEAD").decode().strip()
    tree = unpacked(repo)
    for file in sorted((tree / "data" / "jsons").glob("*.json")):
        path = file.relative_to(tree).as_posix()
        if path in exclude:
            continue
        raw = file.read_text("utf-8")
        item = json.loads(raw)
        title, content = sources.parse_abp(raw)
        if "Syria" not in content and "Russia" not in content and _keep_other.random() > 0.02:
            continue
        yield {
            "outlet": item.get("source", ""), "date": item.get("date", ""), "url": item.get("url", ""),
            "repo": ABP[0], "path": path, "commit": commit,
            "title": title, "body": content,
        }




def side_sentences(enricher, title: str, body: str) -> tuple[list[dict], int]:
    doc = enricher.analyzer.analyze(title, body)
    matches = match_entities(doc, enricher.watchlist)
    out = []
    for n, words in enumerate(doc.sentence_ranges()):
        ids = matches.by_sentence[n] if n < len(matches.by_sentence) else frozenset()
        sides = [side for side, members in enricher.sides.items() if ids & members]
        if sides:
            text = doc.text_of(words)
            out.append({"n": n, "sides": sides, "text": text,
                        "sha1": hashlib.sha1(text.encode()).hexdigest()[:10]})
    return out, len(doc.words)


def choose(language: str, articles: Iterator[dict], enricher, rng: random.Random) -> list[dict]:
    low, high = WORDS[language]
    relevant, other = [], []
    for art in articles:
        if _title_key(art["title"]) in EXCLUDE_TITLES:
            continue
        words = len(art["body"].split())
        if not low <= words <= high:
            continue
        if SYRIA_HINT[language] in art["body"] or SYRIA_HINT[language] in art["title"]:
            sents, _ = side_sentences(enricher, art["title"], art["body"])
            both = {s for x in sents for s in x["sides"]} == {"Russia", "Syria"}
            if 3 <= len(sents) <= MAX_SIDE_SENTENCES and (both or rng.random() < 0.35):
                art["sentences"] = sents
                relevant.append(art)
        elif rng.random() < 0.05:
            art["sentences"], _ = side_sentences(enricher, art["title"], art["body"])
            other.append(art)
    rng.shuffle(relevant)
    rng.shuffle(other)
    chosen = _spread(relevant, RELEVANT_PER_LANG) + _spread(other, OTHER_PER_LANG)
    for art in chosen:
        text = sources.article_text(art["title"], art["body"])
        art["sha256"] = hashlib.sha256(text.encode()).hexdigest()
        art["licence"] = LICENCES[art["repo"]]
    chosen.sort(key=lambda a: (a["outlet"], a["date"], a["path"]))
    for number, art in enumerate(chosen, 1):
        art["id"] = f"{language}-{number:03d}"
    return chosen


def _spread(pool: list[dict], count: int) -> list[dict]:
    """Round-robin over outlets so that no outlet fills the corpus alone."""
    by_outlet: dict[str, list[dict]] = {}
    for art in pool:
        by_outlet.setdefault(art["outlet"], []).append(art)
    out: list[dict] = []
    while len(out) < count and any(by_outlet.values()):
        for outlet in sorted(by_outlet):
            if by_outlet[outlet] and len(out) < count:
                out.append(by_outlet[outlet].pop())
    return out


def realtext_refs(realtexts: Path) -> set[str]:
    """Source paths and titles of the evaluation texts: an article matching either is left out."""
    with open(realtexts / "MANIFEST.tsv", encoding="utf-8") as fh:
        refs = {row["source_path"] for row in csv.DictReader(fh, delimiter="\t")}
    titles = {_title_key(p.read_text("utf-8").split("\n", 1)[0]) for p in realtexts.glob("*.txt")}
    return refs | titles


def _title_key(title: str) -> str:
    return "title:" + re.sub(r"\W+", "", title).casefold()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, required=True)
    parser.add_argument("--realtexts", type=Path, required=True)
    parser.add_argument("--languages", default="ar,ru,en")
    args = parser.parse_args()
    exclude = realtext_refs(args.realtexts)
    enricher = load_enricher(ROOT / "seeds")
    sources = {"ar": (ant_articles, ANT), "ru": (rukw_articles, RUKW), "en": (abp_articles, ABP)}
    out_dir = ROOT / "data" / "corpus" / "work"
    out_dir.mkdir(parents=True, exist_ok=True)
    global EXCLUDE_TITLES
    EXCLUDE_TITLES = {r for r in exclude if r.startswith("title:")}
    for language in args.languages.split(","):
        reader, (_, folder) = sources[language]
        rng = random.Random(SEED)
        chosen = choose(language, reader(args.mirror / folder / "repo", exclude), enricher, rng)
        with open(out_dir / f"{language}.jsonl", "w", encoding="utf-8") as fh:
            for art in chosen:
                fh.write(json.dumps(art, ensure_ascii=False) + "\n")
        total = sum(len(a["sentences"]) for a in chosen)
        pairs = sum(len(s["sides"]) for a in chosen for s in a["sentences"])
        print(f"{language}: {len(chosen)} articles, {total} side sentences, {pairs} sentence-side pairs")


if __name__ == "__main__":
    main()
