"""Benchmark: the rendered service vs a bare ASGI handler and `mlflow models serve`, one model.

    PYTHONPATH=src python bench/serving/run.py [--duration 10] [--keep DIR]

Renders examples/churn.yml, trains it (the generated `train` module on 2,000 synthetic rows),
saves the exported bundle as an MLflow pyfunc (bench/serving/mlflow_model.py), then on
127.0.0.1 starts each server in turn (one worker each, MLflow's default), measures its cold
start (process start -> our /ready 200, MLflow's /health 200) and drives it at concurrency 8
and 32 with the same load generator: wrk when it is on PATH, else the rendered repo's own
scripts/loadtest.py. All get single-record requests; ours with a valid bearer token.

The third contestant, bench/serving/bare_asgi.py, serves the same model through the same
Predictor under the same uvicorn, with no auth, validation, metrics, log or transport limits:
ours / bare is what all of those cost.

Targets (ratios in the same run): at concurrency 32 our throughput >= 0.8x the bare handler's
and >= 8x MLflow's, our p99 <= 1/3 of MLflow's; our cold start <= 1/2 of MLflow's; at
concurrency 8 our p50 < 12 ms and p99 < 45 ms. The last line printed is one JSON object
(concurrency 32 figures).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from architect_k.procutil import stop  # noqa: E402
from architect_k.render import render_example, training_args  # noqa: E402

PACKAGE = "churn_service"
KEYS = ("rps", "p50_ms", "p99_ms", "errors", "cold_start_s")


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_200(url: str, process: subprocess.Popen[bytes], timeout_s: float = 120) -> float:
    """Seconds from now until `url` answers 200 (the caller adds the time since spawn)."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout_s:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before {url} was up")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return time.perf_counter() - start
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.01)
    raise TimeoutError(url)


def prepare(repo: Path, python: str) -> tuple[Path, dict[str, str]]:
    """Render, train and export the churn service; returns the bundle and a base environment."""
    render_example(ROOT / "examples" / "churn.yml", repo)
    env = {
        **os.environ,
        "PYTHONPATH": str(repo / "src"),
        "MLFLOW_TRACKING_URI": f"sqlite:///{repo}/mlflow.db",
    }

    def run(*args: str) -> None:
        subprocess.run([python, *args], cwd=repo, env=env, check=True, capture_output=True)

    run("-m", f"{PACKAGE}.sample_data", "--rows", "2000", "--out", "data/sample.csv")
    run(*training_args(PACKAGE))
    return repo / "artifacts" / "model", env


def save_pyfunc(bundle: Path, destination: Path, env: dict[str, str], python: str) -> None:
    """Save the bundle as an MLflow pyfunc model directory (a servable model URI)."""
    script = (
        "import sys, mlflow.pyfunc\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from mlflow_model import BundleModel\n"
        f"mlflow.pyfunc.save_model({str(destination)!r}, python_model=BundleModel({PACKAGE!r}),\n"
        f"    artifacts={{'model_dir': {str(bundle)!r}}},\n"
        f"    code_paths=[{str(Path(__file__).parent / 'mlflow_model.py')!r}])\n"
    )
    subprocess.run([python, "-c", script], env=env, check=True, capture_output=True)


def drive_wrk(
    url: str, body: bytes, headers: dict[str, str], concurrency: int, duration: float
) -> dict[str, Any]:
    lua = Path(tempfile.mkstemp(suffix=".lua")[1])
    lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(body.decode())}"]
    lines += [
        f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}"
        for k, v in {"Content-Type": "application/json", **headers}.items()
    ]
    lua.write_text("\n".join(lines) + "\n")
    # Warm-up first (JIT-free, but caches, the allocator and the token cache settle).
    subprocess.run(
        ["wrk", "-t1", f"-c{concurrency}", "-d2s", "-s", str(lua), url],
        capture_output=True,
        check=True,
    )
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{concurrency}",
            f"-d{int(duration)}s",
            "--latency",
            "--timeout",
            "10s",
            "-s",
            str(lua),
            url,
        ],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    lua.unlink()

    def latency(label: str) -> float:
        match = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        assert match, out
        return float(match[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match[2]]

    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    errors = (int(non_2xx[1]) if non_2xx else 0) + (
        sum(map(int, socket_errors.groups())) if socket_errors else 0
    )
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert rps, out
    return {
        "rps": float(rps[1]),
        "p50_ms": latency("50%"),
        "p99_ms": latency("99%"),
        "errors": errors,
    }


def drive_python(
    repo: Path,
    python: str,
    env: dict[str, str],
    url: str,
    body: bytes,
    headers: dict[str, str],
    concurrency: int,
    duration: float,
) -> dict[str, Any]:
    body_file = Path(tempfile.mkstemp(suffix=".json")[1])
    body_file.write_bytes(body)
    args = [
        "scripts/loadtest.py",
        "-c",
        str(concurrency),
        "-d",
        str(duration),
        "--warmup",
        "2",
        "drive",
        "--url",
        url,
        "--body-file",
        str(body_file),
        "--json",
    ]
    for name, value in headers.items():
        args += ["--header", f"{name}: {value}"]
    out = subprocess.run(
        [python, *args], cwd=repo, env=env, check=True, capture_output=True, text=True
    ).stdout
    body_file.unlink()
    result = json.loads(out.strip().splitlines()[-1])
    return {key: result[key] for key in ("rps", "p50_ms", "p99_ms", "errors")}


def measure(
    name: str,
    command: list[str],
    env: dict[str, str],
    ready_url: str,
    predict_url: str,
    body: bytes,
    headers: dict[str, str],
    args: argparse.Namespace,
    repo: Path,
    python: str,
) -> dict[int, dict[str, Any]]:
    log_path = repo / f"{name}-server.log"
    started = time.perf_counter()
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, cwd=repo, stdout=log, stderr=log)
    try:
        try:
            wait_200(ready_url, process)
        except (RuntimeError, TimeoutError):
            sys.stderr.write(log_path.read_text(errors="replace")[-4000:])
            raise
        cold_start = round(time.perf_counter() - started, 2)
        results = {}
        for concurrency in (8, 32):
            if shutil.which("wrk") and not args.python_loadgen:
                figures = drive_wrk(predict_url, body, headers, concurrency, args.duration)
            else:
                figures = drive_python(
                    repo, python, env, predict_url, body, headers, concurrency, args.duration
                )
            results[concurrency] = {**figures, "cold_start_s": cold_start}
            print(f"{name:7s} c={concurrency:<3d} {json.dumps(results[concurrency])}", flush=True)
        return results
    finally:
        stop(process, timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per load run")
    parser.add_argument("--keep", type=Path, help="render into this (new) directory and keep it")
    parser.add_argument(
        "--python-loadgen", action="store_true", help="use loadtest.py even if wrk is installed"
    )
    args = parser.parse_args()
    python = sys.executable
    workdir = args.keep or Path(tempfile.mkdtemp(prefix="bench-serving-")) / "churn"
    try:
        bundle, env = prepare(workdir, python)
        pyfunc = workdir / "mlflow-pyfunc"
        save_pyfunc(bundle, pyfunc, env, python)
        sys.path.insert(0, str(workdir / "scripts"))
        import dev_credentials  # type: ignore[import-not-found]

        pair = dev_credentials.write_signing_pair(workdir / ".dev-keys")
        token = dev_credentials.mint(pair.signing_key)
        record = {
            "tenure_months": 14,
            "monthly_charges": 70.35,
            "support_tickets": 1,
            "contract": "one-year",
            "paperless_billing": True,
        }
        tool = "wrk" if shutil.which("wrk") and not args.python_loadgen else "scripts/loadtest.py"
        print(
            f"load generator: {tool}; {args.duration:.0f} s per run after a 2 s warm-up; "
            "one worker per server",
            flush=True,
        )

        port = free_port()
        ours_env = {
            **env,
            "PORT": str(port),
            "HOST": "127.0.0.1",
            "WEB_CONCURRENCY": "1",
            "MODEL_DIR": str(bundle),
            "PREDICTION_LOG_DIR": str(workdir / "logs" / "predictions"),
            "LOG_LEVEL": "warning",
            "JWT_PUBLIC_KEY_FILE": str(pair.public_key),
            "JWT_ISSUER": dev_credentials.DEV_ISSUER,
            "JWT_AUDIENCE": dev_credentials.DEV_AUDIENCE,
        }
        ours = measure(
            "ours",
            [python, "-m", f"{PACKAGE}.serve"],
            ours_env,
            f"http://127.0.0.1:{port}/ready",
            f"http://127.0.0.1:{port}/v1/predict",
            json.dumps(record).encode(),
            {"Authorization": f"Bearer {token}"},
            args,
            workdir,
            python,
        )

        port = free_port()
        bare = measure(
            "bare",
            [
                python,
                "-m",
                "uvicorn",
                "bare_asgi:app",
                "--app-dir",
                str(Path(__file__).parent),
                "--loop",
                "uvloop",
                "--http",
                "httptools",
                "--no-access-log",
                "--log-level",
                "warning",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            {**env, "MODEL_DIR": str(bundle)},
            f"http://127.0.0.1:{port}/ready",
            f"http://127.0.0.1:{port}/v1/predict",
            json.dumps(record).encode(),
            {},
            args,
            workdir,
            python,
        )

        port = free_port()
        # `mlflow models serve` execs `uvicorn` by name: the virtualenv's bin must be on PATH.
        mlflow_env = {**env, "PATH": f"{Path(python).parent}{os.pathsep}{env.get('PATH', '')}"}
        mlflow_bin = str(Path(python).with_name("mlflow"))
        mlflow = measure(
            "mlflow",
            [
                mlflow_bin,
                "models",
                "serve",
                "-m",
                str(pyfunc),
                "--env-manager",
                "local",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
            ],
            mlflow_env,
            f"http://127.0.0.1:{port}/health",
            f"http://127.0.0.1:{port}/invocations",
            json.dumps({"dataframe_records": [record]}).encode(),
            {},
            args,
            workdir,
            python,
        )
    finally:
        if args.keep is None:
            shutil.rmtree(workdir.parent, ignore_errors=True)

    o8, o32, m32 = ours[8], ours[32], mlflow[32]
    checks = {
        "c=32 throughput >= 0.8x bare": o32["rps"] >= 0.8 * bare[32]["rps"],
        "c=32 throughput >= 8x mlflow": o32["rps"] >= 8 * m32["rps"],
        "c=32 p99 <= 1/3 mlflow": o32["p99_ms"] <= m32["p99_ms"] / 3,
        "cold start <= 1/2 mlflow": o32["cold_start_s"] <= m32["cold_start_s"] / 2,
        "c=8 p50 < 12 ms": o8["p50_ms"] < 12,
        "c=8 p99 < 45 ms": o8["p99_ms"] < 45,
        "0 errors": o8["errors"] == o32["errors"] == 0,
    }
    for concurrency in (8, 32):
        print(
            f"ours / bare at c={concurrency}: throughput "
            f"{ours[concurrency]['rps'] / bare[concurrency]['rps']:.2f}x, "
            f"p99 {ours[concurrency]['p99_ms'] / bare[concurrency]['p99_ms']:.2f}x"
        )
    print(
        f"ours / mlflow at c=32: throughput {o32['rps'] / m32['rps']:.2f}x, "
        f"p99 {o32['p99_ms'] / m32['p99_ms']:.3f}x, "
        f"cold start {o32['cold_start_s'] / m32['cold_start_s']:.2f}x"
    )
    for check, passed in checks.items():
        print(f"{'PASS' if passed else 'FAIL'} {check}")
    print(
        json.dumps(
            {
                "concurrency": 32,
                "ours": {k: o32[k] for k in KEYS},
                "bare": {k: bare[32][k] for k in KEYS},
                "mlflow": {k: m32[k] for k in KEYS},
            }
        )
    )
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
