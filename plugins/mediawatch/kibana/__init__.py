"""Kibana 9 saved objects, generated from code so they stay in step with the index mapping.

Data views, saved searches, a map and two dashboards ("Russia–Syria coverage", "Feed health")
are declared as small specs (:mod:`.specs`, :mod:`.dashboards`) and turned into the saved-object
JSON Kibana imports (:mod:`.render`). The same specs give the NDJSON committed in
``seeds/kibana/`` and the panel table for the README (:mod:`.docs`); :mod:`.fieldcheck` reads the
generated objects back and lists every field a panel, search, control or map layer touches, so
the tests can hold each one against the live mapping (``_field_caps``). :mod:`.client` imports
them into a running Kibana.

    python -m mediawatch.kibana          # regenerate seeds/kibana/ for the default settings
    python -m mediawatch setup --kibana http://localhost:5601
"""

from .client import KibanaImportError, import_saved_objects
from .dashboards import COVERAGE, DASHBOARDS, FEED_HEALTH
from .docs import KIBANA_DIR, PANELS_NAME, panels_markdown, write_files
from .fieldcheck import field_problems, field_uses, fields_used, kql_fields
from .render import (
    GRID_COLUMNS,
    NDJSON_NAME,
    TYPE_MIGRATION_VERSIONS,
    dashboard_id,
    data_view_id,
    saved_objects,
    to_ndjson,
)

__all__ = [
    "COVERAGE",
    "DASHBOARDS",
    "FEED_HEALTH",
    "GRID_COLUMNS",
    "KIBANA_DIR",
    "NDJSON_NAME",
    "PANELS_NAME",
    "TYPE_MIGRATION_VERSIONS",
    "KibanaImportError",
    "dashboard_id",
    "data_view_id",
    "field_problems",
    "field_uses",
    "fields_used",
    "import_saved_objects",
    "kql_fields",
    "panels_markdown",
    "saved_objects",
    "to_ndjson",
    "write_files",
]
