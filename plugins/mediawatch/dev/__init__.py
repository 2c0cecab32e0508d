"""Development launchers, not part of the runtime library (and not in the wheel):

    python -m mediawatch.dev.devnode up|down|status|url    # a local Elasticsearch test node
    python -m mediawatch.dev.devstack up|down --home DIR   # that node plus airflow standalone
"""
