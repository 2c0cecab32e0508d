"""Check one annotator's label file against its batch: every article and sentence-side labelled, values valid.

    python data/corpus/check_labels.py work/batches/ar-1.json work/labels/ar-1.json
    python data/corpus/check_labels.py work/batches/ar-1-second.json work/labels/ar-1-second.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

TONES = {"positive", "neutral", "negative", "none"}
SENTIMENTS = {"positive", "neutral", "negative"}
TYPES = {"PER", "ORG", "LOC"}
TOPICS = {"diplomacy", "military", "security", "terrorism", "bases", "economy", "trade", "debt", "energy",
          "grain", "humanitarian", "refugees", "reconstruction", "sanctions", "culture"}


def check_articles(batch: dict, labels: dict) -> list[str]:
    problems: list[str] = []
    given = {a.get("id"): a for a in labels.get("articles", [])}
    for art in batch["articles"]:
        lab = given.get(art["id"])
        if lab is None:
            problems.append(f"{art['id']}: not labelled")
            continue
        if lab.get("sentiment") not in SENTIMENTS:
            problems.append(f"{art['id']}: sentiment {lab.get('sentiment')!r}")
        for side in ("Russia", "Syria"):
            if (lab.get("tone") or {}).get(side) not in TONES:
                problems.append(f"{art['id']}: tone {side} {(lab.get('tone') or {}).get(side)!r}")
        bad = set(lab.get("topics", [])) - TOPICS
        if bad or not isinstance(lab.get("topics"), list):
            problems.append(f"{art['id']}: topics {sorted(bad)}")
        if not isinstance(lab.get("relevant"), bool):
            problems.append(f"{art['id']}: relevant must be true/false")
        for ent in lab.get("entities", []):
            if ent.get("type") not in TYPES or not ent.get("text"):
                problems.append(f"{art['id']}: entity {ent}")
            elif ent["text"] not in f"{art['title']}\n{art['body']}":
                problems.append(f"{art['id']}: entity text not found verbatim: {ent['text']!r}")
        by_n = {s.get("n"): s for s in lab.get("sentences", [])}
        for sent in art["sentences"]:
            got = by_n.get(sent["n"])
            for side in sent["sides"]:
                if got is None or got.get(side) not in TONES:
                    problems.append(f"{art['id']} sentence {sent['n']}: {side} missing or invalid")
    return problems


def check_pairs(batch: dict, labels: dict) -> list[str]:
    given = {(p.get("id"), p.get("n"), p.get("side")): p for p in labels.get("pairs", [])}
    return [f"{p['id']} sentence {p['n']} {p['side']}: missing or invalid"
            for p in batch["pairs"] if (given.get((p["id"], p["n"], p["side"])) or {}).get("tone") not in TONES]


def main() -> None:
    batch = json.loads(Path(sys.argv[1]).read_text("utf-8"))
    labels = json.loads(Path(sys.argv[2]).read_text("utf-8"))
    problems = check_pairs(batch, labels) if "pairs" in batch else check_articles(batch, labels)
    for line in problems[:60]:
        print(line)
    print(f"{len(problems)} problem(s)")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
