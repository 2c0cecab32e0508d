"""Domain constants: the monitored languages, the two countries and the article fields about them.

One place for what alerts, the briefing, the Kibana objects, the CLI and the DAGs would otherwise
each spell out again.
"""

from __future__ import annotations

from typing import Literal, get_args

# The languages MediaWatch reads (feeds, language identification, analysis, dashboards).
Language = Literal["ar", "ru", "en"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
LANGUAGE_NAMES: dict[str, str] = {"ar": "Arabic", "ru": "Russian", "en": "English"}
# Each language's name in itself, as the briefing shows it.
NATIVE_NAMES: dict[str, str] = {"ar": "العربية", "ru": "Русский", "en": "English"}

# The two sides, by their watchlist ids in seeds/entities.yaml (Wikidata Q159 and Q858, as in
# enrich.relevance.SIDES) and their canonical names.
RUSSIA_ID = "Q159"
SYRIA_ID = "Q858"
COUNTRY_IDS: dict[str, str] = {"Russia": RUSSIA_ID, "Syria": SYRIA_ID}
COUNTRY_NAMES: dict[str, str] = {entity_id: name for name, entity_id in COUNTRY_IDS.items()}

# The article fields holding the tone toward each side (document.article_document, index.py).
TONE_FIELDS: dict[str, str] = {"Russia": "tone_russia", "Syria": "tone_syria"}
TONE_LABEL_FIELDS: dict[str, str] = {"Russia": "tone_label_russia", "Syria": "tone_label_syria"}
TONE_LABELS = ("negative", "neutral", "positive")

# Entity ids of names the enricher found off the watchlist: ``ner:<type>:<folded name>``.
UNLINKED_PREFIX = "ner:"
