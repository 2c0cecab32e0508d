# MediaWatch image: the official Airflow 3.3 image plus this project.
# Used by every Airflow service and by the setup jobs in docker-compose.yml.
#
#   docker compose build          (or: docker build -t mediawatch-airflow:local .)

FROM apache/airflow:3.3.2-python3.11

# The official image installs Python packages as the `airflow` user, never as root.
USER airflow

# Install the mediawatch package and its pinned dependencies (seeds/ goes into the package too,
# see setup.py). Only what the build needs is copied first, so editing DAGs does not invalidate this layer.
# `apache-airflow==${AIRFLOW_VERSION}` (AIRFLOW_VERSION is set by the base image) keeps pip from
# moving Airflow while it resolves our dependencies. camel-tools goes in without its heavy
# dependencies (torch, transformers...): by default only its text utilities are used, and their
# three dependencies (emoji, regex, six) come with mediawatch.
COPY --chown=airflow:0 pyproject.toml setup.py README.md /tmp/mediawatch/
COPY --chown=airflow:0 plugins/ /tmp/mediawatch/plugins/
COPY --chown=airflow:0 seeds/ /tmp/mediawatch/seeds/
RUN pip install --no-cache-dir "apache-airflow==${AIRFLOW_VERSION}" /tmp/mediawatch \
 && pip install --no-cache-dir --no-deps camel-tools==1.6.0 \
 && rm -rf /tmp/mediawatch

# Seeds (feeds, watchlist, topic rules, lexicons, demo articles), DAGs and the library source.
# Compose bind-mounts the same folders over these for development; without the mounts the
# image still runs on its own copies.
COPY --chown=airflow:0 seeds/ /opt/airflow/seeds/
COPY --chown=airflow:0 dags/ /opt/airflow/dags/
COPY --chown=airflow:0 plugins/ /opt/airflow/plugins/

# The briefing folder, owned by airflow:0 and group-writable: compose mounts the named volume
# `briefings` here, which starts as a copy of this folder, so any AIRFLOW_UID (group 0) can write it.
RUN mkdir -p /opt/airflow/briefings && chmod 2775 /opt/airflow/briefings

ENV MEDIAWATCH_SEEDS_DIR=/opt/airflow/seeds
WORKDIR /opt/airflow
