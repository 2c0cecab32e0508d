"""Article enrichment: language, watchlist entities, sentiment, tone toward Russia and Syria,
topics and relevance. Importable without Airflow; optional camel-tools models are used when
their data is installed.

    enricher = load_enricher(settings.seeds_dir)
    enricher.enrich(title, text, prior="ar").to_dict()
"""

from __future__ import annotations

from mediawatch.seedfile import SeedError
from mediawatch.settings import DEFAULT_SEEDS_DIR

from .entities import EntityHit
from .pipeline import (
    RULES_VERSION,
    Enricher,
    Enrichment,
    build_enricher,
    enrichment_version,
    load_enricher,
)
from .relevance import Relevance
from .sentiment import Sentiment

# Version produced by the default seeds (seeds/ at the repository root). An enricher built
# from another directory reports its own in ``Enricher.version``.
ENRICHMENT_VERSION: str = enrichment_version(DEFAULT_SEEDS_DIR)

__all__ = [
    "ENRICHMENT_VERSION",
    "RULES_VERSION",
    "Enricher",
    "Enrichment",
    "EntityHit",
    "Relevance",
    "SeedError",
    "Sentiment",
    "build_enricher",
    "enrichment_version",
    "load_enricher",
]
