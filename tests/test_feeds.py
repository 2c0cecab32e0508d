"""The feed registry: the shipped file is valid, and a bad entry is reported with its line."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from mediawatch.feeds import load_feeds
from mediawatch.seedfile import SeedError
from mediawatch.settings import DEFAULT_SEEDS_DIR

GOOD_ENTRY = """\
  - id: sana-ar
    name: SANA
    url: https://sana.sy/?feed=rss2
    language: ar
    country: SY
    kind: state
"""


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text("defaults:\n  poll_minutes: 20\nfeeds:\n" + body, encoding="utf-8")
    return path


def test_shipped_registry_covers_three_languages_and_all_kinds() -> None:
    feeds = load_feeds(DEFAULT_SEEDS_DIR / "feeds.yaml", only_enabled=False)
    assert len(feeds) >= 25
    languages = Counter(f.language for f in feeds)
    assert all(languages[lang] >= 5 for lang in ("ar", "ru", "en")), languages
    assert {f.kind for f in feeds} == {"state", "private", "opposition", "international", "search"}
    assert all(not f.confirmed for f in feeds), "no URL was fetched live from this machine"


def test_defaults_fill_poll_interval(tmp_path: Path) -> None:
    (feed,) = load_feeds(write(tmp_path, GOOD_ENTRY))
    assert feed.poll_minutes == 20 and feed.enabled


def test_disabled_feeds_are_skipped_unless_asked(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_ENTRY + "    enabled: false\n")
    assert load_feeds(path) == []
    assert len(load_feeds(path, only_enabled=False)) == 1


@pytest.mark.parametrize(("entry", "line", "message"), [
    (GOOD_ENTRY.replace("language: ar", "language: fr"), 13, "feeds.1.language: Input should be 'ar'"),
    (GOOD_ENTRY.replace("kind: state", "kind: blog"), 15, "feeds.1.kind"),
    (GOOD_ENTRY.replace("https://sana.sy/?feed=rss2", "ftp://sana.sy/feed"), 12, "unsupported URL scheme 'ftp'"),
    (GOOD_ENTRY + "    colour: red\n", 16, "feeds.1.colour: Extra inputs are not permitted"),
    (GOOD_ENTRY.replace("country: SY", "country: Syria"), 14, "feeds.1.country"),
])
def test_invalid_entry_names_file_line_and_field(tmp_path: Path, entry: str, line: int, message: str) -> None:
    path = write(tmp_path, GOOD_ENTRY.replace("sana-ar", "first").replace("?feed=rss2", "?a") + entry)
    with pytest.raises(SeedError) as error:
        load_feeds(path)
    assert str(error.value).startswith(f"{path}:{line}: "), "the line of the offending field"
    assert message in str(error.value)


def test_duplicate_id_names_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_ENTRY + GOOD_ENTRY.replace("?feed=rss2", "?feed=atom"))
    with pytest.raises(SeedError, match=r"feeds.yaml:10: duplicate feed id 'sana-ar' \(first on line 4\)"):
        load_feeds(path)


def test_duplicate_yaml_key_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_ENTRY + "    kind: private\n")
    with pytest.raises(SeedError, match=r"feeds.yaml:10: key 'kind' is given twice"):
        load_feeds(path)


def test_unparsable_yaml_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "  - id: [unclosed\n")
    with pytest.raises(SeedError, match="not valid YAML"):
        load_feeds(path)
