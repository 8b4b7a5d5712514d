"""Image size: the generated multi-stage Dockerfile vs a naive single-stage one, same run.

`make bench-image` renders and trains examples/churn.yml, then builds both Dockerfiles from the
same build context, base image and package index with the e2e-image machinery (a private Docker
daemon, the debootstrapped stand-in base, the local index). It prints both sizes and their ratio
as one JSON line and writes it to bench/results/image.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import e2e_image as e2e

from architect_k import REPO_ROOT

HERE = Path(__file__).resolve().parent


def main() -> int:
    """Build both images, print and save the sizes."""
    example = REPO_ROOT / "examples" / "churn.yml"
    service = e2e.render_and_train(example, e2e.WORK / "bench-churn")
    sizes: dict[str, int] = {}
    seconds: dict[str, float] = {}
    with (
        e2e.private_daemon(e2e.CACHE / "docker-root-bench") as docker,
        e2e.local_index(service.path) as index,
    ):
        e2e.import_base(docker, e2e.base_images(service.path / "Dockerfile"))
        for name, dockerfile in (
            ("generated", None),
            ("naive_single_stage", HERE / "Dockerfile.naive"),
        ):
            tag = f"ak-bench/{name}:test"
            seconds[name] = e2e.build_image(docker, service, tag, index, dockerfile)
            sizes[name] = e2e.image_bytes(docker, tag)
            e2e.log(f"{name}: {sizes[name] / 1e6:.0f} MB, built in {seconds[name]:.0f} s")
    figures = {
        "image_mb": {name: round(size / 1e6) for name, size in sizes.items()},
        "build_s": {name: round(s) for name, s in seconds.items()},
        "generated_over_naive": round(sizes["generated"] / sizes["naive_single_stage"], 3),
    }
    results = REPO_ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "image.json").write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
