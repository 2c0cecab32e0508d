"""The command line, run as a user runs it: a subprocess of ``python -m mediawatch``."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from .conftest import FEEDS

COMMANDS = ["fetch", "ingest", "enrich", "evaluate", "candidates", "setup", "search", "alerts", "briefing", "kibana",
            "deadletters", "retention"]


def mediawatch(*args: str, stdin: str | None = None, env: dict[str, str] | None = None):
    return subprocess.run([sys.executable, "-m", "mediawatch", *args], capture_output=True, text=True,
                          input=stdin, env={**os.environ, **(env or {})}, timeout=300)


def test_help_lists_every_subcommand() -> None:
    done = mediawatch("--help")
    assert done.returncode == 0
    listed = set(re.findall(r"^    (\S+)", done.stdout, re.MULTILINE))  # argparse's one line per subcommand
    assert set(COMMANDS) <= listed, set(COMMANDS) - listed


def test_fetch_prints_normalized_articles_as_json_lines() -> None:
    done = mediawatch("fetch", str(FEEDS / "rss_koi8r.xml"), str(FEEDS / "atom_en.xml"))
    assert done.returncode == 0, done.stderr
    articles = [json.loads(line) for line in done.stdout.splitlines()]
    assert [a["title"] for a in articles] == ["Путин провёл переговоры с президентом Сирии",
                                              "Russian forces leave Qamishli airport",
                                              "Syria's economy minister visits Moscow"]
    assert articles[0]["language"] == "ru"


def test_fetch_of_a_non_feed_fails_with_a_reason() -> None:
    done = mediawatch("fetch", str(FEEDS / "html_page.html"))
    assert done.returncode == 1
    assert "not a feed" in done.stderr


def test_unknown_setting_is_refused_by_name() -> None:
    done = mediawatch("fetch", str(FEEDS / "atom_en.xml"), env={"MEDIAWATCH_ES_ULR": "http://x"})
    assert done.returncode == 2
    assert "MEDIAWATCH_ES_ULR" in done.stderr


def test_enrich_prints_the_contract() -> None:
    text = "استقبل الرئيس الروسي فلاديمير بوتين نظيره السوري أحمد الشرع في الكرملين لبحث التعاون الاقتصادي."
    done = mediawatch("enrich", "-", "--title", "بوتين يستقبل الشرع", stdin=text)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) >= {"language", "entities", "sentiment", "tone", "topics", "relevance", "enrichment_version"}
    assert result["language"] == "ar"
    names = {e["name"] for e in result["entities"]}
    assert {"Vladimir Putin", "Ahmed al-Sharaa", "Russia", "Syria"} <= names
    assert set(result["sentiment"]) == {"label", "score", "method"}
    assert set(result["tone"]) == {"Russia", "Syria"}
    assert result["relevance"]["relevant"] is True


@pytest.mark.es
def test_ingest_and_search_find_clitic_and_inflected_forms(settings) -> None:
    env = {"MEDIAWATCH_ES_URL": settings.es_url, "MEDIAWATCH_INDEX_PREFIX": settings.index_prefix}
    done = mediawatch("ingest", "--feeds", "seeds/demo/feeds.yaml", env=env)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["feeds"] == {"ok": 3, "not_modified": 0, "failed": 0, "skipped": 0}
    assert summary["articles"]["new"] == 7
    arabic = mediawatch("search", "بوتين", "--lang", "ar", env=env)
    assert "بوتين يستقبل الشرع في الكرملين" in arabic.stdout, arabic.stderr
    assert "شحنة قمح روسية جديدة" in arabic.stdout, "وبوتين in its text is found by بوتين"
    russian = mediawatch("search", "Путин", "--lang", "ru", env=env)
    assert "Путин провёл переговоры" in russian.stdout
    assert "Лавров" not in russian.stdout
    by_entity = mediawatch("search", "", "--entity", "Sergey Lavrov", env=env)
    assert by_entity.stdout.count("https://") == 1 and "Лавров" in by_entity.stdout



@pytest.mark.es
def test_ingest_exit_codes_say_why_a_run_did_not_finish(settings, es, tmp_path) -> None:
    env = {"MEDIAWATCH_ES_URL": settings.es_url, "MEDIAWATCH_INDEX_PREFIX": settings.index_prefix}
    registry = tmp_path / "feeds.yaml"
    registry.write_text(f"feeds:\n  - {{id: gone, name: Gone, url: '{(tmp_path / 'missing.xml').as_uri()}',"
                        " language: en, country: SY, kind: state}\n")
    no_feed = mediawatch("ingest", "--feeds", str(registry), env=env)
    assert no_feed.returncode == 4, no_feed.stderr
    assert json.loads(no_feed.stdout)["feeds"]["failed"] == 1 and "none of the 1 due feeds" in no_feed.stderr

    es.indices.put_settings(index=settings.index("articles"), settings={"index.blocks.write": True})
    try:
        refused = mediawatch("ingest", "--feeds", "seeds/demo/feeds.yaml", env=env)
    finally:
        es.indices.put_settings(index=settings.index("articles"), settings={"index.blocks.write": None})
    assert refused.returncode == 3, refused.stderr
    assert "write block (index.blocks.write)" in json.loads(refused.stdout)["refused"]
    assert refused.stderr.count("refuses writes") == 1, "said once"

    down = mediawatch("ingest", env={**env, "MEDIAWATCH_ES_URL": "http://127.0.0.1:9", "MEDIAWATCH_ES_TIMEOUT_S": "2"})
    assert down.returncode == 3 and "unreachable" in down.stderr
