"""Gather the annotators' label files into the committed corpus files (run after labelling).

Reads ``work/<lang>.jsonl`` (the chosen articles) and ``work/labels/*.json`` (one file per
annotator), and writes:

- ``manifest.tsv``: one row per labelled article, with its source and the train/test split
  (whole outlet-days, decided here from the manifest alone, before any model is trained);
- ``labels/<lang>.jsonl``: the labels, sentences keyed by number and SHA-1 prefix;
- ``agreement/<lang>.jsonl``: the blind second labels beside the first ones;
- the texts into the per-machine cache (``MEDIAWATCH_CORPUS_TEXTS``), as materialise would.

    python data/corpus/consolidate.py [--partial]
"""

from __future__ import annotations

import argparse
import json

from mediawatch.learn.corpus import CORPUS_DIR, split_groups, texts_dir, write_manifest
from mediawatch.learn.sources import article_text

WORK = CORPUS_DIR / "work"
# Second-labelling pairs whose annotator saw the article by accident (a shared scratch file in
# /tmp during labelling): not blind, so left out of the agreement figures.
NOT_BLIND = {("en-1-second", "en-020", 3), ("en-1-second", "en-020", 8), ("en-1-second", "en-021", 0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partial", action="store_true", help="allow articles without labels (development)")
    args = parser.parse_args()
    chosen = {}
    for language in ("ar", "ru", "en"):
        for line in (WORK / f"{language}.jsonl").read_text(encoding="utf-8").splitlines():
            art = json.loads(line)
            art["language"] = language
            chosen[art["id"]] = art
    labelled: dict[str, dict] = {}
    second: dict[str, list[dict]] = {}
    for path in sorted((WORK / "labels").glob("*.json")):
        body = json.loads(path.read_text(encoding="utf-8"))
        if "pairs" in body:
            second[path.stem] = [p for p in body["pairs"] if (path.stem, p["id"], p["n"]) not in NOT_BLIND]
            continue
        # an annotator's labels count only for the articles of its own batch
        batch = {a["id"] for a in json.loads((WORK / "batches" / path.name).read_text(encoding="utf-8"))["articles"]}
        for item in body["articles"]:
            if item["id"] in batch:
                labelled[item["id"]] = {**item, "annotator": path.stem}
    missing = sorted(set(chosen) - set(labelled))
    if missing and not args.partial:
        raise SystemExit(f"{len(missing)} articles have no labels yet, e.g. {missing[:5]}")

    rows = []
    for art_id in sorted(labelled):
        art = chosen[art_id]
        rows.append({"id": art_id, "language": art["language"], "outlet": art["outlet"], "date": art["date"],
                     "url": art["url"], "source_repo": art["repo"], "source_path": art["path"],
                     "source_commit": art["commit"], "licence": art["licence"], "sha256": art["sha256"],
                     "split": ""})
    split = split_groups(rows)
    for row in rows:
        row["split"] = split[row["id"]]
    write_manifest(rows)

    (CORPUS_DIR / "labels").mkdir(exist_ok=True)
    for language in ("ar", "ru", "en"):
        lines = []
        for art_id in sorted(i for i in labelled if chosen[i]["language"] == language):
            lines.append(json.dumps(_article_labels(labelled[art_id], chosen[art_id]), ensure_ascii=False,
                                    sort_keys=True))
        (CORPUS_DIR / "labels" / f"{language}.jsonl").write_text("".join(x + "\n" for x in lines), encoding="utf-8")

    (CORPUS_DIR / "agreement").mkdir(exist_ok=True)
    for language in ("ar", "ru", "en"):
        out = []
        for name, pairs in sorted(second.items()):
            if not name.startswith(language):
                continue
            for pair in pairs:
                first = labelled.get(pair["id"])
                if first is None:
                    continue
                sentence = next((s for s in first["sentences"] if s["n"] == pair["n"]), None)
                if sentence is None or pair["side"] not in sentence:
                    continue
                out.append(json.dumps({"id": pair["id"], "n": pair["n"], "side": pair["side"],
                                       "first": sentence[pair["side"]], "second": pair["tone"],
                                       "annotators": [first["annotator"], name]}, sort_keys=True))
        (CORPUS_DIR / "agreement" / f"{language}.jsonl").write_text("".join(x + "\n" for x in out), encoding="utf-8")

    folder = texts_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for art_id in labelled:
        art = chosen[art_id]
        (folder / f"{art_id}.txt").write_bytes(article_text(art["title"], art["body"]).encode("utf-8"))
    counts = {lang: sum(1 for r in rows if r["language"] == lang) for lang in ("ar", "ru", "en")}
    tests = {lang: sum(1 for r in rows if r["language"] == lang and r["split"] == "test") for lang in counts}
    print(json.dumps({"articles": counts, "test": tests, "missing": len(missing)}))


def _article_labels(item: dict, chosen: dict) -> dict:
    sha = {s["n"]: s["sha1"] for s in chosen["sentences"]}
    sentences = []
    for s in sorted(item.get("sentences", []), key=lambda s: s["n"]):
        if s["n"] not in sha:
            continue
        entry = {"n": s["n"], "sha1": sha[s["n"]]}
        for side in ("Russia", "Syria"):
            if side in s:
                entry[side] = s[side]
        sentences.append(entry)
    return {
        "id": item["id"], "annotator": item["annotator"], "sentiment": item["sentiment"],
        "tone": {side: item["tone"][side] for side in ("Russia", "Syria")},
        "topics": sorted(set(item.get("topics", []))), "relevant": item["relevant"],
        "entities": [{"text": e["text"], "type": e["type"]} for e in item.get("entities", [])],
        "sentences": sentences, "note": item.get("note", ""),
    }


if __name__ == "__main__":
    main()
