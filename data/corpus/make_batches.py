"""Cut the chosen articles into labelling batches, one per annotator, and draw the second-labelling
samples (each annotator relabels sentence-side pairs from another annotator's articles, blind).

    python data/corpus/make_batches.py      # reads work/<lang>.jsonl, writes work/batches/
"""

from __future__ import annotations

import json
import random
from pathlib import Path

WORK = Path(__file__).resolve().parent / "work"
ANNOTATORS = {"ar": 2, "ru": 3, "en": 3}
SECOND_SAMPLE = {"ar": 50, "ru": 34, "en": 34}
SEED = 20261205


def main() -> None:
    rng = random.Random(SEED)
    out = WORK / "batches"
    out.mkdir(parents=True, exist_ok=True)
    for language, count in ANNOTATORS.items():
        lines = (WORK / f"{language}.jsonl").read_text(encoding="utf-8").splitlines()
        articles = [json.loads(line) for line in lines]
        shuffled = articles[:]
        rng.shuffle(shuffled)
        batches = [sorted(shuffled[k::count], key=lambda a: a["id"]) for k in range(count)]
        for k, batch in enumerate(batches, 1):
            items = [{"id": a["id"], "outlet": a["outlet"], "date": a["date"], "title": a["title"],
                      "body": a["body"],
                      "sentences": [{"n": s["n"], "sides": s["sides"], "text": s["text"]} for s in a["sentences"]]}
                     for a in batch]
            (out / f"{language}-{k}.json").write_text(json.dumps({"articles": items}, ensure_ascii=False, indent=1),
                                                      encoding="utf-8")
            # blind second labelling: pairs from the next annotator's articles
            other = batches[k % count]
            pairs = [(a, s, side) for a in other for s in a["sentences"] for side in s["sides"]]
            sample = rng.sample(pairs, SECOND_SAMPLE[language])
            second = [{"id": a["id"], "n": s["n"], "side": side, "title": a["title"], "sentence": s["text"]}
                      for a, s, side in sorted(sample, key=lambda p: (p[0]["id"], p[1]["n"], p[2]))]
            (out / f"{language}-{k}-second.json").write_text(json.dumps({"pairs": second}, ensure_ascii=False,
                                                                        indent=1), encoding="utf-8")
            print(language, k, len(batch), "articles;", len(second), "second-labelling pairs")


if __name__ == "__main__":
    main()
