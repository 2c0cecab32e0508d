"""MediaWatch's data views, saved searches and the two dashboards ("Russia–Syria coverage",
"Feed health"), declared as specs."""

from __future__ import annotations

from ..constants import RUSSIA_ID as RUSSIA
from ..constants import SYRIA_ID as SYRIA
from ..constants import TONE_FIELDS, TONE_LABEL_FIELDS, TONE_LABELS, UNLINKED_PREFIX
from .specs import Bucket, Chart, Dashboard, DataView, MapPanel, Metric, SavedSearch, SearchPanel

DATA_VIEWS = (
    DataView("articles", "articles", "published_at",
             {"url": {"id": "url", "params": {"type": "a", "openLinkInCurrentTab": False}}}),
    DataView("feeds", "feed state (one document per feed)", None),
    DataView("fetchlog", "feed fetch log (one document per feed and run)", "fetched_at"),
    DataView("runs", "pipeline runs", "started_at"),
    DataView("alerts", "coverage alerts", "created_at"),
)

ARTICLE_COUNT = Metric("count", label="Articles")
BY_DAY = Bucket("date_histogram", "published_at", "Published")
BY_LANGUAGE = Bucket("terms", "language", "Language", size=3)
LATEST_FIRST = (("published_at", "desc"),)

ARTICLE_COLUMNS = ("source", "country", "title", "url", "topics", "sentiment_label")
LATEST_RELEVANT = SavedSearch(
    "latest-relevant", "Latest relevant articles",
    "What are the newest Russia–Syria articles? (the url column links to each article)",
    "articles", "relevant:true", ("source", "language", "kind", "title", "url"), LATEST_FIRST)
RELEVANT_AR = SavedSearch(
    "relevant-ar", "Relevant articles in Arabic",
    "What do Arabic-language outlets publish on Russia–Syria?",
    "articles", "relevant:true and language:ar", ARTICLE_COLUMNS, LATEST_FIRST)
RELEVANT_RU = SavedSearch(
    "relevant-ru", "Relevant articles in Russian",
    "What do Russian-language outlets publish on Russia–Syria?",
    "articles", "relevant:true and language:ru", ARTICLE_COLUMNS, LATEST_FIRST)
NEGATIVE_TONE = SavedSearch(
    "negative-tone", "Negative tone", "Which relevant articles read most negative, and toward whom?",
    "articles", "relevant:true and sentiment_label:negative",
    ("source", "language", "title", "url", "sentiment_score", *TONE_FIELDS.values()),
    (("sentiment_score", "asc"),))
FAILING_FEEDS = SavedSearch(
    "failing-feeds", "Failing feeds", "Which feeds fail right now, since when, and with what error?",
    "feeds", "status:failed",
    ("feed_id", "last_error", "failing_since", "consecutive_failures", "http_status", "last_fetch_at"),
    (("failing_since", "asc"),))


def _top(key: str, title: str, question: str, field_name: str, label: str, kql: str = "",
         exclude: tuple[str, ...] = (), size: tuple[int, int] = (16, 15)) -> Chart:
    """A horizontal bar chart of the 15 most frequent values of a facet."""
    return Chart(key, title, question, "articles", "xy", (ARTICLE_COUNT,),
                 (Bucket("terms", field_name, label, 15, exclude),), "bar_horizontal", kql, size)


def _over_time(key: str, title: str, question: str, metric: Metric, split: Bucket,
               series: str = "bar_stacked", size: tuple[int, int] = (24, 15)) -> Chart:
    """A metric per time bucket of ``published_at``, one series per value of ``split``."""
    return Chart(key, title, question, "articles", "xy", (metric,), (BY_DAY, split), series, size=size)


def _headline(key: str, title: str, question: str, view: str, metric: Metric, kql: str = "") -> Chart:
    """A single number across the top of a dashboard."""
    return Chart(key, title, question, view, "metric", (metric,), kql=kql, size=(12, 6))


def _tone(country: str) -> Metric:
    return Metric("average", TONE_FIELDS[country], f"Average tone toward {country}")


def _tone_labels(country: str) -> Chart:
    """Articles per language, stacked by their tone label toward ``country`` (negative/neutral/positive)."""
    return Chart(f"coverage-tone-labels-{country.lower()}", f"Tone labels toward {country} by language",
                 f"How many articles in each language portray {country} negatively, neutrally or positively?",
                 "articles", "xy", (ARTICLE_COUNT,),
                 (BY_LANGUAGE, Bucket("terms", TONE_LABEL_FIELDS[country], f"Tone toward {country}",
                                      size=len(TONE_LABELS))))


# Names the enricher found off the watchlist (python -m mediawatch candidates lists them with examples).
UNLINKED_NAMES = Chart(
    "coverage-unlinked-names", "Names not on the watchlist",
    "Which names off the watchlist come up most, and in which languages? (candidates for seeds/entities.yaml)",
    "articles", "table", (ARTICLE_COUNT,),
    (Bucket("terms", "entity_ids", "Name (ner:<type>:<name>)", size=20, include_pattern=f"{UNLINKED_PREFIX}.*"),
     BY_LANGUAGE),
    size=(48, 15))


COVERAGE = Dashboard(
    "coverage", "Russia–Syria coverage",
    "Relevant Russia–Syria coverage in Arabic, Russian and English outlets: volume, tone, people, topics"
    " and places. The query relevant:true keeps the articles about Russia–Syria relations; clear it to"
    " see every fetched article.",
    kql="relevant:true",
    controls=(("language", "Language"), ("source", "Outlet"), ("country", "Country"), ("topics", "Topic")),
    panels=(
        _headline("coverage-articles", "Relevant articles",
                  "How many relevant articles appeared in the time range?", "articles", ARTICLE_COUNT),
        _headline("coverage-outlets", "Outlets", "How many outlets covered Russia–Syria?", "articles",
                  Metric("unique_count", "source", "Outlets")),
        _headline("coverage-tone-russia-avg", "Tone toward Russia",
                  "How warm or cold is the coverage of Russia overall?", "articles",
                  _tone("Russia")),
        _headline("coverage-tone-syria-avg", "Tone toward Syria",
                  "How warm or cold is the coverage of Syria overall?", "articles",
                  _tone("Syria")),
        _over_time("coverage-volume-language", "Volume by language",
                   "How much did Arabic, Russian and English media publish, and when?",
                   ARTICLE_COUNT, BY_LANGUAGE),
        _over_time("coverage-volume-kind", "Volume by outlet kind",
                   "How much came from state, private, opposition and international outlets and from"
                   " search feeds?", ARTICLE_COUNT, Bucket("terms", "kind", "Outlet kind", size=5)),
        _over_time("coverage-tone-russia", "Tone toward Russia by language",
                   "Do Arabic, Russian and English media portray Russia differently, and is it changing?",
                   _tone("Russia"), BY_LANGUAGE, "line"),
        _over_time("coverage-tone-syria", "Tone toward Syria by language",
                   "Do Arabic, Russian and English media portray Syria differently, and is it changing?",
                   _tone("Syria"), BY_LANGUAGE, "line"),
        _tone_labels("Russia"),
        _tone_labels("Syria"),
        _top("coverage-persons", "Top persons", "Who is mentioned most?", "persons", "Person"),
        _top("coverage-organizations", "Top organizations", "Which organizations are mentioned most?",
             "organizations", "Organization"),
        _top("coverage-locations", "Top locations", "Which places are mentioned most?",
             "locations", "Location"),
        _top("coverage-with-russia", "Mentioned together with Russia",
             "Who and what appears in the articles that mention Russia?", "entity_names", "Entity",
             f'entity_ids:"{RUSSIA}"', ("Russia",), (24, 15)),
        _top("coverage-with-syria", "Mentioned together with Syria",
             "Who and what appears in the articles that mention Syria?", "entity_names", "Entity",
             f'entity_ids:"{SYRIA}"', ("Syria",), (24, 15)),
        UNLINKED_NAMES,
        _over_time("coverage-topics", "Topics over time",
                   "Which themes (bases, wheat, debt, reconstruction...) dominate, and when?",
                   ARTICLE_COUNT, Bucket("terms", "topics", "Topic", size=16), size=(32, 15)),
        Chart("coverage-sentiment", "Sentiment mix",
              "What share of the coverage is positive, neutral or negative?", "articles", "pie",
              (ARTICLE_COUNT,), (Bucket("terms", "sentiment_label", "Sentiment", size=3),), size=(16, 15)),
        MapPanel("coverage-map", "Mentioned locations", "Where are the places the coverage talks about?",
                 "articles", "location_points"),
        _top("coverage-outlets-top", "Top outlets", "Which outlets publish most on Russia–Syria?",
             "source", "Outlet", size=(24, 20)),
        SearchPanel(LATEST_RELEVANT, (48, 20)),
    ),
)

RUN_TIME = Bucket("date_histogram", "started_at", "Started")
FEED_HEALTH = Dashboard(
    "feed-health", "Feed health",
    "Which feeds fail, since when and why; what each feed and each pipeline run delivered. The"
    " failing-feeds panels read the current feed state and ignore the time range.",
    time_from="now-2d",
    panels=(
        _headline("health-failing-now", "Failing feeds now", "How many feeds are failing right now?",
                  "feeds", Metric("count", label="Failing feeds"), "status:failed"),
        _headline("health-runs", "Runs", "How many pipeline runs finished in the time range?", "runs",
                  Metric("count", label="Runs")),
        _headline("health-new-articles", "New articles", "How many new articles did those runs index?",
                  "runs", Metric("sum", "articles_new", "New articles")),
        _headline("health-failed-fetches", "Failed fetches",
                  "How many feed fetches failed in the time range?", "fetchlog",
                  Metric("count", label="Failed fetches"), "status:failed"),
        Chart("health-fetch-status", "Feed fetches by status",
              "Run after run, how many feeds were fetched ok, unchanged (not_modified) or failed?",
              "fetchlog", "xy", (Metric("count", label="Fetches"),),
              (Bucket("date_histogram", "fetched_at", "Fetched"),
               Bucket("terms", "status", "Status", size=3)),
              size=(48, 15)),
        SearchPanel(FAILING_FEEDS, (48, 14)),
        Chart("health-per-feed", "Articles per feed",
              "What did each feed deliver: new articles, entries seen, fetches, failures, fetch time?",
              "fetchlog", "table",
              (Metric("sum", "new", "New articles"), Metric("sum", "seen", "Entries seen"),
               Metric("count", label="Fetches"), Metric("count", label="Failed fetches", kql="status:failed"),
               Metric("average", "elapsed_ms", "Average fetch time (ms)")),
              (Bucket("terms", "feed_id", "Feed", size=100),), size=(48, 18)),
        Chart("health-run-duration", "Run durations", "Are pipeline runs getting slower?", "runs", "xy",
              (Metric("average", "duration_s", "Average duration (s)"),
               Metric("max", "duration_s", "Longest run (s)")),
              (RUN_TIME,), "line"),
        Chart("health-run-articles", "Articles per run",
              "What did the runs add: new, updated, duplicate and rejected articles?", "runs", "xy",
              tuple(Metric("sum", f"articles_{kind}", kind.capitalize())
                    for kind in ("new", "updated", "duplicate", "rejected")),
              (RUN_TIME,)),
    ),
)

DASHBOARDS = (COVERAGE, FEED_HEALTH)
SAVED_SEARCHES = (RELEVANT_AR, RELEVANT_RU, NEGATIVE_TONE, LATEST_RELEVANT, FAILING_FEEDS)
