"""Read one article of the public news corpora the annotated corpus was drawn from.

Each corpus stores articles its own way; every reader returns ``(title, body)`` exactly as the
annotated corpus uses them, so the text's SHA-256 in the manifest can be checked after rebuilding:

- ANT Corpus (Arabic): TREC-like XML files, ``<TITLE>`` and ``<TEXT>``;
- ru_kw_eval_datasets (Russian): zipped JSON lines; a reference is ``<zip> :: <member> line <n> (0-based)``;
  RT's "Также по теме" link boxes (a label line and a headline line) are cut out of the body;
- Article-Bias-Prediction (English): one JSON file per article, ``title`` and ``content``.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import zipfile
from pathlib import Path

ANT = "antcorpus/antcorpus.multisource.data"
RUKW = "mannefedov/ru_kw_eval_datasets"
ABP = "ramybaly/Article-Bias-Prediction"
_RUKW_REF = re.compile(r"^(?P<zip>\S+) :: (?P<member>\S+) line (?P<line>\d+) \(0-based\)$")


class SourceError(Exception):
    """An article cannot be read from the snapshot (missing file, commit or line)."""


def article_text(title: str, body: str) -> str:
    """The corpus text of an article: its title on the first line, then the body."""
    return f"{title}\n{body}"


def read_article(snapshot: Path, repo: str, path: str, commit: str) -> tuple[str, str]:
    """``(title, body)`` of the article at ``path`` (a reference for zipped JSON lines) in ``commit``."""
    if repo == ANT:
        return parse_ant(_show(snapshot, commit, path).decode("utf-8", "replace"))
    if repo == RUKW:
        match = _RUKW_REF.match(path)
        if not match:
            raise SourceError(f"not a line reference: {path!r}")
        with zipfile.ZipFile(io.BytesIO(_show(snapshot, commit, match["zip"]))) as archive:
            lines = archive.read(match["member"]).decode("utf-8").split("\n")
        return parse_rukw(lines[int(match["line"])])
    if repo == ABP:
        return parse_abp(_show(snapshot, commit, path))
    raise SourceError(f"unknown source repository {repo!r}")


def parse_ant(raw: str) -> tuple[str, str]:
    return _tag(raw, "TITLE"), _tag(raw, "TEXT")


def parse_rukw(line: str) -> tuple[str, str]:
    item = json.loads(line)
    return item.get("title", ""), _without_link_boxes(item.get("content", ""))


def parse_abp(raw: bytes | str) -> tuple[str, str]:
    item = json.loads(raw)
    return item.get("title", ""), item.get("content") or ""


def _show(snapshot: Path, commit: str, path: str) -> bytes:
    done = subprocess.run(["git", "-C", str(snapshot), "show", f"{commit}:{path}"], capture_output=True)
    if done.returncode:
        raise SourceError(f"{snapshot}: {commit[:10]}:{path}: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout


def _tag(raw: str, tag: str) -> str:
    match = re.search(rf"<{tag}>(.*?)</{tag}>", raw, re.S)
    return match.group(1).strip() if match else ""


def _without_link_boxes(text: str) -> str:
    out, skip = [], False
    for line in text.split("\n"):
        if skip:
            skip = False
        elif line.strip() == "Также по теме":
            skip = True
        else:
            out.append(line)
    return "\n".join(out)
