"""Benchmark: `architect-k audit` vs checkov on the same generated tree, in the same run.

    PYTHONPATH=src python bench/audit/run.py [--copies 200] [--keep DIR]

Generates COPIES service folders of 10 realistic files each (Kubernetes manifests, Dockerfile,
Python training/serving code, lock, CI workflow), times the full R1-R12 audit over the whole
tree, then times checkov (`checkov -d DIR --framework kubernetes,dockerfile --skip-download`)
and our audit over the Kubernetes/Dockerfile subset alone. checkov is taken from $CHECKOV, else
from PATH; when it is absent the script says so and reports our timings only. No network.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

from architect_k.audit import run_audit

DIGEST = "sha256:3f1c9e0d6b2a4c8e9f7a1b3d5c7e9f0a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d0e"

K8S = {
    "k8s/base/deployment.yaml": """apiVersion: apps/v1
kind: Deployment
metadata:
  name: svc{i}-inference
  labels: {app: svc{i}, component: inference}
spec:
  replicas: 2
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: 0, maxSurge: 1}
  selector:
    matchLabels: {app: svc{i}}
  template:
    metadata:
      labels: {app: svc{i}}
    spec:
      securityContext: {runAsNonRoot: true}
      containers:
        - name: api
          image: ghcr.io/acme/svc{i}
          ports: [{containerPort: 8000}]
          env:
            - name: MLFLOW_TRACKING_PASSWORD
              valueFrom: {secretKeyRef: {name: mlflow, key: password}}
          resources:
            requests: {cpu: 100m, memory: 256Mi}
            limits: {cpu: 500m, memory: 512Mi}
          readinessProbe: {httpGet: {path: /healthz, port: 8000}}
          livenessProbe: {httpGet: {path: /healthz, port: 8000}}
""",
    "k8s/base/psi-cronjob.yaml": """apiVersion: batch/v1
kind: CronJob
metadata:
  name: svc{i}-psi-monitor
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: psi
              image: ghcr.io/acme/svc{i}
              args: ["python", "-m", "svc.monitor", "--threshold", "0.2"]
""",
    "k8s/base/service.yaml": """apiVersion: v1
kind: Service
metadata:
  name: svc{i}
spec:
  selector: {app: svc{i}}
  ports: [{port: 80, targetPort: 8000}]
""",
    "k8s/base/kustomization.yaml": f"""apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [deployment.yaml, psi-cronjob.yaml, service.yaml]
images:
  - name: ghcr.io/acme/svc{{i}}
    digest: {DIGEST}
""",
    "Dockerfile": f"""FROM python:3.11-slim@{DIGEST}
WORKDIR /app
COPY requirements.lock .
RUN pip install --no-cache-dir -r requirements.lock
COPY src/ src/
RUN pip install --no-cache-dir --no-deps .
USER 1000
CMD ["uvicorn", "svc.serve:app", "--host", "0.0.0.0"]
""",
}
CODE = {
    "src/svc{i}/train.py": """import random

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from .schema import Schema


def main() -> None:
    random.seed(0)
    np.random.seed(0)
    df = Schema.validate(pd.read_csv("data.csv"))
    X_tr, X_te, y_tr, y_te = train_test_split(df.drop(columns="y"), df["y"])
    scaler = StandardScaler().fit(X_tr)
    LogisticRegression().fit(scaler.transform(X_tr), y_tr)


if __name__ == "__main__":
    main()
""",
    "src/svc{i}/schema.py": """import pandera as pa

Schema = pa.DataFrameSchema({"a": pa.Column(float), "y": pa.Column(int)})
""",
    "src/svc{i}/monitor.py": """import numpy as np


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    e = np.histogram(expected, 10)[0] / len(expected) + 1e-6
    a = np.histogram(actual, 10)[0] / len(actual) + 1e-6
    return float(np.sum((a - e) * np.log(a / e)))
""",
    "requirements.lock": "numpy==1.26.4\npandas==2.2.3\nscikit-learn==1.5.2\npandera==0.20.4\n",
}


def generate(root: Path, copies: int, with_code: bool) -> int:
    """Write ``copies`` service folders under ``root``; returns the number of files."""
    count = 0
    files = {**K8S, **(CODE if with_code else {})}
    for i in range(copies):
        for rel, template in files.items():
            path = root / f"svc{i}" / rel.format(i=i)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(template.replace("{i}", str(i)))
            count += 1
    return count


def time_audit(root: Path, rules: list[str] | None) -> tuple[float, int]:
    start = time.perf_counter()
    result = run_audit(root, rules=rules)
    return time.perf_counter() - start, len(result.findings)


def time_checkov(exe: str, root: Path) -> float:
    env = {**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "TRUE"}
    start = time.perf_counter()
    subprocess.run(
        [
            exe,
            "-d",
            str(root),
            "--framework",
            "kubernetes,dockerfile",
            "--skip-download",
            "--quiet",
            "--compact",
            "-o",
            "json",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=200)
    parser.add_argument("--keep", type=Path, default=None, help="keep the generated trees here")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="architect-k-bench-"))
    full, subset = base / "full", base / "k8s-docker"
    for tree in (full, subset):
        shutil.rmtree(tree, ignore_errors=True)
        tree.mkdir(parents=True)
    n_full = generate(full, args.copies, with_code=True)
    n_subset = generate(subset, args.copies, with_code=False)

    t_full, f_full = time_audit(full, None)
    print(f"architect-k audit, all rules, {n_full} files: {t_full:.2f}s ({f_full} findings)")
    t_sub, f_sub = time_audit(subset, ["R2", "R5", "R6", "R11", "R12"])
    print(
        f"architect-k audit, K8s/Dockerfile rules, {n_subset} files: {t_sub:.2f}s "
        f"({f_sub} findings)"
    )

    exe = os.environ.get("CHECKOV") or shutil.which("checkov")
    if not exe:
        print(
            "checkov not found: set CHECKOV=/path/to/checkov or put it on PATH "
            "(pip install checkov in a throwaway venv); no ratio computed."
        )
    else:
        t_ck = time_checkov(exe, subset)
        print(f"checkov ({exe}), kubernetes+dockerfile, {n_subset} files: {t_ck:.2f}s")
        print(
            f"speed-up on the same subset: {t_ck / t_sub:.1f}x (target >= 10x); "
            f"full R1-R12 audit vs checkov subset: {t_ck / t_full:.1f}x"
        )
    if args.keep is None:
        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
