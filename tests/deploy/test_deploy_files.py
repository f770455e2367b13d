"""The deployment files: schemas, YAML style, and commands that exist and are documented.

No container engine runs here: the compose file is validated against the
Compose Specification's JSON Schema, each Kubernetes manifest against the
Kubernetes API schemas (kubernetes-validate), all YAML with yamllint, and
every command the image, the compose file and the manifests run must be one
the README documents and one the ``rjchronos`` command accepts.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import jsonschema
import kubernetes_validate
import pytest
import yaml

from rjchronos.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
SCHEMA = Path(__file__).resolve().parent / "schemas" / "compose-spec.json"
KUBERNETES_VERSION = "1.30.0"
RJCHRONOS = str(Path(sys.executable).parent / "rjchronos")
IMAGE = "rjchronos"
ROLES = {
    ("db", "upgrade"),
    ("serve", "--role", "api", "--no-migrate"),
    ("serve", "--role", "acs", "--no-migrate"),
    ("worker",),
}

Command = tuple[str, ...]


def documented_commands() -> set[Command]:
    """The commands of the first code block of the README's "Deploying" section."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Deploying\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "the Deploying section has no command block"
    commands = set()
    for line in block.group(1).splitlines():
        words = shlex.split(line, comments=True)
        if words:
            assert words[0] == "rjchronos", line
            commands.add(tuple(words[1:]))
    return commands


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return document


def manifests() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(KUBERNETES.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                found.append(
                    (f"{path.name}:{document['kind']}/{document['metadata']['name']}", document)
                )
    return found


def dockerfile_instruction(name: str) -> list[str]:
    text = (DEPLOY / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if line.startswith(f"{name} ")]
    assert len(lines) == 1, f"one {name} expected"
    value: list[str] = json.loads(lines[0][len(name) + 1 :])
    return value


def rjchronos_containers() -> list[tuple[str, dict[str, Any]]]:
    """Every container of the manifests that runs the RJChronos image."""
    found = []
    for name, document in manifests():
        spec = document.get("spec", {})
        template = spec.get("template") or spec.get("jobTemplate", {}).get("spec", {}).get(
            "template"
        )
        if not template:
            continue
        for container in template["spec"]["containers"]:
            if container["image"] == IMAGE:
                found.append((f"{name}/{container['name']}", container))
    return found


def image_commands() -> dict[str, Command]:
    """The role command of the Dockerfile, each compose service and each manifest's container."""
    assert dockerfile_instruction("ENTRYPOINT") == ["rjchronos"]
    commands = {"Dockerfile CMD": tuple(dockerfile_instruction("CMD"))}
    for name, service in compose()["services"].items():
        if service.get("image", "").startswith(f"{IMAGE}:"):
            commands[f"compose {name}"] = tuple(service["command"])
    for name, container in rjchronos_containers():
        assert "command" not in container, f"{name} must keep the image's entrypoint"
        commands[f"kubernetes {name}"] = tuple(container["args"])
    return commands


def probe_commands() -> dict[str, Command]:
    """The ``rjchronos`` commands of the compose health checks and manifests' exec probes."""
    commands: dict[str, Command] = {}
    for name, service in compose()["services"].items():
        test = service.get("healthcheck", {}).get("test", [])
        if test[:2] == ["CMD", "rjchronos"]:
            commands[f"compose {name} healthcheck"] = tuple(test[2:])
    for name, container in rjchronos_containers():
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            command = container.get(probe, {}).get("exec", {}).get("command")
            if command:
                assert command[0] == "rjchronos", name
                commands[f"{name} {probe}"] = tuple(command[1:])
    return commands


def test_the_compose_file_follows_the_compose_specification() -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(compose())
    services = compose()["services"]
    assert services["postgres"]["image"] == "postgres:15"
    assert services["redis"]["image"].startswith("redis:")
    for name in ("api", "acs", "worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
        assert services[name]["healthcheck"]["test"][:3] == ["CMD", "rjchronos", "ready"]


def test_the_schema_refuses_a_broken_compose_file() -> None:
    """The validation can fail: a misspelt key is caught."""
    schema = json.loads(SCHEMA.read_text())
    broken = compose()
    broken["services"]["api"]["helthcheck"] = broken["services"]["api"].pop("healthcheck")
    with pytest.raises(jsonschema.ValidationError, match="helthcheck"):
        jsonschema.Draft202012Validator(schema).validate(broken)


@pytest.mark.parametrize("name, document", manifests(), ids=[n for n, _ in manifests()])
def test_each_kubernetes_manifest_follows_the_api_schema(
    name: str, document: dict[str, Any]
) -> None:
    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_the_kubernetes_validator_refuses_a_broken_manifest() -> None:
    (_, deployment), *_ = [m for m in manifests() if m[0].startswith("api.yaml:Deployment")]
    broken = json.loads(json.dumps(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["pth"] = "/"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_the_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    present = {p.name for p in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == present


def test_api_acs_and_worker_have_probes_resources_and_their_own_autoscaler() -> None:
    containers = dict(rjchronos_containers())
    kinds = {name.split(":")[1].split("/")[0] for name in containers}
    assert kinds == {"Deployment", "Job"}
    for component, port in (("api", "http"), ("acs", "cwmp"), ("worker", None)):
        (container,) = [
            c for n, c in containers.items() if f"Deployment/rjchronos-{component}/" in n
        ]
        assert container["resources"]["requests"]["cpu"]
        assert container["resources"]["requests"]["memory"]
        for probe in ("livenessProbe", "readinessProbe"):
            if port:
                assert container[probe]["httpGet"]["port"] == port
            else:
                assert container[probe]["exec"]["command"] == ["rjchronos", "ready"]
        if port:
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        names = {e.get("secretRef", {}).get("name") for e in container["envFrom"]}
        assert "rjchronos" in names
    autoscaled = {
        d["spec"]["scaleTargetRef"]["name"]
        for _, d in manifests()
        if d["kind"] == "HorizontalPodAutoscaler"
    }
    assert autoscaled == {"rjchronos-api", "rjchronos-acs", "rjchronos-worker"}
    secret = next(d for _, d in manifests() if d["kind"] == "Secret")
    assert {"RJC_DATABASE_URL", "RJC_BROKER_URL", "RJC_SECRET_KEY"} <= set(secret["stringData"])


def test_all_yaml_passes_yamllint() -> None:
    files = [str(p) for p in [*DEPLOY.rglob("*.yaml"), ROOT / ".yamllint.yaml"]]
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "yamllint"),
            "-s",
            "-c",
            str(ROOT / ".yamllint.yaml"),
            *files,
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_images_commands_are_the_documented_ones() -> None:
    documented = documented_commands()
    assert documented >= ROLES
    commands = image_commands()
    for where, command in commands.items():
        assert command in documented, f"{where} runs `rjchronos {' '.join(command)}`, not in README"
    compose_roles = {c for w, c in commands.items() if w.startswith("compose ")}
    kubernetes_roles = {c for w, c in commands.items() if w.startswith("kubernetes ")}
    assert compose_roles == ROLES
    assert kubernetes_roles == ROLES
    for where, command in probe_commands().items():
        assert command[:1] == ("ready",) and ("ready",) in documented, where


def _parse(command: Command) -> None:
    """Parse ``rjchronos *command`` as the CLI would, without running it."""
    context = cli.make_context("rjchronos", list(command), resilient_parsing=False)
    group: click.Command = cli
    args = [*context._protected_args, *context.args]
    while isinstance(group, click.Group) and args:
        name, sub, args = group.resolve_command(context, args)
        assert sub is not None and name is not None
        context = sub.make_context(name, list(args), parent=context)
        group, args = sub, [*getattr(context, "_protected_args", []), *context.args]


def all_commands() -> list[Command]:
    return sorted(
        documented_commands() | set(image_commands().values()) | set(probe_commands().values())
    )


@pytest.mark.parametrize("command", all_commands(), ids=lambda c: " ".join(c))
def test_every_command_exists_and_accepts_its_options(command: Command) -> None:
    _parse(command)
    words = [w for w in command if not w.startswith("-")]
    path = [w for w in words if w in {"db", "upgrade", "serve", "worker", "ready"}]
    result = subprocess.run(
        [RJCHRONOS, *path, "--help"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    for option in (w for w in command if w.startswith("--")):
        assert option in result.stdout, (
            f"`rjchronos {' '.join(path)} --help` does not list {option}"
        )


def test_a_command_the_cli_does_not_accept_is_caught() -> None:
    with pytest.raises(click.UsageError):
        _parse(("serve", "--role", "scheduler"))
    with pytest.raises(click.UsageError):
        _parse(("serve", "--no-migrat"))
