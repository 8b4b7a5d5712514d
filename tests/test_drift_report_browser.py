"""The generated PSI job's HTML report, opened in a real headless Chromium.

It must load with no console error and without a single request leaving the page (no CDN, no
font, no beacon), and show what an on-call engineer needs. The screenshot is kept under
build/test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from architect_k import REPO_ROOT
from tests.browser import CHROMIUM, chromium
from tests.conftest import run_in_service

ARTIFACTS = REPO_ROOT / "build" / "test-artifacts"

pytestmark = pytest.mark.slow


def _shift(reference: Path, current: Path) -> None:
    """The reference rows with charges up 30 %, an unseen contract type and missing tenures."""
    with reference.open(newline="") as source, current.open("w", newline="") as target:
        reader = csv.DictReader(source)
        writer = csv.DictWriter(target, fieldnames=reader.fieldnames or [])
        writer.writeheader()
        for number, row in enumerate(reader):
            row["monthly_charges"] = str(float(row["monthly_charges"]) * 1.3)
            if number % 10 == 0:
                row["contract"] = "lifetime"
            if number % 7 == 0:
                row["tenure_months"] = ""
            writer.writerow(row)


def test_the_detector_sees_console_errors_and_outside_requests(tmp_path: Path) -> None:
    # The checks below would pass vacuously if the recorder heard nothing: show it hears both.
    leaky = tmp_path / "leaky.html"
    leaky.write_text(
        '<!DOCTYPE html><html><body><img src="http://192.0.2.1/pixel.png">'
        '<script>console.error("boom")</script></body></html>'
    )
    with chromium() as page:
        load = page.load(leaky)
    assert "http://192.0.2.1/pixel.png" in load.outside_requests
    assert any("boom" in message for message in load.console_errors)


def test_the_drift_report_loads_offline_without_errors(
    tmp_path: Path, rendered_examples: dict[str, Path]
) -> None:
    assert Path(CHROMIUM).exists(), "install Debian's chromium: apt-get install -y chromium"
    service = rendered_examples["churn"]
    (tmp_path / "data").mkdir()
    reference, current = tmp_path / "data" / "reference.csv", tmp_path / "data" / "current.csv"
    made = run_in_service(
        service, "churn_service.sample_data", "--rows", "3000", "--out", str(reference)
    )
    assert made.returncode == 0, made.stderr
    _shift(reference, current)
    html = tmp_path / "reports" / "psi.html"
    # Relative paths, run where they resolve, as `make psi` does: the page names them as given.
    result = subprocess.run(
        [sys.executable, "-m", "churn_service.monitoring.psi", "--reference",
         "data/reference.csv", "--current", "data/current.csv", "--output", "reports/psi.json",
         "--html", "reports/psi.html"],
        cwd=tmp_path, env={"PYTHONPATH": str(service / "src")}, capture_output=True, text=True,
        timeout=300, check=False,
    )
    assert result.returncode == 2, result.stderr  # the 30 % shift pages
    assert "rows counted" not in result.stderr  # not a terminal and under the log interval
    text = html.read_text()
    # Sorted by PSI, worst first; the shifted charges lead, the untouched ticket count trails.
    assert text.index("monthly_charges: PSI") < text.index("support_tickets: PSI")
    assert "&lt;unseen&gt;" in text and "&lt;missing&gt;" in text
    with chromium() as page:
        load = page.load(html)
    assert load.console_errors == []
    assert load.outside_requests == []
    assert load.screenshot.startswith(b"\x89PNG")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / "drift-report.png"
    screenshot.write_bytes(load.screenshot)
    shutil.copy(html, ARTIFACTS / "drift-report.html")
    print(f"drift report screenshot: {screenshot}")
