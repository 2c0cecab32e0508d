"""Alerts on coverage spikes and tone shifts: pure statistics, thin Elasticsearch I/O, delivery.

A run looks at the latest window (``window_h`` whole hours ending at the last full hour) and,
per language, counts *stories* (distinct ``cluster_id``: a wire story and its copies count once)
for every watched entity, every entity co-mentioned with Russia or Syria, every topic, and all
articles together. Each count is compared with a baseline from the previous 14 days; a
significant excess above a minimum count becomes an alert document in ``<prefix>-alerts``, with
its evidence (counts, baseline samples, the test, the top stories collapsed by ``cluster_id``).
Tone toward Russia and Syria alerts when its mean drops by a margin. Alert ids are deterministic
(kind + key + language + window), alerts are *created* (never overwritten), and a key already
alerted in an overlapping window is not alerted again.

- :mod:`.stats`: the Poisson spike test, the daily-profile test, the tone drop (pure);
- :mod:`.model`: windows, the alert record, what is ongoing or explained (pure);
- :mod:`.queries`: the searches as body builders and response parsers (pure);
- :mod:`.detect`: a detection run against Elasticsearch;
- :mod:`.deliver`: webhook and e-mail delivery with retries, and the listing.
"""

from .deliver import EmailSender, deliver_pending, deliver_task, format_alert_line, list_alerts
from .detect import detect_task, run_detection
from .model import AlertConfig, alert_config

__all__ = [
    "AlertConfig",
    "EmailSender",
    "alert_config",
    "deliver_pending",
    "deliver_task",
    "detect_task",
    "format_alert_line",
    "list_alerts",
    "run_detection",
]
