"""A rendered service trains against a real MLflow tracking server backed by PostgreSQL.

The generated service defaults to an embedded sqlite store; teams point MLFLOW_TRACKING_URI at a
shared server. This starts PostgreSQL (initdb/pg_ctl on PATH) and `mlflow server` on loopback,
trains the session-rendered churn example against it, and reads back what a team would look for:
the run with its params and metrics, the registered version with its model-card tags (R10), the
artifacts in the server's artifact store, the model card generated from the server, a second
version from a second run, and a weak model refused by the gate without a new version.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import mlflow
import psycopg
import pytest
from mlflow.tracking import MlflowClient

from architect_k.render import training_args

pytestmark = pytest.mark.slow

EXAMPLE = "churn"
MODEL_NAME = "churn-service"
PACKAGE = "churn_service"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def as_postgres_user(*command: str) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as `nobody`."""
    return ["runuser", "-u", "nobody", "--", *command] if os.geteuid() == 0 else list(command)


def wait_for(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> None:
    """Poll `url` until it answers 200; fail with the server's log if it dies or never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{url} exited {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.25)
    pytest.fail(f"{url} did not answer within {timeout} s:\n{log.read_text()[-3000:]}")


@dataclass(frozen=True)
class TrackingServer:
    """The running server and where it keeps artifacts."""

    uri: str
    artifacts: Path


@pytest.fixture(scope="module")
def tracking_server() -> Iterator[TrackingServer]:
    """PostgreSQL plus `mlflow server` on 127.0.0.1, torn down after the module."""
    # Outside pytest's 0700 base temp: the `nobody` user must reach the data directory.
    root = Path(tempfile.mkdtemp(prefix="ak-tracking-"))
    root.chmod(0o755)
    data, sockets = root / "pgdata", root / "sockets"
    for directory in (data, sockets):
        directory.mkdir()
        if os.geteuid() == 0:
            shutil.chown(directory, "nobody")
    pg_port = free_port()
    subprocess.run(
        as_postgres_user("initdb", "-D", str(data), "-U", "mlflow", "-A", "trust", "-E", "UTF8"),
        check=True,
        capture_output=True,
    )
    pg_log = sockets / "postgres.log"
    subprocess.run(
        as_postgres_user(
            "pg_ctl",
            "-D",
            str(data),
            "-l",
            str(pg_log),
            "-w",
            "start",
            "-o",
            f"-c listen_addresses=127.0.0.1 -p {pg_port} -k {sockets}",
        ),
        check=True,
        capture_output=True,
    )
    server: subprocess.Popen[bytes] | None = None
    try:
        with psycopg.connect(
            f"postgresql://mlflow@127.0.0.1:{pg_port}/postgres", autocommit=True
        ) as connection:
            connection.execute("CREATE DATABASE mlflow")
        port, artifacts = free_port(), root / "artifacts"
        server_log = root / "mlflow-server.log"
        with server_log.open("wb") as sink:
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "mlflow",
                    "server",
                    "--backend-store-uri",
                    f"postgresql+psycopg://mlflow@127.0.0.1:{pg_port}/mlflow",
                    "--artifacts-destination",
                    str(artifacts),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--workers",
                    "1",
                ],
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        wait_for(f"http://127.0.0.1:{port}/health", server, server_log)
        yield TrackingServer(f"http://127.0.0.1:{port}", artifacts)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        subprocess.run(
            as_postgres_user("pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop"),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def service(rendered_examples: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the session-rendered churn service with its sample data."""
    path = tmp_path_factory.mktemp("tracked") / EXAMPLE
    shutil.copytree(rendered_examples[EXAMPLE], path)
    train_in(path, "", "-m", f"{PACKAGE}.sample_data", "--rows", "3000", "--out", "data/sample.csv")
    return path


def train_in(service: Path, tracking_uri: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`python ARGS` in the service with this venv, its src/ and MLFLOW_TRACKING_URI."""
    env = {"PYTHONPATH": str(service / "src"), "PATH": str(Path(sys.executable).parent)}
    if tracking_uri:
        env["MLFLOW_TRACKING_URI"] = tracking_uri
    return subprocess.run(
        [sys.executable, *args],
        cwd=service,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def train(service: Path, server: TrackingServer, *extra: str) -> subprocess.CompletedProcess[str]:
    return train_in(service, server.uri, *training_args(PACKAGE, *extra))


def test_training_registers_on_the_server_and_the_gate_refuses_a_weak_model(
    service: Path, tracking_server: TrackingServer, tmp_path: Path
) -> None:
    started = time.monotonic()
    first = train(service, tracking_server)
    assert first.returncode == 0, first.stdout + first.stderr
    client = MlflowClient(tracking_server.uri)

    (version,) = client.search_model_versions(f"name='{MODEL_NAME}'")
    assert version.version == "1" and version.run_id is not None
    run = client.get_run(version.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.tags["gate"] == "passed"
    assert {"seed", "epochs"} <= set(run.data.params), run.data.params
    assert run.data.metrics["test_roc_auc"] >= 0.75
    # R10: the registered version carries the model-card facts the card is written from.
    card_tags = {key for key in version.tags if key.startswith("model_card.")}
    assert {
        "model_card.compliance_rules",
        "model_card.dataset_version",
        "model_card.metric",
        "model_card.seed",
        "model_card.schema_version",
    } <= card_tags
    assert version.tags["model_card.metric"].startswith("roc_auc=")
    assert "R10" in version.tags["model_card.compliance_rules"]
    assert "reports" in {entry.path for entry in client.list_artifacts(run.info.run_id)}
    model = Path(
        mlflow.artifacts.download_artifacts(
            client.get_model_version_download_uri(MODEL_NAME, "1"),
            dst_path=str(tmp_path),
            tracking_uri=tracking_server.uri,
        )
    )
    assert (model / "MLmodel").is_file()
    # The server, not the client, stores the artifacts (--artifacts-destination).
    stored = {path.name for path in tracking_server.artifacts.rglob("*") if path.is_file()}
    assert {"MLmodel", "evaluation.json", "metadata.json"} <= stored

    card = service / "model_card.md"
    generated = train_in(
        service,
        tracking_server.uri,
        "scripts/generate_model_card.py",
        "--registered-model",
        MODEL_NAME,
        "--output",
        str(card),
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    text = card.read_text(encoding="utf-8")
    assert run.info.run_id in text
    assert f"{run.data.metrics['test_roc_auc']:.4f}"[:5] in text

    second = train(service, tracking_server, "--seed", "7")
    assert second.returncode == 0, second.stdout + second.stderr
    versions = client.search_model_versions(f"name='{MODEL_NAME}'")
    assert sorted(v.version for v in versions) == ["1", "2"]

    weak = train(service, tracking_server, "--epochs", "1", "--metric-threshold", "0.9999")
    assert weak.returncode == 1, weak.stdout + weak.stderr
    assert "Nothing was registered" in weak.stderr
    assert len(client.search_model_versions(f"name='{MODEL_NAME}'")) == 2
    experiment = client.get_experiment(run.info.experiment_id)
    (refused,) = client.search_runs(
        [experiment.experiment_id], "tags.gate = 'failed'", max_results=5
    )
    assert refused.info.run_id not in {v.run_id for v in versions}
    print(
        f"tracking server: 3 trainings, 2 versions, 1 refusal in {time.monotonic() - started:.1f} s"
    )
