"""Build a generated service's image and run it the way its Deployment runs it: `make e2e-image`.

For each service (examples/churn.yml as rendered, and the same answers with auth_mode mtls) this
renders, trains, builds the image from the generated Dockerfile as it is, checks the image's
hygiene, then starts the container with the Deployment's security context, resources, env and
volumes (read from the kustomize-built manifests) and checks from outside: /health and /ready,
an authenticated prediction equal to the in-process predictor's, an unauthenticated one refused,
/metrics, the prediction log on the mounted volume, and a SIGTERM drain that exits 0 within the
grace period. It prints the image size and the cold start (container start to ready).

Nothing here reaches a registry:
- the base image is Debian bookworm made with debootstrap, with python3 and python3-venv, tagged
  with the name the Dockerfile's FROM lines use; the rootfs tarball is cached in .cache/e2e-image;
- pip inside the build reads a PEP 503 index that this script serves on 127.0.0.1 from wheels
  `pip download` fetched once into the cache (torch from this machine's local wheel), passed
  through the Dockerfile's PIP_INDEX_URL / PIP_EXTRA_INDEX_URL build arguments.

The script starts a private Docker daemon (--bridge=none: containers use the host's network, so
the server listens on a free port) whose data root it deletes on exit, with every image and
container in it. Below MIN_FREE_GB of free disk it prints `e2e-image SKIPPED` and exits 0; every
other problem fails loudly.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import functools
import http.server
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version
from prometheus_client.parser import text_string_to_metric_families

from architect_k import REPO_ROOT
from architect_k.procutil import stop
from architect_k.render import render_example, training_args

CACHE = REPO_ROOT / ".cache" / "e2e-image"
WORK = REPO_ROOT / "build" / "e2e-image"
MIN_FREE_GB = 10
SUITE = "bookworm"
DEBIAN_MIRROR = "http://deb.debian.org/debian"
BASE_PACKAGES = ("python3", "python3-venv", "ca-certificates")
BASE_TARBALL = CACHE / f"debootstrap-{SUITE}-{'-'.join(BASE_PACKAGES)}.tar"
COMPILERS = ("gcc", "cc", "c++", "g++", "clang", "ld", "make")
DAEMON_START_S = 60
READY_TIMEOUT_S = 180


class E2EError(RuntimeError):
    """A check failed or a step could not run; the message names which and why."""


def log(message: str) -> None:
    """One progress line, flushed at once so CI shows where a long step is."""
    print(f"[e2e-image] {message}", flush=True)


def run(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 1800,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing its output; on failure raise with the output's tail."""
    result = subprocess.run(
        list(args),
        env=None if env is None else {**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        tail = (result.stdout + result.stderr)[-4000:]
        raise E2EError(f"`{' '.join(args[:4])} ...` exited {result.returncode}:\n{tail}")
    return result


# -- the Docker daemon ----------------------------------------------------------------------


@dataclass
class Docker:
    """The docker CLI bound to one daemon."""

    host: str

    def __call__(
        self, *args: str, timeout: float = 1800, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        env = {"DOCKER_HOST": self.host, "DOCKER_BUILDKIT": "0"}
        return run(["docker", *args], env=env, timeout=timeout, check=check)


def exclusive(lock: Path) -> None:
    """Refuse to run beside another run using the same files (a daemon root, the renders)."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    handle = lock.open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise E2EError(f"another e2e-image run holds {lock}") from None
    _HELD.append(handle)  # the lock lasts as long as the process


_HELD: list[Any] = []


@contextlib.contextmanager
def private_daemon(data_root: Path) -> Iterator[Docker]:
    """A dockerd of our own (no bridge, no iptables rules), removed with its data on exit."""
    if shutil.which("dockerd") is None:
        raise E2EError("dockerd is not installed: apt-get install -y docker.io")
    exclusive(data_root.with_name(f"{data_root.name}.lock"))
    exec_root = Path(tempfile.mkdtemp(prefix="ak-dockerd-"))  # short: it holds unix sockets
    data_root.mkdir(parents=True, exist_ok=True)
    socket_path = exec_root / "docker.sock"
    daemon_log = exec_root.parent / f"{exec_root.name}.log"
    with daemon_log.open("wb") as sink:
        daemon = subprocess.Popen(
            [
                "dockerd",
                "--bridge=none",
                "--iptables=false",
                "--data-root",
                str(data_root),
                "--exec-root",
                str(exec_root),
                "--pidfile",
                str(exec_root / "dockerd.pid"),
                "-H",
                f"unix://{socket_path}",
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    docker = Docker(f"unix://{socket_path}")
    try:
        deadline = time.monotonic() + DAEMON_START_S
        while docker("version", check=False, timeout=20).returncode != 0:
            if daemon.poll() is not None or time.monotonic() > deadline:
                tail = daemon_log.read_text(errors="replace")[-3000:]
                raise E2EError(f"the private Docker daemon did not start:\n{tail}")
            time.sleep(0.5)
        yield docker
    finally:
        stop(daemon, timeout=60)
        # rm(1) is several times faster than shutil.rmtree over a few hundred thousand files.
        run(["rm", "-rf", str(data_root), str(exec_root)], timeout=1800, check=False)
        daemon_log.unlink(missing_ok=True)


# -- the stand-in base image and the local package index -------------------------------------


def base_images(dockerfile: Path) -> list[str]:
    """The images the Dockerfile's stages start FROM (stage names excluded)."""
    stages: set[str] = set()
    images: list[str] = []
    for match in re.finditer(
        r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", dockerfile.read_text(), re.M | re.I
    ):
        image, stage = match.group(1), match.group(2)
        if image not in stages and image not in images:
            images.append(image)
        if stage:
            stages.add(stage)
    return images


def debootstrap_base() -> Path:
    """The cached rootfs tarball of Debian with python3, made once with debootstrap."""
    if BASE_TARBALL.is_file():
        return BASE_TARBALL
    if shutil.which("debootstrap") is None:
        raise E2EError("debootstrap is not installed: apt-get install -y debootstrap")
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as scratch:
        rootfs = Path(scratch) / "rootfs"
        log(f"debootstrap {SUITE} with {', '.join(BASE_PACKAGES)} (once; cached)")
        run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(BASE_PACKAGES)}",
                SUITE,
                str(rootfs),
                DEBIAN_MIRROR,
            ],
            timeout=1800,
        )
        # The official python image puts its interpreter first on PATH as `python`.
        (rootfs / "usr/local/bin/python").symlink_to("/usr/bin/python3")
        for bulky in (
            "usr/share/doc",
            "usr/share/man",
            "usr/share/info",
            "var/cache/apt",
            "var/lib/apt/lists",
        ):
            shutil.rmtree(rootfs / bulky, ignore_errors=True)
        partial = BASE_TARBALL.with_suffix(".partial")
        run(["tar", "--numeric-owner", "-C", str(rootfs), "-cf", str(partial), "."])
        partial.rename(BASE_TARBALL)
    return BASE_TARBALL


def import_base(docker: Docker, tags: Sequence[str]) -> None:
    """Import the stand-in rootfs under every tag the Dockerfile starts FROM."""
    tarball = debootstrap_base()
    first, *others = tags
    docker("import", "--change", 'CMD ["python"]', str(tarball), first)
    for tag in others:
        docker("tag", first, tag)


def wheelhouse(service: Path) -> Path:
    """Wheels of everything the image's pip installs, fetched into the cache once."""
    wheels = CACHE / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    build_requires = tomllib.loads((service / "pyproject.toml").read_text())["build-system"][
        "requires"
    ]
    lines = (service / "requirements.lock").read_text().splitlines()
    wanted = [Requirement(line) for line in [*lines, *build_requires] if _is_pin(line)]
    pins = {canonicalize_name(r.name): r.specifier for r in wanted}
    have: dict[str, list[Version]] = {}
    for wheel in wheels.glob("*.whl"):
        name, version, *_ = parse_wheel_filename(wheel.name)
        if name in pins and pins[name].contains(version):
            have.setdefault(name, []).append(version)
        else:
            wheel.unlink()  # left by an older lock: the cache holds one lock's wheels only
    missing = [
        str(r)
        for r in wanted
        if not any(r.specifier.contains(v) for v in have.get(canonicalize_name(r.name), []))
    ]
    if missing:
        log(f"pip download of {len(missing)} wheels into {wheels}")
        run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary=:all:",
                "--dest",
                str(wheels),
                *missing,
            ],
            timeout=1800,
        )
    return wheels


def _is_pin(line: str) -> bool:
    return bool(line.strip()) and not line.lstrip().startswith(("#", "-"))


def write_simple_index(wheels: Path, root: Path) -> None:
    """A PEP 503 index of the wheel directory under `root`: simple/<project>/, wheels/ linked."""
    projects: dict[str, list[str]] = {}
    for wheel in sorted(wheels.glob("*.whl")):
        name = canonicalize_name(parse_wheel_filename(wheel.name)[0])
        projects.setdefault(name, []).append(wheel.name)
    (root / "wheels").symlink_to(wheels, target_is_directory=True)
    for project, files in projects.items():
        page = root / "simple" / project / "index.html"
        page.parent.mkdir(parents=True)
        links = "".join(f'<a href="/wheels/{name}">{name}</a>\n' for name in files)
        page.write_text(f"<!DOCTYPE html><html><body>\n{links}</body></html>\n")


@contextlib.contextmanager
def serve_directory(directory: Path) -> Iterator[str]:
    """Serve `directory` over HTTP on 127.0.0.1 (pip trusts loopback without TLS)."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            del format, args

    handler = functools.partial(Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def local_index(service: Path) -> Iterator[str]:
    """The URL of a package index on 127.0.0.1 holding everything the service's image installs."""
    wheels = wheelhouse(service)
    with tempfile.TemporaryDirectory(prefix="ak-index-") as root:
        write_simple_index(wheels, Path(root))
        with serve_directory(Path(root)) as url:
            yield url


# -- the service: render, train, reference predictions, credentials --------------------------


@dataclass
class Service:
    """A rendered and trained service."""

    path: Path
    package: str
    app: str
    auth_mode: str

    def python(self, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
        """`python ARGS` in the service with this venv, its src/ (as tests/conftest.py) and its
        scripts/ (the dev credentials and the load test's sample bodies)."""
        env = {
            "PYTHONPATH": os.pathsep.join(str(self.path / name) for name in ("src", "scripts")),
            "MLFLOW_TRACKING_URI": f"sqlite:///{self.path / 'mlflow.db'}",
        }
        return run([sys.executable, *args], env=env, cwd=self.path, timeout=timeout)


def render_and_train(example: Path, destination: Path, **overrides: Any) -> Service:
    """Render `example` (plus `overrides`) into `destination`, make its sample data, train it."""
    shutil.rmtree(destination, ignore_errors=True)
    destination.parent.mkdir(parents=True, exist_ok=True)
    render_example(example, destination, **overrides)
    rendered = yaml.safe_load((destination / ".copier-answers.yml").read_text())
    package = next(p.name for p in (destination / "src").iterdir() if (p / "serve").is_dir())
    app = package.replace("_", "-")
    service = Service(destination, package, app, str(rendered["auth_mode"]))
    service.python("-m", f"{package}.sample_data", "--rows", "5000", "--out", "data/sample.csv")
    service.python(*training_args(package))
    return service


REFERENCE = """
import json, sys
from pathlib import Path
import orjson
from loadtest import sample_bodies
from {package}.predictor import Predictor
records = [orjson.loads(body) for body in sample_bodies(8)]
predictions = Predictor.load(Path("artifacts/model")).predict_records(records)
print(json.dumps({{"records": records, "predictions": predictions}}))
"""

CREDENTIALS = {
    "oauth2": """
import json, sys
from pathlib import Path
import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key
import dev_credentials as dev
pair = dev.write_signing_pair(Path(sys.argv[1]))
public_key = load_pem_public_key(pair.public_key.read_bytes())
jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(public_key))
jwk |= {"kid": "e2e", "use": "sig", "alg": "ES256"}
print(json.dumps({
    "jwks": json.dumps({"keys": [jwk]}),
    "token": dev.mint(pair.signing_key, issuer=sys.argv[2], audience=sys.argv[3]),
}))
""",
    "mtls": """
import json, sys
from pathlib import Path
import dev_credentials as dev
bundle = dev.write_tls_bundle(Path(sys.argv[1]))
print(json.dumps({name: str(getattr(bundle, name)) for name in bundle.__dataclass_fields__}))
""",
}


@dataclass
class Client:
    """How the checks reach the container, and the objects a cluster would hold for it."""

    base_url: str
    headers: dict[str, str] = field(default_factory=dict)
    context: ssl.SSLContext | None = None
    #: mTLS: the CA that signed the server certificate (a client without a certificate uses it).
    ca_file: str | None = None
    #: (kind, name) -> {key: value}: the ConfigMaps and Secrets the Deployment references.
    objects: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)


def credentials(service: Service, directory: Path, port: int) -> Client:
    """Throwaway credentials from the service's scripts/dev_credentials.py, as cluster objects."""
    code = CREDENTIALS[service.auth_mode]
    if service.auth_mode == "oauth2":
        issuer, audience = "https://issuer.e2e.invalid/", service.app
        made = json.loads(service.python("-c", code, str(directory), issuer, audience).stdout)
        return Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {made['token']}"},
            objects={
                ("ConfigMap", f"{service.app}-auth"): {
                    "issuer": issuer,
                    "audience": audience,
                    "jwks.json": made["jwks"],
                },
            },
        )
    files = {
        k: Path(v) for k, v in json.loads(service.python("-c", code, str(directory)).stdout).items()
    }
    context = ssl.create_default_context(cafile=str(files["ca_cert"]))
    context.load_cert_chain(str(files["client_cert"]), str(files["client_key"]))
    return Client(
        base_url=f"https://127.0.0.1:{port}",
        context=context,
        ca_file=str(files["ca_cert"]),
        objects={
            ("Secret", f"{service.app}-tls"): {
                "tls.crt": files["server_cert"].read_text(),
                "tls.key": files["server_key"].read_text(),
            },
            ("ConfigMap", f"{service.app}-client-ca"): {"ca.crt": files["ca_cert"].read_text()},
        },
    )


# -- the Deployment, as `docker run` arguments -----------------------------------------------


def deployment(service: Path, kustomization: str) -> dict[str, Any]:
    """The serving Deployment as `kubectl kustomize` builds it."""
    # The pinned kubectl of .venv-lint: the kustomize the tests and the generated CI build with.
    kubectl = REPO_ROOT / ".venv-lint" / "bin" / "kubectl"
    if not kubectl.is_file():
        raise E2EError("kubectl is missing: run `make lint-tools`")
    built = run([str(kubectl), "kustomize", str(service / kustomization)], timeout=120).stdout
    found = [d for d in yaml.safe_load_all(built) if d and d.get("kind") == "Deployment"]
    if len(found) != 1:
        raise E2EError(f"{kustomization} builds {len(found)} Deployments; expected one")
    manifest: dict[str, Any] = found[0]
    return manifest


def _memory(quantity: str) -> str:
    units = {"Ki": "k", "Mi": "m", "Gi": "g", "K": "k", "M": "m", "G": "g"}
    for suffix, docker_unit in units.items():
        if quantity.endswith(suffix):
            return quantity[: -len(suffix)] + docker_unit
    return quantity


def _cpus(quantity: str) -> str:
    return str(int(quantity[:-1]) / 1000) if quantity.endswith("m") else quantity


def _object_data(objects: Client, kind: str, name: str) -> dict[str, str]:
    try:
        return objects.objects[(kind, name)]
    except KeyError:
        raise E2EError(
            f"the Deployment references {kind} {name}, which this test does not make"
        ) from None


def _give(path: Path, group: int) -> None:
    """Hand a volume file to the pod's group, as the kubelet does (only root can)."""
    if os.geteuid() == 0:
        os.chown(path, 0, group)


def run_arguments(
    manifest: Mapping[str, Any], client: Client, volumes: Path, port: int
) -> tuple[list[str], int]:
    """`docker run` options reproducing the pod's first container; and its grace period."""
    pod = manifest["spec"]["template"]["spec"]
    container = pod["containers"][0]
    context = {**pod.get("securityContext", {}), **container.get("securityContext", {})}
    uid, gid = context.get("runAsUser"), context.get("runAsGroup", context.get("runAsUser"))
    if uid is None or not context.get("runAsNonRoot"):
        raise E2EError("the Deployment does not pin a non-root runAsUser")
    fs_group = pod.get("securityContext", {}).get("fsGroup")
    # Mounted volumes belong to the pod's fsGroup, as the kubelet arranges.
    volume_group = int(fs_group) if fs_group is not None else int(uid if gid is None else gid)
    args = ["--user", f"{uid}:{gid}"]
    if fs_group is not None:
        args += ["--group-add", str(fs_group)]
    if context.get("readOnlyRootFilesystem"):
        args.append("--read-only")
    if context.get("allowPrivilegeEscalation") is False:
        args += ["--security-opt", "no-new-privileges"]
    capabilities = context.get("capabilities", {})
    args += [f"--cap-drop={c}" for c in capabilities.get("drop", [])]
    args += [f"--cap-add={c}" for c in capabilities.get("add", [])]
    limits = container.get("resources", {}).get("limits", {})
    if "cpu" in limits:
        args += ["--cpus", _cpus(str(limits["cpu"]))]
    if "memory" in limits:
        args += ["--memory", _memory(str(limits["memory"]))]
    for variable in container.get("env", []):
        if "value" in variable:
            value = str(variable["value"])
        else:
            source = variable.get("valueFrom", {})
            ref = source.get("configMapKeyRef") or source.get("secretKeyRef")
            if ref is None:
                raise E2EError(f"env {variable['name']}: unsupported source {source}")
            kind = "ConfigMap" if "configMapKeyRef" in source else "Secret"
            value = _object_data(client, kind, ref["name"])[ref["key"]]
        args += ["--env", f"{variable['name']}={value}"]
    # The pod has its own network namespace; here the container shares the host's, so it
    # listens on a port nobody else uses.
    args += ["--env", f"PORT={port}"]
    by_name = {volume["name"]: volume for volume in pod.get("volumes", [])}
    for mount in container.get("volumeMounts", []):
        volume = by_name[mount["name"]]
        target = mount["mountPath"]
        if "emptyDir" in volume:
            size = volume["emptyDir"].get("sizeLimit", "64Mi")
            args += ["--tmpfs", f"{target}:rw,exec,size={_memory(str(size))},mode=1777"]
            continue
        host = volumes / mount["name"]
        host.mkdir(parents=True)
        if "persistentVolumeClaim" in volume:
            _give(host, volume_group)
            host.chmod(0o2775)
        elif "configMap" in volume or "secret" in volume:
            kind = "ConfigMap" if "configMap" in volume else "Secret"
            source = volume["configMap"] if kind == "ConfigMap" else volume["secret"]
            name = source["name"] if kind == "ConfigMap" else source["secretName"]
            data = _object_data(client, kind, name)
            items = source.get("items") or [{"key": k, "path": k} for k in data]
            for item in items:
                path = host / item["path"]
                path.write_text(data[item["key"]])
                _give(path, volume_group)
                path.chmod(source.get("defaultMode", 0o644))
        else:
            raise E2EError(f"volume {mount['name']}: unsupported type {sorted(volume)}")
        args += ["--volume", f"{host}:{target}{':ro' if mount.get('readOnly') else ''}"]
    return args, int(pod.get("terminationGracePeriodSeconds", 30))


# -- checks from outside ---------------------------------------------------------------------


def request(
    client: Client, path: str, body: Any = None, auth: bool = True, timeout: float = 10
) -> tuple[int, bytes]:
    """One HTTP(S) request to the container; (status, body), errors included."""
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if auth:
        headers |= client.headers
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(client.base_url + path, data=data, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout, context=client.context) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def check(condition: bool, what: str) -> None:
    """Record one passed check, or stop with what failed."""
    if not condition:
        raise E2EError(f"FAILED: {what}")
    log(f"ok  {what}")


HYGIENE = """
import importlib.metadata as md, json, os, shutil, sysconfig
package = os.path.dirname(__import__("{package}").__file__)
site = sysconfig.get_paths()["purelib"]
found = [os.path.join(site, "torch", name) for name in ("test", "include")
         if os.path.isdir(os.path.join(site, "torch", name))]
for root in ("/app", site):
    for here, dirs, files in os.walk(root):
        ours = here.startswith(("/app", package))
        found += [os.path.join(here, n) for n in dirs + files if n == "tests" or ours and (
                  n == "conftest.py" or n.startswith("test_") and n.endswith(".py"))]
caches = [p for p in ("/root/.cache/pip", os.path.expanduser("~/.cache/pip"), "/tmp/pip")
          if os.path.exists(p)]
print(json.dumps({{
    "uid": os.getuid(), "gid": os.getgid(),
    "compilers": [c for c in {compilers!r} if shutil.which(c)],
    "pip_caches": caches, "test_files": found,
    "distributions": sorted({{d.metadata["Name"].lower() for d in md.distributions()}}),
}}))
"""


def lock_names(lock: Path) -> set[str]:
    """Project names pinned in a lock file."""
    lines = lock.read_text().splitlines()
    return {canonicalize_name(Requirement(line).name) for line in lines if _is_pin(line)}


def check_hygiene(docker: Docker, image: str, service: Service) -> None:
    """The built image as shipped: non-root, no compiler, no pip cache, tests or dev deps."""
    code = HYGIENE.format(package=service.package, compilers=COMPILERS)
    facts = json.loads(docker("run", "--rm", "--entrypoint", "python", image, "-c", code).stdout)
    check(
        facts["uid"] == 10001 and facts["gid"] == 10001,
        f"image runs as uid/gid {facts['uid']}/{facts['gid']}",
    )
    check(not facts["compilers"], f"no compiler or build tool on PATH (found {facts['compilers']})")
    check(not facts["pip_caches"], f"no pip cache ({facts['pip_caches']})")
    check(
        not facts["test_files"],
        f"no test suites in /app or site-packages ({facts['test_files'][:3]})",
    )
    dev_only = lock_names(service.path / "requirements-dev.lock") - lock_names(
        service.path / "requirements.lock"
    )
    installed = {str(canonicalize_name(name)) for name in facts["distributions"]}
    check(not dev_only & installed, f"no dev dependency installed ({sorted(dev_only & installed)})")


@dataclass
class Figures:
    """What one service's run measured."""

    example: str
    auth_mode: str
    image_bytes: int = 0
    build_s: float = 0.0
    cold_start_s: float = 0.0
    stop_s: float = 0.0
    predictions_logged: int = 0


def drive(client: Client, reference: Mapping[str, Any], figures: Figures, started: float) -> None:
    """The checks that need the container up: health, readiness, prediction, auth, metrics."""
    deadline = started + READY_TIMEOUT_S
    while True:
        try:
            status, _ = request(client, "/ready", timeout=2)
        except (OSError, urllib.error.URLError):
            status = 0
        if status == 200:
            break
        if time.monotonic() > deadline:
            raise E2EError(f"FAILED: /ready not 200 within {READY_TIMEOUT_S} s (last {status})")
        time.sleep(0.05)
    figures.cold_start_s = time.monotonic() - started
    log(f"ok  /ready 200 after {figures.cold_start_s:.2f} s (container start to ready)")
    check(request(client, "/health")[0] == 200, "/health 200")
    body = {"records": reference["records"]}
    status, answer = request(client, "/v1/predict", body)
    check(status == 200, f"authenticated POST /v1/predict 200 (got {status})")
    served = json.loads(answer)["predictions"]
    check(
        _close(served, reference["predictions"]),
        f"{len(served)} served predictions equal the in-process predictor's",
    )
    if client.ca_file is None:
        status, _ = request(client, "/v1/predict", body, auth=False)
        check(status == 401, f"unauthenticated POST /v1/predict refused with 401 (got {status})")
    else:
        refusal = _without_client_certificate(client, body)
        check(
            refusal is not None,
            f"POST /v1/predict without a client certificate refused ({refusal})",
        )
    status, metrics = request(client, "/metrics")
    families = {family.name for family in text_string_to_metric_families(metrics.decode())}
    check(status == 200 and len(families) > 3, f"/metrics scrapeable ({len(families)} families)")


def check_probes(
    docker: Docker, container: str, manifest: Mapping[str, Any], client: Client, port: int
) -> None:
    """The Deployment's probes pass when run as the kubelet runs them: without credentials, and
    failing only after failureThreshold misses in a row, periodSeconds apart."""
    spec = manifest["spec"]["template"]["spec"]["containers"][0]
    for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
        probe = spec.get(kind)
        if probe is None:
            continue
        misses = []
        for _ in range(int(probe.get("failureThreshold", 3))):
            passed, what = _probe_once(docker, container, probe, client, port)
            if passed:
                break
            misses.append(what)
            time.sleep(int(probe.get("periodSeconds", 10)))
        retried = f"; missed first: {misses}" if misses else ""
        check(passed, f"{kind} passes as the kubelet runs it ({what}{retried})")


def _probe_once(
    docker: Docker, container: str, probe: Mapping[str, Any], client: Client, port: int
) -> tuple[bool, str]:
    if "exec" in probe:
        command = probe["exec"]["command"]
        return docker("exec", container, *command, check=False).returncode == 0, " ".join(command)
    if "httpGet" in probe:
        try:
            status = request(client, probe["httpGet"]["path"], auth=False)[0]
        except (OSError, urllib.error.URLError) as error:
            return False, f"GET {probe['httpGet']['path']}: {error}"
        return 200 <= status < 400, f"GET {probe['httpGet']['path']} {status}"
    if "tcpSocket" in probe:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2):
                return True, "TCP connect"
        except OSError as error:
            return False, f"TCP connect: {error}"
    raise E2EError(f"unsupported probe {sorted(probe)}")


def _without_client_certificate(client: Client, body: Any) -> str | None:
    """mTLS: how a client that trusts the server but shows no certificate is turned away."""
    bare = Client(client.base_url, context=ssl.create_default_context(cafile=client.ca_file))
    try:
        status, _ = request(bare, "/v1/predict", body)
    except (ssl.SSLError, ConnectionError, urllib.error.URLError) as refusal:
        return f"TLS handshake: {refusal}"[:160]
    return None if status == 200 else f"HTTP {status}"


def _close(served: Any, expected: Any) -> bool:
    """Equal up to float32 rounding: the same model in two processes."""
    if isinstance(served, dict) and isinstance(expected, dict):
        return served.keys() == expected.keys() and all(
            _close(served[k], expected[k]) for k in served
        )
    if isinstance(served, list) and isinstance(expected, list):
        return len(served) == len(expected) and all(map(_close, served, expected))
    if isinstance(served, float) or isinstance(expected, float):
        return abs(float(served) - float(expected)) <= 1e-5 * max(1.0, abs(float(expected)))
    return bool(served == expected)


def drain(docker: Docker, client: Client, body: Any, container: str, grace_s: int) -> float:
    """SIGTERM under load: every answered request is a 200, and the exit is 0 within grace."""
    outcomes: list[int] = []
    stop = threading.Event()

    def load() -> None:
        while not stop.is_set():
            try:
                outcomes.append(request(client, "/v1/predict", body, timeout=5)[0])
            except (OSError, urllib.error.URLError):
                return  # the listener closed: nothing more is accepted, as intended

    worker = threading.Thread(target=load)
    worker.start()
    time.sleep(0.3)
    signalled = time.monotonic()
    docker("kill", "--signal", "TERM", container)
    exit_code = int(docker("wait", container, timeout=grace_s + 30).stdout.strip())
    elapsed = time.monotonic() - signalled
    stop.set()
    worker.join(timeout=10)
    codes = Counter(outcomes)
    check(
        set(codes) <= {200},
        f"{len(outcomes)} requests answered during the drain, all 200 ({codes})",
    )
    check(exit_code == 0, f"SIGTERM: exit code {exit_code}")
    check(elapsed < grace_s, f"SIGTERM: stopped in {elapsed:.2f} s < grace period {grace_s} s")
    return elapsed


def exercise(
    docker: Docker, service: Service, image: str, figures: Figures, kustomization: str
) -> None:
    """Run the image as the Deployment would and check it from outside."""
    scratch = WORK / f"{service.app}-run"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    port = free_port()
    client = credentials(service, scratch / "credentials", port)
    reference = json.loads(service.python("-c", REFERENCE.format(package=service.package)).stdout)
    manifest = deployment(service.path, kustomization)
    args, grace_s = run_arguments(manifest, client, scratch / "volumes", port)
    container = f"ak-e2e-{service.app}-{os.getpid()}"
    started = time.monotonic()
    docker("run", "--detach", "--name", container, "--network", "host", *args, image)
    try:
        drive(client, reference, figures, started)
        check_probes(docker, container, manifest, client, port)
        listening = docker("exec", container, "cat", "/proc/net/tcp", "/proc/net/tcp6").stdout
        wildcard = re.search(rf"^\s*\d+: 0+:{port:04X} 0+:0000 0A", listening, re.M)
        check(
            wildcard is not None, f"listens on all addresses (HOST) at port {port}, as a pod must"
        )
        body = {"records": reference["records"]}
        figures.stop_s = drain(docker, client, body, container, grace_s)
        mount = next(
            m["mountPath"]
            for m in manifest["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
            if m["name"] == "predictions"
        )
        rows = sum(
            len(path.read_text().splitlines())
            for path in (scratch / "volumes" / "predictions").glob("predictions-*.jsonl")
        )
        figures.predictions_logged = rows
        check(
            rows >= len(reference["records"]),
            f"{rows} prediction-log rows written to the mounted volume ({mount})",
        )
    except E2EError:
        log(f"container log (tail):\n{docker('logs', container, check=False).stderr[-4000:]}")
        raise
    finally:
        docker("rm", "--force", container, check=False)
        shutil.rmtree(scratch, ignore_errors=True)


def build_image(
    docker: Docker, service: Service, tag: str, index: str, dockerfile: Path | None = None
) -> float:
    """`docker build` of the service with the local index; returns the seconds it took."""
    started = time.monotonic()
    extra = ["--file", str(dockerfile)] if dockerfile else []
    docker(
        "build",
        "--network",
        "host",
        "--tag",
        tag,
        *extra,
        "--build-arg",
        f"PIP_INDEX_URL={index}/simple",
        "--build-arg",
        f"PIP_EXTRA_INDEX_URL={index}/simple",
        str(service.path),
        timeout=3600,
    )
    return time.monotonic() - started


def image_bytes(docker: Docker, tag: str) -> int:
    """The image's unpacked size as the daemon reports it."""
    return int(docker("image", "inspect", "--format", "{{.Size}}", tag).stdout.strip())


def trivy_config(dockerfile: Path) -> None:
    """trivy's misconfiguration scan of the Dockerfile, offline."""
    trivy = REPO_ROOT / ".venv-lint" / "bin" / "trivy"
    if not trivy.is_file():
        raise E2EError("trivy is missing: run `make lint-tools`")
    with tempfile.TemporaryDirectory() as scratch:
        shutil.copy(dockerfile, Path(scratch) / "Dockerfile")
        result = run(
            [
                str(trivy),
                "config",
                "--skip-check-update",
                "--quiet",
                "--exit-code",
                "1",
                "--severity",
                "LOW,MEDIUM,HIGH,CRITICAL",
                scratch,
            ],
            env={"TRIVY_CACHE_DIR": str(CACHE / "trivy")},
            check=False,
            timeout=300,
        )
    if result.returncode != 0:
        raise E2EError(f"trivy config finds misconfigurations:\n{result.stdout[-4000:]}")
    log("ok  trivy config finds nothing in the Dockerfile")


# -- the run ---------------------------------------------------------------------------------


def variants(example: Path) -> list[tuple[str, dict[str, Any]]]:
    """Overrides of the example: none, and the other auth mode (an mTLS twin of an OAuth2 one)."""
    answers: dict[str, Any] = yaml.safe_load(example.read_text())
    other = "mtls" if answers["auth_mode"] == "oauth2" else "oauth2"
    twin = {"auth_mode": other, "project_name": f"{answers['project_name']} {other}"}
    return [(example.stem, {}), (f"{example.stem}-{other}", twin)]


def main(argv: Sequence[str] | None = None) -> int:
    """Build, run and check each variant; print the figures; 0 when everything passed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--example", type=Path, default=REPO_ROOT / "examples" / "churn.yml")
    parser.add_argument(
        "--kustomization",
        default="k8s/overlays/production",
        help="what the Deployment is read from",
    )
    parser.add_argument("--results", type=Path, default=WORK / "results.json")
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    free_gb = shutil.disk_usage(WORK).free / 1e9
    if free_gb < MIN_FREE_GB:
        print(f"e2e-image SKIPPED: {free_gb:.1f} GB free (needs {MIN_FREE_GB} GB)", flush=True)
        return 0
    exclusive(CACHE / "run.lock")
    services = []
    for name, overrides in variants(args.example):
        log(f"{name}: render and train")
        services.append((name, render_and_train(args.example, WORK / name, **overrides)))
    results: list[Figures] = []
    bases = sorted({image for _, s in services for image in base_images(s.path / "Dockerfile")})
    # The daemon and its data root exist for this run only: every image and layer goes with it.
    with private_daemon(CACHE / "docker-root") as docker, local_index(services[0][1].path) as index:
        import_base(docker, bases)
        for name, service in services:
            figures = Figures(name, service.auth_mode)
            trivy_config(service.path / "Dockerfile")
            tag = f"ak-e2e/{service.app}:test"
            log(f"{name}: docker build")
            figures.build_s = build_image(docker, service, tag, index)
            figures.image_bytes = image_bytes(docker, tag)
            size_mb = figures.image_bytes / 1e6
            log(f"    built in {figures.build_s:.0f} s; image {size_mb:.0f} MB")
            check_hygiene(docker, tag, service)
            exercise(docker, service, tag, figures, args.kustomization)
            results.append(figures)
    args.results.write_text(json.dumps([f.__dict__ for f in results], indent=2))
    for f in results:
        print(
            f"e2e-image {f.example} ({f.auth_mode}): image {f.image_bytes / 1e6:.0f} MB, "
            f"build {f.build_s:.0f} s, cold start {f.cold_start_s:.2f} s, "
            f"SIGTERM to exit {f.stop_s:.2f} s, {f.predictions_logged} rows logged",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    # CI cancels with SIGTERM: exit through the finally blocks that stop the daemon.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        raise SystemExit(main())
    except E2EError as error:
        print(f"e2e-image FAILED: {error}", file=sys.stderr, flush=True)
        raise SystemExit(1) from None
