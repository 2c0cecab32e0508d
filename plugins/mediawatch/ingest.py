"""The ingest pipeline: due feeds -> fetch -> parse/normalize -> enrich -> dedupe -> index -> state.

Each function here is one step the DAG wires as a task and the CLI runs in-process. Feed
state (ETag, Last-Modified, health) is written only after the feed's articles are indexed,
so a run that dies half-way re-fetches, never skips, what it had not stored.

When Elasticsearch refuses writes (a write block, the disk flood stage, 429s or 5xx that outlast
the retries) the run stops: the feed that met the refusal and every feed already fetched are
marked ``failed`` with the reason but keep their validators, feeds not yet fetched are left for
the next run, and nothing goes to dead letters. A block already in place stops the run before
the first fetch.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from elasticsearch import Elasticsearch

from . import clustering, store
from .document import article_document, enrich_text
from .feeds import Feed, load_feeds
from .feedstate import is_due, next_state, refused_state
from .fetch import FetchResult, fetch_feed, make_client
from .fulltext import PageFetcher
from .normalize import parse_feed
from .records import Article
from .settings import Settings
from .writefaults import WritesRefused, check_writable

if TYPE_CHECKING:  # the enrich package is imported when the first article needs it (see enricher_for)
    from .enrich import Enricher

log = logging.getLogger(__name__)

# The indices a run writes to: a write block on any of them stops the run before it fetches.
WRITTEN_INDICES = ("articles", "feeds", "fetchlog", "deadletter", "runs")


@dataclass
class FeedOutcome:
    """How one feed ended in one run; ``seen = new + updated + duplicate + rejected``."""

    feed_id: str
    status: str  # ok | not_modified | failed | skipped
    error: str | None = None
    bozo_reason: str | None = None
    seen: int = 0
    new: int = 0
    updated: int = 0
    duplicate: int = 0
    rejected: int = 0
    refused: str | None = None  # Elasticsearch refused to store the feed's articles (the reason)


OUTCOME_COUNTS = ("seen", "new", "updated", "duplicate", "rejected")


@dataclass
class RunSummary:
    run_id: str
    started_at: str
    finished_at: str = ""
    feeds: dict[str, int] = field(default_factory=dict)
    articles: dict[str, int] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    refused: str | None = None  # why Elasticsearch refused writes, when it did (the run stopped)

    def public(self) -> dict[str, Any]:
        """The JSON the CLI prints."""
        return {"feeds": self.feeds, "articles": self.articles, "run_id": self.run_id,
                "failures": self.failures, "refused": self.refused}


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]


def load_states(es: Elasticsearch, settings: Settings, feed_ids: list[str]) -> dict[str, dict[str, Any]]:
    return store.get_sources(es, settings.index("feeds"), feed_ids, fields=["*"])


def select_due(feeds: list[Feed], states: dict[str, dict[str, Any]], now: datetime,
               force: bool = False) -> list[Feed]:
    """Feeds whose next allowed fetch has come (all of them with ``force``)."""
    return [feed for feed in feeds if force or is_due(states.get(feed.id), now)]


def classify(es: Elasticsearch, settings: Settings,
             articles: list[Article]) -> tuple[list[Article], Counter, set[str]]:
    """Drop unchanged articles and in-batch repeats; count new / updated / duplicate.

    Returns the articles to write, the counts, and the ids of the new ones.
    """
    counts: Counter = Counter()
    unique: dict[str, Article] = {}
    for article in articles:
        if article.id in unique:
            counts["duplicate"] += 1
        else:
            unique[article.id] = article
    existing = store.get_sources(es, settings.index("articles"), list(unique),
                                 fields=["content_hash", "cluster_id"])
    changed, new_ids = [], set()
    for article in unique.values():
        previous = existing.get(article.id)
        if previous is None:
            counts["new"] += 1
            new_ids.add(article.id)
        elif previous.get("content_hash") == article.content_hash:
            counts["duplicate"] += 1
            continue
        else:
            counts["updated"] += 1
            article.cluster_id = previous.get("cluster_id") or ""
        changed.append(article)
    return changed, counts, new_ids


def add_full_text(articles: Iterable[Article], pages: PageFetcher) -> None:
    """Main text of each article page; a page that cannot be had leaves the summary alone."""
    for article in articles:
        article.text, problem = pages.text(article.url)
        if problem:
            log.info("full text of %s skipped: %s", article.url, problem)


def enricher_for(settings: Settings, enricher: Enricher | None = None) -> Enricher:
    """The given enricher, or the process's one for the seeds directory.

    Loading it (importing camel-tools, validating the seeds, building the indexes) takes
    seconds, so a run loads it only once a feed has new or changed articles: a run in which
    every feed answers 304 never pays for it.
    """
    if enricher is not None:
        return enricher
    from .enrich import load_enricher

    return load_enricher(settings.seeds_dir)


def enrich_articles(articles: Iterable[Article], enricher: Enricher) -> None:
    for article in articles:
        article.enrichment = enrich_text(enricher, article.title, article.summary, article.text, article.language)


def index_articles(es: Elasticsearch, settings: Settings, articles: list[Article], run_id: str) -> set[str]:
    """Bulk-index; returns the ids the index refused (they are in the dead-letter index)."""
    indexed_at = store.now_iso()
    index = settings.index("articles")
    actions = (store.index_action(index, a.id, article_document(a, indexed_at)) for a in articles)
    report = store.write_bulk(es, actions, settings, run_id=run_id)
    return {failure["doc_id"] for failure in report.failed}


def store_feed(feed: Feed, fetched: FetchResult, settings: Settings, es: Elasticsearch,
               enricher: Enricher | None, run_id: str, pages: PageFetcher | None = None) -> tuple[FeedOutcome, int]:
    """Parse, enrich and index one fetched feed; returns the outcome and the entries seen.

    Entries rejected before indexing are dead-lettered after the articles are stored, so a feed
    the cluster stops half-way leaves no letter behind (the next run redoes the whole feed).
    """
    outcome = FeedOutcome(feed.id, fetched.status, error=fetched.error)
    if not fetched.ok:
        return outcome, 0
    parsed = parse_feed(fetched, feed, timedelta(seconds=settings.future_tolerance_s))
    outcome.bozo_reason, outcome.error = parsed.bozo_reason, parsed.error
    outcome.status = "failed" if parsed.error else "ok"
    outcome.seen = len(parsed.articles) + len(parsed.rejected)
    outcome.rejected = len(parsed.rejected)
    changed, counts, new_ids = classify(es, settings, parsed.articles)
    outcome.new, outcome.updated, outcome.duplicate = counts["new"], counts["updated"], counts["duplicate"]
    if pages is not None:
        add_full_text(changed, pages)
    if changed:
        enrich_articles(changed, enricher_for(settings, enricher))
    clustering.assign_clusters(es, settings, changed)
    refused = index_articles(es, settings, changed, run_id)
    # A document the index refused was counted as new or updated; it is a rejection instead.
    outcome.rejected += len(refused)
    outcome.new -= len(refused & new_ids)
    outcome.updated -= len(refused - new_ids)
    store.write_dead_letters(es, settings, [store.rejected_as_failure(r) for r in parsed.rejected], run_id)
    es.indices.refresh(index=settings.index("articles"))
    return outcome, parsed.entries_seen


def record_refusal(es: Elasticsearch, settings: Settings, feed: Feed, fetched: FetchResult,
                   state: dict[str, Any] | None, reason: str, run_id: str,
                   save: bool = True) -> tuple[FeedOutcome, bool]:
    """A feed whose articles Elasticsearch refused: ``failed`` with the reason, validators kept.

    The state is written (when ``save``) if the cluster takes it, as with a block on the articles
    index only; if not, the feed's previous state stays, which is just as safe. Returns the
    outcome and whether the state was stored.
    """
    outcome = FeedOutcome(feed.id, "failed", error=reason, refused=reason)
    if not save:
        return outcome, False
    try:
        save_feed_state(es, settings, refused_state(state, feed, fetched, reason), outcome, run_id)
    except WritesRefused as exc:
        log.debug("feed %s: state not saved either: %s", feed.id, exc)
        return outcome, False
    return outcome, True


def process_feed(feed: Feed, fetched: FetchResult, state: dict[str, Any] | None, settings: Settings,
                 es: Elasticsearch, enricher: Enricher | None, run_id: str, pages: PageFetcher | None = None
                 ) -> FeedOutcome:
    """Everything after the HTTP exchange for one feed; raises only if Elasticsearch is unreachable.

    Without an ``enricher`` the process's one is loaded once the feed has articles to enrich.
    When Elasticsearch refuses the writes the outcome is ``failed`` and carries ``refused``.
    """
    try:
        outcome, entries = store_feed(feed, fetched, settings, es, enricher, run_id, pages)
    except WritesRefused as exc:
        return record_refusal(es, settings, feed, fetched, state, str(exc), run_id)[0]
    new_state = next_state(state, feed, fetched, settings, error=outcome.error, bozo_reason=outcome.bozo_reason,
                           entries=entries, articles=outcome.new + outcome.updated)
    try:
        save_feed_state(es, settings, new_state, outcome, run_id)
    except WritesRefused as exc:  # articles stored, state not: the next run refetches and finds duplicates
        outcome.status = "failed"
        outcome.error = outcome.refused = str(exc)
    log.info("feed %s: %s%s; seen %d, new %d, updated %d, duplicate %d, rejected %d", feed.id, outcome.status,
             f" ({outcome.error})" if outcome.error else "", outcome.seen, outcome.new, outcome.updated,
             outcome.duplicate, outcome.rejected)
    return outcome


def save_feed_state(es: Elasticsearch, settings: Settings, state: dict[str, Any], outcome: FeedOutcome,
                    run_id: str) -> None:
    """Feed state and one fetch-log line per feed and run (its id makes a re-run overwrite it), in one request."""
    log_line = {"run_id": run_id, "feed_id": state["feed_id"], "name": state["name"],
                "language": state["language"], "kind": state["kind"], "status": state["status"],
                "http_status": state.get("http_status"), "error": outcome.error,
                "bozo_reason": outcome.bozo_reason, "fetched_at": state["last_fetch_at"],
                "elapsed_ms": state.get("elapsed_ms"), "entries": state.get("entries_last_fetch"),
                **{key: getattr(outcome, key) for key in OUTCOME_COUNTS}}
    store.index_documents(es, [(settings.index("feeds"), state["feed_id"], state),
                               (settings.index("fetchlog"), f"{run_id}:{state['feed_id']}", log_line)])


def summarize(run_id: str, started_at: str, outcomes: list[FeedOutcome], skipped: int = 0,
              refused: str | None = None) -> RunSummary:
    statuses = Counter(o.status for o in outcomes)
    refused = refused or next((o.refused for o in outcomes if o.refused), None)
    summary = RunSummary(run_id=run_id, started_at=started_at, finished_at=store.now_iso(), refused=refused)
    summary.feeds = {"ok": statuses["ok"], "not_modified": statuses["not_modified"],
                     "failed": statuses["failed"], "skipped": skipped}
    summary.articles = {key: sum(getattr(o, key) for o in outcomes) for key in OUTCOME_COUNTS}
    summary.failures = {o.feed_id: o.error or "" for o in outcomes if o.status == "failed"}
    return summary


def record_run(es: Elasticsearch, settings: Settings, summary: RunSummary, trigger: str) -> None:
    """The run document; a run Elasticsearch refused is recorded if the runs index still takes writes."""
    started = datetime.fromisoformat(summary.started_at)
    finished = datetime.fromisoformat(summary.finished_at)
    doc = {"run_id": summary.run_id, "trigger": trigger, "status": "refused" if summary.refused else "finished",
           "error": summary.refused, "started_at": summary.started_at, "finished_at": summary.finished_at,
           "duration_s": (finished - started).total_seconds()}
    doc.update({f"feeds_{k}": v for k, v in summary.feeds.items()})
    doc.update({f"articles_{k}": v for k, v in summary.articles.items()})
    log.info("run %s: feeds %s; articles %s", summary.run_id, summary.feeds, summary.articles)
    try:
        store.index_documents(es, [(settings.index("runs"), summary.run_id, doc)], refresh=True)
    except WritesRefused as exc:
        if not summary.refused:
            raise
        log.warning("run %s not recorded in %s: %s", summary.run_id, settings.index("runs"), exc)


def run_ingest(settings: Settings, es: Elasticsearch, feeds: list[Feed] | None = None, limit: int | None = None,
               force: bool = False, trigger: str = "cli", run_id: str | None = None,
               on_feed: Callable[[FeedOutcome], None] | None = None) -> RunSummary:
    """The whole pipeline once, outside Airflow: fetch concurrently, process one feed at a time.

    Processing is sequential so near-duplicate clustering sees the previous feeds' articles.
    The first refusal by Elasticsearch stops the run (``summary.refused`` says why).
    """
    run_id = run_id or new_run_id()
    started_at = store.now_iso()
    feeds = feeds if feeds is not None else load_feeds(settings.feeds_path)
    feeds = feeds[:limit] if limit else feeds
    try:
        check_writable(es, [settings.index(name) for name in WRITTEN_INDICES])
    except WritesRefused as exc:
        log.error("%s; the run stops before fetching (nothing fetched, no feed state changed)", exc)
        summary = summarize(run_id, started_at, [], skipped=len(feeds), refused=str(exc))
        record_run(es, settings, summary, trigger)
        return summary
    states = load_states(es, settings, [f.id for f in feeds])
    due = select_due(feeds, states, datetime.now(UTC), force=force)
    outcomes = ingest_feeds(settings, es, due, states, run_id, on_feed)
    summary = summarize(run_id, started_at, outcomes, skipped=len(feeds) - len(outcomes))
    record_run(es, settings, summary, trigger)
    return summary


def ingest_feeds(settings: Settings, es: Elasticsearch, due: list[Feed], states: dict[str, dict[str, Any]],
                 run_id: str, on_feed: Callable[[FeedOutcome], None] | None = None) -> list[FeedOutcome]:
    """Fetch ``due`` concurrently and process one feed at a time, in order (the CLI's run, and one
    DAG task's batch). The first refusal by Elasticsearch cancels the fetches not yet started.
    """
    outcomes: list[FeedOutcome] = []
    refusal: str | None = None
    takes_state = True  # after a refusal: whether the cluster still takes feed states
    tick = time.monotonic()
    with make_client(settings) as http, ThreadPoolExecutor(max_workers=settings.fetch_concurrency) as pool:
        pages = PageFetcher(settings, http) if settings.fulltext else None
        fetches = [pool.submit(fetch_feed, feed, states.get(feed.id), settings, http) for feed in due]
        for done, (feed, fetch) in enumerate(zip(due, fetches, strict=True), start=1):
            if fetch.cancelled():
                continue
            fetched = fetch.result()
            if refusal and fetched.status == "ok":
                outcome, takes_state = record_refusal(es, settings, feed, fetched, states.get(feed.id), refusal,
                                                      run_id, save=takes_state)
            else:
                outcome = process_feed(feed, fetched, states.get(feed.id), settings, es, enricher=None,
                                       run_id=run_id, pages=pages)
            if outcome.refused and not refusal:
                refusal = outcome.refused
                unfetched = sum(other.cancel() for other in fetches)
                log.error("Elasticsearch refuses writes: %s. Stopping the run: %d feeds not fetched (left for the"
                          " next run), fetched feeds marked failed; no dead letters, no validators advanced",
                          refusal, unfetched)
            outcomes.append(outcome)
            if on_feed:
                on_feed(outcome)
            if time.monotonic() - tick > 10:
                log.info("progress: %d/%d feeds processed", done, len(due))
                tick = time.monotonic()
    return outcomes


def outcomes_from_log(es: Elasticsearch, settings: Settings, run_id: str) -> list[FeedOutcome]:
    """The outcomes a (possibly distributed) run recorded, read back from the fetch log.

    One per feed, the last written: a task retried after the log rolled over has a line in two
    backing indices.
    """
    es.indices.refresh(index=settings.index("fetchlog"))
    response = es.search(index=settings.index("fetchlog"), query={"term": {"run_id": run_id}}, size=10_000,
                         sort=[{"fetched_at": "asc"}])
    latest = {s["feed_id"]: s for s in (hit["_source"] for hit in response["hits"]["hits"])}
    return [FeedOutcome(feed_id=s["feed_id"], status=s["status"], error=s.get("error"),
                        bozo_reason=s.get("bozo_reason"), **_counts(s))
            for s in latest.values()]


def _counts(source: dict[str, Any]) -> dict[str, Any]:
    """The fetch-log line's article counts, 0 where absent."""
    return {k: int(source.get(k) or 0) for k in OUTCOME_COUNTS}
