"""The parts of scripts/e2e_image.py that need no Docker engine.

`make e2e-image` runs the container with `docker run` options derived from the rendered
Deployment; these tests pin that derivation on every example, so a manifest change that the
e2e run would mistranslate (a new volume type, an env source, a dropped security setting) fails
here, in `make test`, rather than after a ten-minute image build.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from architect_k import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "scripts"))

import e2e_image as e2e

AUTH_OBJECTS = {
    "oauth2": lambda app: {
        ("ConfigMap", f"{app}-auth"): {
            "issuer": "https://issuer.test/",
            "audience": app,
            "jwks.json": '{"keys": []}',
        },
    },
    "mtls": lambda app: {
        ("Secret", f"{app}-tls"): {"tls.crt": "CERT", "tls.key": "KEY"},
        ("ConfigMap", f"{app}-client-ca"): {"ca.crt": "CA"},
    },
}


def rendered_deployment(example: Path) -> tuple[dict[str, Any], str, str]:
    answers = yaml.safe_load((example / ".copier-answers.yml").read_text(encoding="utf-8"))
    manifest = e2e.deployment(example, "k8s/overlays/production")
    return manifest, manifest["metadata"]["name"], str(answers["auth_mode"])


def options(args: list[str]) -> dict[str, list[str]]:
    """`--flag value` pairs (and bare flags) of a docker run argument list."""
    found: dict[str, list[str]] = {}
    i = 0
    while i < len(args):
        flag = args[i]
        if "=" in flag:
            name, value = flag.split("=", 1)
            found.setdefault(name, []).append(value)
        elif i + 1 < len(args) and not args[i + 1].startswith("--"):
            found.setdefault(flag, []).append(args[i + 1])
            i += 1
        else:
            found.setdefault(flag, []).append("")
        i += 1
    return found


def test_the_container_runs_as_the_deployment_says(example: Path, tmp_path: Path) -> None:
    manifest, app, auth_mode = rendered_deployment(example)
    client = e2e.Client("http://127.0.0.1:1", objects=AUTH_OBJECTS[auth_mode](app))
    args, grace = e2e.run_arguments(manifest, client, tmp_path / "volumes", 18080)
    pod = manifest["spec"]["template"]["spec"]
    container = pod["containers"][0]
    given = options(args)

    assert grace == pod["terminationGracePeriodSeconds"]
    assert given["--user"] == ["10001:10001"]
    assert "--read-only" in given
    assert given["--cap-drop"] == ["ALL"]
    assert given["--security-opt"] == ["no-new-privileges"]
    assert given["--cpus"] == [str(container["resources"]["limits"]["cpu"])]
    env = dict(value.split("=", 1) for value in given["--env"])
    assert set(env) == {v["name"] for v in container["env"]} | {"PORT"}
    assert env["PORT"] == "18080"
    mounted = [v.split(":")[1] for v in given["--volume"]] + [
        v.split(":")[0] for v in given["--tmpfs"]
    ]
    assert sorted(mounted) == sorted(m["mountPath"] for m in container["volumeMounts"])
    # Secrets keep the mode the manifest gives them; read-only mounts stay read-only.
    for volume in pod["volumes"]:
        if "secret" in volume:
            for path in (tmp_path / "volumes" / volume["name"]).iterdir():
                assert stat.S_IMODE(path.stat().st_mode) == volume["secret"]["defaultMode"]
    read_only = {m["mountPath"] for m in container["volumeMounts"] if m.get("readOnly")}
    assert read_only == {v.split(":")[1] for v in given["--volume"] if v.endswith(":ro")}
    if os.geteuid() == 0:  # the kubelet's fsGroup ownership; only root can hand it out
        claim = tmp_path / "volumes" / "predictions"
        assert claim.stat().st_gid == pod["securityContext"]["fsGroup"]
        assert claim.stat().st_mode & stat.S_IWGRP


def test_a_missing_cluster_object_is_named(example: Path, tmp_path: Path) -> None:
    manifest, _, _ = rendered_deployment(example)
    with pytest.raises(e2e.E2EError, match=r"references (ConfigMap|Secret) \S+"):
        e2e.run_arguments(manifest, e2e.Client("http://127.0.0.1:1"), tmp_path, 18080)


def test_base_images_skip_stage_names(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        "FROM python:3.11.14-slim-bookworm AS builder\nRUN true\n"
        "FROM builder AS test\nFROM nvidia/cuda:13.0.2-base-ubuntu22.04 AS runtime\n"
    )
    assert e2e.base_images(dockerfile) == [
        "python:3.11.14-slim-bookworm",
        "nvidia/cuda:13.0.2-base-ubuntu22.04",
    ]


def test_the_index_lists_every_wheel_by_normalised_project(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    for name in (
        "Jinja2-3.1.6-py3-none-any.whl",
        "typing_extensions-4.16.0-py3-none-any.whl",
        "torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl",
    ):
        (wheels / name).write_bytes(b"")
    root = tmp_path / "index"
    root.mkdir()
    e2e.write_simple_index(wheels, root)
    assert sorted(p.name for p in (root / "simple").iterdir()) == [
        "jinja2",
        "torch",
        "typing-extensions",
    ]
    page = (root / "simple" / "torch" / "index.html").read_text()
    assert 'href="/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl"' in page
    assert (root / "wheels").resolve() == wheels.resolve()
