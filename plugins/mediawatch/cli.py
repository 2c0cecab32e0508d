"""``python -m mediawatch``: every pipeline stage from the shell, the same functions the DAGs call."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from .constants import LANGUAGES
from .settings import Settings, SettingsError, load_settings
from .store import connect
from .writefaults import StoreUnavailable

log = logging.getLogger("mediawatch")

# Exit codes (README, "Command line"): 0 done; 1 an error; 2 a bad MEDIAWATCH_ setting;
# 3 Elasticsearch unreachable or refusing writes (nothing lost: run again once it is fixed);
# 4 ingest could fetch none of the due feeds.
EXIT_ERROR, EXIT_SETTINGS, EXIT_ELASTICSEARCH, EXIT_NO_FEED = 1, 2, 3, 4


def _emit(obj: object) -> None:
    print(json.dumps(obj, ensure_ascii=False, default=str))


def cmd_fetch(args: argparse.Namespace, settings: Settings) -> int:
    """Fetch feeds (URLs or files) and print normalized articles as JSON lines; no Elasticsearch."""
    from datetime import timedelta

    from .feeds import feed_from_url
    from .fetch import fetch_feed, make_client
    from .normalize import parse_feed

    failed = 0
    with make_client(settings) as http:
        for target in args.sources:
            feed = feed_from_url(target if "://" in target else Path(target).resolve().as_uri(), args.lang)
            fetched = fetch_feed(feed, None, settings, http)
            parsed = parse_feed(fetched, feed, timedelta(seconds=settings.future_tolerance_s)) if fetched.ok else None
            error = fetched.error or (parsed.error if parsed else None)
            if error or parsed is None:
                failed += 1
                log.error("%s: %s", target, error or "nothing fetched")
                continue
            for article in parsed.articles:
                _emit(article.to_dict())
            for rejected in parsed.rejected:
                log.warning("%s: rejected entry: %s", target, rejected.reason)
            if parsed.bozo_reason:
                log.warning("%s: feed is malformed but usable: %s", target, parsed.bozo_reason)
    return 1 if failed else 0


def cmd_setup(args: argparse.Namespace, settings: Settings) -> int:
    """Create or update index templates, indices and aliases (and Kibana objects)."""
    from .index import setup_indices

    report = setup_indices(connect(settings), settings, migrate=args.migrate)
    result: dict[str, object] = {"analysis": report.analysis, "retention": report.retention,
                                 "actions": report.actions}
    if args.kibana:
        from .kibana import import_saved_objects

        result["kibana"] = import_saved_objects(args.kibana, settings)
    _emit(result)
    return 0


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    """Run the whole pipeline once over the feed registry and print a JSON summary."""
    from .feeds import load_feeds
    from .index import setup_indices
    from .ingest import run_ingest

    es = connect(settings)
    setup_indices(es, settings)
    feeds = load_feeds(Path(args.feeds) if args.feeds else settings.feeds_path)
    summary = run_ingest(settings, es, feeds=feeds, limit=args.limit, force=args.force)
    _emit(summary.public())
    if summary.refused:
        return EXIT_ELASTICSEARCH
    attempted = summary.feeds["ok"] + summary.feeds["not_modified"] + summary.feeds["failed"]
    if attempted and not summary.feeds["ok"] + summary.feeds["not_modified"]:
        log.error("none of the %d due feeds could be fetched", attempted)
        return EXIT_NO_FEED
    return 0


def cmd_enrich(args: argparse.Namespace, settings: Settings) -> int:
    """Enrich one plain-text article (file or stdin) and print the enrichment JSON."""
    from .enrich import load_enricher

    text = sys.stdin.read() if args.path in (None, "-") else Path(args.path).read_text(encoding="utf-8")
    language = None if args.lang == "auto" else args.lang
    result = load_enricher(settings.seeds_dir).enrich(args.title or "", text, language=language)
    _emit(result.to_dict())
    return 0


def cmd_evaluate(args: argparse.Namespace, settings: Settings) -> int:
    """Score the enricher: on the real-news corpus's held-out split (--set real), or on the
    team-written development set (--set dev, the default of --articles)."""
    from .enrich import load_enricher

    if args.set == "realtexts":
        from .learn.evaluation import evaluate_realtexts, format_realtexts_report

        report = evaluate_realtexts(Path(args.realtexts), load_enricher(settings.seeds_dir))
        print(json.dumps(report, indent=1) if args.json else format_realtexts_report(report))
        return 0
    if args.set == "real":
        from .enrich.pipeline import build_enricher
        from .learn.corpus import load_corpus
        from .learn.evaluation import evaluate_real, format_real_report

        report = evaluate_real(load_corpus(), load_enricher(settings.seeds_dir),
                               build_enricher(settings.seeds_dir, learned=False), split=args.split)
        print(json.dumps(report, ensure_ascii=False, indent=1) if args.json else format_real_report(report))
        return 0
    from .evaluate import evaluate, format_report

    report = evaluate(load_enricher(settings.seeds_dir), Path(args.articles))
    print(format_report(report))
    return 0


def cmd_candidates(args: argparse.Namespace, settings: Settings) -> int:
    """The most frequent names off the watchlist (unlinked entities), to add to seeds/entities.yaml."""
    from .candidates import top_candidates

    for candidate in top_candidates(connect(settings), settings, since=args.since, language=args.lang,
                                    size=args.size):
        _emit(candidate.to_dict())
    return 0


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    """Search indexed articles; prints date, outlet, language, title and URL per hit."""
    from .search import search

    hits = search(connect(settings), settings, args.query, since=args.since, language=args.lang,
                  entity=args.entity, size=args.size)
    for hit in hits:
        print(f"{hit.published_at[:16]}  {hit.source[:28]:28}  {hit.language}  {hit.title}\n    {hit.url}")
    log.info("%d hits", len(hits))
    return 0


def cmd_alerts(args: argparse.Namespace, settings: Settings) -> int:
    """List recent alerts (with --run: detect and deliver first)."""
    from .alerts import deliver_pending, format_alert_line, list_alerts, run_detection

    es = connect(settings)
    if args.run:
        from .airflow_adapter import optional_email_sender
        from .index import setup_indices

        setup_indices(es, settings)
        _emit(run_detection(es, settings).to_dict())
        _emit(deliver_pending(es, settings, email_sender=optional_email_sender()).to_dict())
    docs = list_alerts(es, settings, since=args.since, size=args.size)
    for doc in docs:
        print(json.dumps(doc, ensure_ascii=False, default=str) if args.json else format_alert_line(doc))
    log.info("%d alerts since %s", len(docs), args.since)
    return 0


def cmd_briefing(args: argparse.Namespace, settings: Settings) -> int:
    """Write the briefing (HTML + PNG charts) for a UTC day (--date) or the last --since."""
    from datetime import date

    from .briefing import make_briefing, period_for_day, period_since

    period = period_for_day(date.fromisoformat(args.date)) if args.date else period_since(args.since)
    files = make_briefing(connect(settings), settings, period, Path(args.out))
    _emit({"period": period.label, **files.to_dict()})
    return 0


def cmd_kibana(args: argparse.Namespace, settings: Settings) -> int:
    """Regenerate the Kibana saved objects (NDJSON) and their panel table for the default settings."""
    from .kibana import KIBANA_DIR, write_files

    for path in write_files(Settings(), Path(args.out_dir) if args.out_dir else KIBANA_DIR):
        print(path)
    return 0


def cmd_deadletters_list(args: argparse.Namespace, settings: Settings) -> int:
    """List dead letters, newest first, as JSON lines (without their payload)."""
    from .deadletters import list_letters

    letters = list_letters(connect(settings), settings, since=args.since, reason=args.reason, size=args.size)
    for letter in letters:
        _emit(letter)
    log.info("%d dead letters", len(letters))
    return 0


def cmd_deadletters_replay(args: argparse.Namespace, settings: Settings) -> int:
    """Re-enrich and re-index the refused articles of the open dead letters, and mark each letter."""
    from .deadletters import replay
    from .index import setup_indices

    es = connect(settings)
    setup_indices(es, settings)
    _emit(replay(es, settings, since=args.since, reason=args.reason, dry_run=args.dry_run).to_dict())
    return 0


def cmd_retention(args: argparse.Namespace, settings: Settings) -> int:
    """Roll the logs over and delete their backing indices past retention (where the cluster has no ILM)."""
    from .retention import apply_retention

    _emit(apply_retention(connect(settings), settings, dry_run=args.dry_run).to_dict())
    return 0


def add_deadletters_commands(sub: argparse._SubParsersAction) -> None:
    """``deadletters list`` and ``deadletters replay``, with the same selection options."""
    group = sub.add_parser("deadletters", help="list or replay dead letters (documents the index refused)",
                           description="Documents the index refused for their content, kept with the reason.")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, func in (("list", cmd_deadletters_list), ("replay", cmd_deadletters_replay)):
        command = actions.add_parser(name, help=func.__doc__, description=func.__doc__)
        command.set_defaults(func=func)
        command.add_argument("--since", help="failed within, e.g. 12h, 7d, 2w, 1m (default: any time)")
        command.add_argument("--reason", help="only letters whose reason contains these words")
        if name == "list":
            command.add_argument("--size", type=int, default=100)
        else:
            command.add_argument("--dry-run", action="store_true", help="count what would be replayed; write nothing")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mediawatch", description="MediaWatch: Russia–Syria media monitoring.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func: Callable[..., int]) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=func.__doc__, description=func.__doc__)
        command.set_defaults(func=func)
        return command

    fetch = add("fetch", cmd_fetch)
    fetch.add_argument("sources", nargs="+", metavar="URL_OR_FILE")
    fetch.add_argument("--lang", choices=LANGUAGES, default="en", help="language prior for detection")

    ingest = add("ingest", cmd_ingest)
    ingest.add_argument("--feeds", help="feed registry YAML (default: MEDIAWATCH_FEEDS_FILE or seeds/feeds.yaml)")
    ingest.add_argument("--limit", type=int, help="only the first N feeds")
    ingest.add_argument("--force", action="store_true", help="fetch every feed now, ignoring poll intervals/backoff")

    enrich = add("enrich", cmd_enrich)
    enrich.add_argument("path", nargs="?", help="text file, or - for stdin (default)")
    enrich.add_argument("--title", default="")
    enrich.add_argument("--lang", choices=["auto", *LANGUAGES], default="auto")

    evaluate = add("evaluate", cmd_evaluate)
    evaluate.add_argument("--set", choices=["dev", "real", "realtexts"], default="dev",
                          help="real: held-out split of the real-news corpus (needs its texts, see data/corpus); "
                               "realtexts: the outside texts of --realtexts, scored against "
                               "tests/data/realtexts_labels.json")
    evaluate.add_argument("--realtexts", default=str(Path(__file__).resolve().parents[3] / "shared" / "realtexts"),
                          help="folder of the outside evaluation texts (default: ../shared/realtexts)")
    evaluate.add_argument("--split", choices=["test", "train"], default="test",
                          help="with --set real: the split scored (train only to develop rules)")
    evaluate.add_argument("--json", action="store_true", help="with --set real: the full report as JSON")
    evaluate.add_argument("--articles", default=str(Path(__file__).resolve().parents[2] / "tests" / "data"
                                                     / "annotated_articles.yaml"))

    candidates = add("candidates", cmd_candidates)
    candidates.add_argument("--since", default="7d", help="e.g. 12h, 7d, 2w")
    candidates.add_argument("--lang", choices=LANGUAGES)
    candidates.add_argument("--size", type=int, default=25)

    setup = add("setup", cmd_setup)
    setup.add_argument("--migrate", action="store_true", help="move documents to new index versions")
    setup.add_argument("--kibana", metavar="URL", help="also import the dashboards into this Kibana")

    search = add("search", cmd_search)
    search.add_argument("query")
    search.add_argument("--since", help="e.g. 12h, 7d, 2w")
    search.add_argument("--lang", choices=LANGUAGES)
    search.add_argument("--entity", help="canonical entity name or id, e.g. 'Vladimir Putin' or Q7747")
    search.add_argument("--size", type=int, default=10)

    alerts = add("alerts", cmd_alerts)
    alerts.add_argument("--since", default="1d", help="created within, e.g. 12h, 1d, 2w, 1m (default 1d)")
    alerts.add_argument("--size", type=int, default=50)
    alerts.add_argument("--json", action="store_true", help="print whole alert documents as JSON lines")
    alerts.add_argument("--run", action="store_true", help="run detection and delivery once before listing")

    briefing = add("briefing", cmd_briefing)
    briefing.add_argument("--since", default="1d", help="period ending now, e.g. 12h, 1d, 1w, 1m (default 1d)")
    briefing.add_argument("--date", help="a whole UTC day instead, YYYY-MM-DD")
    briefing.add_argument("--out", required=True, help="output directory (created if missing)")

    add_deadletters_commands(sub)
    retention = add("retention", cmd_retention)
    retention.add_argument("--dry-run", action="store_true", help="say what would be rolled over and deleted")

    kibana = add("kibana", cmd_kibana)
    kibana.add_argument("--out-dir", help="where to write mediawatch.ndjson and PANELS.md (default: seeds/kibana)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings()
        return args.func(args, settings)
    except SettingsError as exc:
        log.error("configuration: %s", exc)
        return EXIT_SETTINGS
    except StoreUnavailable as exc:  # unreachable, or refusing writes (WritesRefused)
        log.error("%s", exc)
        return EXIT_ELASTICSEARCH
    except Exception as exc:  # the CLI reports; tracebacks only with -v
        if args.verbose:
            raise
        log.error("%s: %s", type(exc).__name__, exc)
        return EXIT_ERROR
