"""Static checks of the Docker side: docker-compose.yml, Dockerfile, .env.example.

Nothing here runs Docker: the files are parsed and checked for the mistakes that only show up
when someone runs `docker compose up` (a dangling depends_on, a missing healthcheck, a variable
nobody documents, components that disagree on the JWT secret, a password typed in clear...).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"

REQUIRED_SERVICES = {
    "elasticsearch",
    "kibana",
    "postgres",
    "es-setup",
    "mediawatch-setup",
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
}
ONE_SHOT_SERVICES = {"es-setup", "mediawatch-setup", "airflow-init"}
CELERY_SERVICES = {"redis", "airflow-worker", "flower"}
# Variables that hold secrets: compose must refuse to start without them (${VAR:?message}).
SECRET_VAR = re.compile(r"PASSWORD|SECRET|ENCRYPTION_KEY")
# Environment keys whose value is a credential.
SECRET_ENV_KEY = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|_KEY|ENCRYPTIONKEY)$", re.IGNORECASE)
# A whole value that is only a reference: ${X}, ${X:?msg}, ${X?msg} or ${X:-} (empty default).
SECRET_REF = re.compile(r"\$\{\w+(?::?\?[^}]*|:-)?\}")
URL_PASSWORD = re.compile(r"://[^/\s:@]+:(\$\{[^}]*\}|[^@\s/]+)@")
CURL_PASSWORD = re.compile(r"-u\s+['\"]?[^:\s'\"]+:([^\s'\"]+)")
# ${NAME...} or $NAME, as compose interpolates them ($$ is an escaped, literal $).
VAR_REF = re.compile(r"\$(?:\{(?P<braced>[A-Za-z_]\w*)(?P<rest>[^}]*)\}|(?P<bare>[A-Za-z_]\w*))")


# ---------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose) -> dict[str, dict]:
    return compose["services"]


def env_of(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: str(value) for key, value in env.items()}


def depends_of(service: dict) -> dict[str, dict]:
    deps = service.get("depends_on") or {}
    return {name: {"condition": "service_started"} for name in deps} if isinstance(deps, list) else deps


def strings_in(node: object):
    """Every string value in a parsed YAML tree (comments are not part of it)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from strings_in(value)


def var_refs(text: str) -> list[tuple[str, str]]:
    """(name, modifier) of each compose variable reference in text, e.g. ("X", ":?msg")."""
    return [(m["braced"] or m["bare"], m["rest"] or "") for m in VAR_REF.finditer(text.replace("$$", ""))]


def env_example() -> dict[str, str]:
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    pairs = [line.split("=", 1) for line in lines if "=" in line and not line.lstrip().startswith("#")]
    return {key.strip(): value.strip() for key, value in pairs}


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose-style substitution of ${VAR}, ${VAR:-default}, ${VAR:?err} using env."""

    def one(m: re.Match) -> str:
        name, rest = m["braced"] or m["bare"], m["rest"] or ""
        if env.get(name):
            return env[name]
        return rest.split("-", 1)[1] if rest.startswith((":-", "-")) else ""

    return "$".join(VAR_REF.sub(one, part) for part in text.split("$$"))


def airflow_components(services: dict[str, dict]) -> dict[str, dict]:
    return {n: s for n, s in services.items() if n.startswith("airflow-") or n == "flower"}


def image_tag(image: str) -> str:
    return image.rsplit("/", 1)[-1].split(":", 1)[1]


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


# ---------------------------------------------------------------- services and dependencies


def test_compose_defines_the_required_services(services):
    missing = REQUIRED_SERVICES - services.keys()
    assert not missing, f"docker-compose.yml lacks services: {sorted(missing)}"


def test_every_depends_on_target_is_a_service(services):
    dangling = [
        f"{name} -> {target}"
        for name, service in services.items()
        for target in depends_of(service)
        if target not in services
    ]
    assert not dangling, f"depends_on names services that are not defined: {dangling}"


def test_services_waited_on_as_healthy_have_a_healthcheck(services):
    unchecked = sorted(
        f"{name} waits for {target}"
        for name, service in services.items()
        for target, spec in depends_of(service).items()
        if spec.get("condition") == "service_healthy"
        and (
            not services.get(target, {}).get("healthcheck", {}).get("test")
            or services[target]["healthcheck"].get("disable")
        )
    )
    assert not unchecked, f"service_healthy on a service without a healthcheck (never healthy): {unchecked}"


def test_services_waited_on_to_complete_do_not_restart(services):
    restarting = sorted(
        f"{target} (restart: {services[target]['restart']})"
        for service in services.values()
        for target, spec in depends_of(service).items()
        if spec.get("condition") == "service_completed_successfully"
        and target in services
        and services[target].get("restart", "no") != "no"
    )
    assert not restarting, f"services waited on with service_completed_successfully restart: {restarting}"


def test_one_shot_services_never_restart(services):
    restarting = sorted(n for n in ONE_SHOT_SERVICES if services.get(n, {}).get("restart", "no") != "no")
    assert not restarting, f"one-shot services must have restart 'no': {restarting}"


def test_default_services_do_not_require_profiled_services(services):
    broken = sorted(
        f"{name} -> {target}"
        for name, service in services.items()
        if not service.get("profiles")
        for target, spec in depends_of(service).items()
        if services.get(target, {}).get("profiles") and spec.get("required", True)
    )
    assert not broken, (
        f"services without a profile require a profiled service, so a plain `docker compose up` "
        f"fails (add `required: false`): {broken}"
    )


# ---------------------------------------------------------------- volumes and build


def test_bind_mounted_host_paths_exist(services):
    missing = []
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.get("source", "") if isinstance(volume, dict) else volume.split(":", 1)[0]
            if source.startswith((".", "/")) and not (ROOT / source).exists():
                missing.append(f"{name}: {source}")
    assert not missing, f"bind-mounted host paths missing from the repository: {missing}"


def test_named_volumes_are_declared(compose):
    declared = set(compose.get("volumes") or {})
    used = {
        volume.split(":", 1)[0]
        for service in compose["services"].values()
        for volume in service.get("volumes", [])
        if isinstance(volume, str) and not volume.startswith((".", "/"))
    }
    assert used <= declared, f"named volumes used but not declared under volumes: {sorted(used - declared)}"


def test_build_contexts_and_dockerfiles_exist(services):
    builds = {name: service["build"] for name, service in services.items() if "build" in service}
    missing = [
        f"{name}: {build}"
        for name, build in builds.items()
        if not (ROOT / build["context"] / build.get("dockerfile", "Dockerfile")).is_file()
    ]
    assert not missing, f"build context or Dockerfile not found: {missing}"


def test_dockerfile_is_from_airflow_3_3_matching_pyproject():
    match = re.search(r"^FROM\s+apache/airflow:(\S+?)-python(\S+)\s*$", DOCKERFILE.read_text(), re.MULTILINE)
    assert match, "Dockerfile has no `FROM apache/airflow:<version>-python<version>` line"
    airflow, python = match.groups()
    assert re.fullmatch(r"3\.3\.\d+", airflow), f"Dockerfile is FROM Airflow {airflow}, expected 3.3.x"
    pinned = pyproject()["project"]["optional-dependencies"]["airflow"]
    assert f"apache-airflow=={airflow}" in pinned, f"Dockerfile Airflow {airflow} != pyproject {pinned}"
    assert python == "3.11", f"Dockerfile image uses Python {python}; the project targets 3.11"


def test_dockerfile_installs_project_and_pinned_camel_tools():
    text = DOCKERFILE.read_text()
    assert re.search(r"pip install --no-cache-dir\b.*\s(\.|/tmp/mediawatch)(\s|$)", text, re.MULTILINE), (
        "Dockerfile does not `pip install --no-cache-dir` the project"
    )
    camel = next(d for d in pyproject()["project"]["optional-dependencies"]["models"] if "camel-tools" in d)
    assert f"--no-deps {camel}" in text, f"Dockerfile must `pip install --no-deps {camel}` (pyproject's pin)"


# ---------------------------------------------------------------- versions


def test_elasticsearch_and_kibana_share_one_version_tag(services):
    es, kibana = image_tag(services["elasticsearch"]["image"]), image_tag(services["kibana"]["image"])
    assert es == kibana, f"Elasticsearch tag {es!r} and Kibana tag {kibana!r} differ"
    assert es.startswith("${ELASTIC_VERSION"), f"image tag {es!r} is not taken from ELASTIC_VERSION"


def test_elasticsearch_major_matches_python_client(services):
    tag = image_tag(services["elasticsearch"]["image"])
    client = next(d for d in pyproject()["project"]["dependencies"] if d.startswith("elasticsearch=="))
    client_major = client.split("==")[1].split(".")[0]
    # Both the compose default and the value .env.example suggests must fit the client.
    for version in {interpolate(tag, {}), interpolate(tag, env_example())}:
        assert version.split(".")[0] == client_major, (
            f"Elasticsearch server {version} and client {client} have different majors; the client refuses it"
        )


# ---------------------------------------------------------------- Airflow


def test_airflow_components_share_jwt_secret_and_execution_api_url(services):
    components = airflow_components(services)
    jwt = {n: env_of(s).get("AIRFLOW__API_AUTH__JWT_SECRET") for n, s in components.items()}
    url = {n: env_of(s).get("AIRFLOW__CORE__EXECUTION_API_SERVER_URL") for n, s in components.items()}
    assert len(set(jwt.values())) == 1, f"Airflow components disagree on the JWT secret: {jwt}"
    assert next(iter(jwt.values())).startswith("${AIRFLOW_JWT_SECRET"), f"JWT secret not from .env: {jwt}"
    assert set(url.values()) == {"http://airflow-apiserver:8080/execution/"}, (
        f"Airflow components must all use the API server's execution URL: {url}"
    )


def test_airflow_executor_defaults_to_local_and_comes_from_env(services):
    expected = "${AIRFLOW_EXECUTOR:-LocalExecutor}"
    executors = {n: env_of(s).get("AIRFLOW__CORE__EXECUTOR") for n, s in airflow_components(services).items()}
    wrong = {n: e for n, e in executors.items() if e != expected}
    assert not wrong, f"AIRFLOW__CORE__EXECUTOR must be {expected} in every Airflow component: {wrong}"


def test_celery_services_exist_only_under_celery_profile(services):
    missing = {"redis", "airflow-worker"} - services.keys()
    assert not missing, f"celery profile services missing: {sorted(missing)}"
    outside = {
        n: s.get("profiles")
        for n, s in services.items()
        if n in CELERY_SERVICES and s.get("profiles") != ["celery"]
    }
    intruders = sorted(
        n for n, s in services.items() if n not in CELERY_SERVICES and "celery" in s.get("profiles", [])
    )
    assert not outside, f"celery services must have exactly `profiles: [celery]`: {outside}"
    assert not intruders, f"only {sorted(CELERY_SERVICES)} belong to the celery profile, not {intruders}"


def test_init_migrates_db_and_creates_fetch_pool(services):
    command = " ".join(strings_in(services["airflow-init"].get("command")))
    assert "airflow db migrate" in command, "airflow-init does not run `airflow db migrate`"
    assert "airflow pools set mediawatch_fetch ${MEDIAWATCH_FETCH_POOL_SLOTS:-8}" in command, (
        "airflow-init does not create the mediawatch_fetch pool from MEDIAWATCH_FETCH_POOL_SLOTS"
    )


def test_setup_sets_kibana_password_and_runs_mediawatch_setup(services):
    commands = {n: " ".join(strings_in([s.get("entrypoint"), s.get("command")])) for n, s in services.items()}
    assert any("_security/user/kibana_system/_password" in c for c in commands.values()), (
        "no service sets the kibana_system password through the security API"
    )
    setup = re.compile(r"mediawatch\W+setup\W+--kibana\W+http://kibana:5601")
    assert any(setup.search(c) for c in commands.values()), (
        "no service runs `python -m mediawatch setup --kibana http://kibana:5601`"
    )


def test_mediawatch_env_is_accepted_by_settings(services):
    from mediawatch.settings import load_settings  # the library rejects unknown MEDIAWATCH_* names

    example = env_example()
    for name, service in services.items():
        env = {k: interpolate(v, example) for k, v in env_of(service).items() if k.startswith("MEDIAWATCH_")}
        try:
            load_settings(env)
        except ValueError as exc:
            pytest.fail(f"{name}: mediawatch rejects its MEDIAWATCH_* environment: {exc}")


# ---------------------------------------------------------------- variables and secrets


def test_every_compose_variable_is_in_env_example(compose):
    used = {name for text in strings_in(compose) for name, _ in var_refs(text)}
    undocumented = used - env_example().keys()
    assert not undocumented, (
        f"docker-compose.yml uses variables missing from .env.example: {sorted(undocumented)}"
    )


def test_every_env_example_variable_is_used_by_compose(compose):
    used = {name for text in strings_in(compose) for name, _ in var_refs(text)}
    unused = env_example().keys() - used
    assert not unused, f".env.example lists variables docker-compose.yml never reads: {sorted(unused)}"


def test_required_secrets_fail_fast_when_unset(compose):
    refs = [ref for text in strings_in(compose) for ref in var_refs(text) if SECRET_VAR.search(ref[0])]
    lenient = sorted({name for name, rest in refs if not rest.startswith((":?", "?"))})
    assert refs, "docker-compose.yml references no secret variables at all"
    assert not lenient, f"reference secrets as ${{VAR:?message}} so compose refuses to start: {lenient}"


def test_env_example_secrets_are_placeholders():
    real = {k: v for k, v in env_example().items() if SECRET_VAR.search(k) and not v.startswith("changeme-")}
    assert not real, f".env.example must hold changeme-... placeholders for secrets, not values: {real}"


def test_no_literal_passwords_in_compose(services):
    literal = [
        f"{name}.{key}={value}"
        for name, service in services.items()
        for key, value in env_of(service).items()
        if SECRET_ENV_KEY.search(key) and value and not SECRET_REF.fullmatch(value)
    ]
    for text in strings_in(services):
        for secret in URL_PASSWORD.findall(text) + CURL_PASSWORD.findall(text):
            if not secret.startswith("$"):
                literal.append(f"credential {secret!r} in {text[:60]!r}")
    assert not literal, f"literal passwords in docker-compose.yml (use ${{VAR:?...}} from .env): {literal}"


def test_airflow_components_share_the_api_secret_key_from_env(services):
    """[api] secret_key signs the UI's requests for a running task's log; a container that generates
    its own answers them with 403."""
    keys = {n: env_of(s).get("AIRFLOW__API__SECRET_KEY") for n, s in airflow_components(services).items()}
    assert len(set(keys.values())) == 1, f"Airflow components disagree on [api] secret_key: {keys}"
    assert next(iter(keys.values())).startswith("${AIRFLOW_API_SECRET_KEY:?"), f"secret_key not from .env: {keys}"


def jwt_check(services) -> str:
    """The JWT-secret length check of airflow-init, as bash will run it."""
    command = " ".join(strings_in(services["airflow-init"].get("command")))
    match = re.search(r"if \[ .*?\bfi\b", command, re.DOTALL)
    assert match and "AIRFLOW__API_AUTH__JWT_SECRET" in match.group(0), "airflow-init does not check the JWT secret"
    return match.group(0).replace("$$", "$")


@pytest.mark.parametrize(("secret", "accepted"), [("", False), ("x" * 63, False), ("x" * 64, True),
                                                   ("a1" * 40, True), ("placeholder", False)])
def test_airflow_init_refuses_a_jwt_secret_under_64_bytes(services, secret, accepted):
    import subprocess

    done = subprocess.run(["bash", "-c", jwt_check(services)], env={"AIRFLOW__API_AUTH__JWT_SECRET": secret},
                          capture_output=True, text=True, timeout=10)
    assert (done.returncode == 0) is accepted, done.stderr
    if not accepted:
        assert "openssl rand -hex 32" in done.stderr


def test_env_example_asks_for_a_64_byte_jwt_secret_and_its_placeholder_is_refused(services):
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    comment = text.split("AIRFLOW_JWT_SECRET=")[0].rsplit("\n\n", 1)[-1]
    assert "64 bytes" in comment and "openssl rand -hex 32" in comment
    placeholder = env_example()["AIRFLOW_JWT_SECRET"]
    assert len(placeholder) < 64, "the placeholder must not pass airflow-init's check"


def test_briefings_are_written_to_a_named_volume(compose, services):
    runs_tasks = {n: s for n, s in airflow_components(services).items() if n != "flower"}
    dirs = {n: env_of(s).get("MEDIAWATCH_BRIEFING_DIR") for n, s in runs_tasks.items()}
    assert set(dirs.values()) == {"/opt/airflow/briefings"}, f"briefing dir differs or is missing: {dirs}"
    for name, service in runs_tasks.items():
        mounts = {v.split(":")[1]: v.split(":")[0] for v in service.get("volumes", []) if isinstance(v, str)}
        assert mounts.get("/opt/airflow/briefings") in (compose.get("volumes") or {}), (
            f"{name}: /opt/airflow/briefings is not on a named volume: {mounts}")
    assert re.search(r"mkdir -p /opt/airflow/briefings && chmod 2775", DOCKERFILE.read_text()), (
        "the image must create the briefing folder group-writable (the volume starts as a copy of it)")


def test_a_failed_setup_job_fails_compose_up_without_stopping_airflow(services):
    waiting = {n for n, s in services.items()
               if depends_of(s).get("mediawatch-setup", {}).get("condition") == "service_completed_successfully"}
    assert waiting and all(not services[n].get("profiles") for n in waiting), (
        "nothing in the default stack waits for mediawatch-setup to succeed, so its failure goes unseen")
    assert not waiting & set(airflow_components(services)), "Airflow must not wait for Kibana's import"


def test_kibana_public_base_url_is_the_address_the_airflow_ui_links_to(services):
    public = env_of(services["kibana"])["SERVER_PUBLICBASEURL"]
    links = {env_of(s).get("MEDIAWATCH_KIBANA_URL") for s in airflow_components(services).values()}
    assert links == {public} and public.startswith("${KIBANA_PUBLIC_URL"), (public, links)
