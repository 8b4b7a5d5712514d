"""The martensite phase encoding: deterministic hypervectors and sensible similarity."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import architect_k
from architect_k.ledger import chain, vsa
from architect_k.ledger.cli import main
from architect_k.ledger.match import rank

LEDGER = architect_k.SCAR_LEDGER_DIR / "scars.jsonl"
SCARS = list(chain.current(chain.load(LEDGER)).values())
OOM = "pytorch→DDP→gradient_accumulation_steps=1→batch_size=512"
SRC = Path(architect_k.__file__).resolve().parents[1]

_ENCODE = """
import hashlib, json, sys
from architect_k.ledger import vsa
contexts = json.loads(sys.argv[1])
print(json.dumps({
    c: [vsa.phase_encoding(c), hashlib.sha256(vsa.to_bytes(vsa.encode(c))).hexdigest()]
    for c in contexts
}))
"""


def test_encoding_is_identical_in_another_process() -> None:
    contexts = [scar.context_vector for scar in SCARS] + ["a->b->c", "solo", "k=v→k=w"]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
        # A different str-hash seed: the encoding must not depend on Python's hash().
        "PYTHONHASHSEED": "12345",
    }
    out = subprocess.run(
        [sys.executable, "-c", _ENCODE, json.dumps(contexts)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    theirs = json.loads(out)
    for context in contexts:
        mine = [
            vsa.phase_encoding(context),
            hashlib.sha256(vsa.to_bytes(vsa.encode(context))).hexdigest(),
        ]
        assert theirs[context] == mine, context


def test_vectors_are_bipolar_of_the_right_size_and_balanced() -> None:
    vector = vsa.token_vector("pytorch")
    assert 0 <= vector < 1 << vsa.DIMENSION
    ones = vector.bit_count()
    assert abs(ones - vsa.DIMENSION / 2) < 4 * (vsa.DIMENSION**0.5) / 2
    assert abs(vsa.similarity(vector, vsa.token_vector("ddp"))) < 0.05
    assert vsa.similarity(vector, vector) == 1.0
    assert vsa.similarity(vector, vector ^ ((1 << vsa.DIMENSION) - 1)) == -1.0


def test_permutation_is_a_rotation() -> None:
    vector = vsa.token_vector("x")
    assert vsa.permute(vsa.permute(vector, 7), vsa.DIMENSION - 7) == vector
    assert vsa.permute(1 << (vsa.DIMENSION - 1), 1) == 1
    assert abs(vsa.similarity(vector, vsa.permute(vector, 1))) < 0.05


@pytest.mark.parametrize("count", [1, 2, 3, 4, 7, 8])
def test_bundle_is_the_bitwise_majority(count: int) -> None:
    vectors = [vsa.token_vector(f"t{count}-{i}") for i in range(count)]
    tie = vsa.token_vector("tie")
    bundled = vsa.bundle(vectors, tie)
    for bit in range(0, vsa.DIMENSION, 37):
        ones = sum((v >> bit) & 1 for v in vectors)
        expected = 1 if 2 * ones > count else 0 if 2 * ones < count else (tie >> bit) & 1
        assert (bundled >> bit) & 1 == expected
    with pytest.raises(ValueError, match="zero"):
        vsa.bundle([], tie)


def test_tokens_accept_both_arrows_and_ignore_case() -> None:
    assert vsa.tokenize("PyTorch -> DDP→ batch size=512") == ["pytorch", "ddp", "batch_size=512"]
    assert vsa.encode("pytorch->DDP->gradient_accumulation_steps=1->batch_size=512") == vsa.encode(
        OOM
    )
    assert vsa.normalize_context(" pytorch -> DDP ") == "pytorch→DDP"
    with pytest.raises(ValueError, match="no tokens"):
        vsa.encode(" → ")


def test_order_and_values_grade_the_similarity() -> None:
    exact = vsa.similarity(vsa.encode(OOM), vsa.encode(OOM))
    other_value = vsa.similarity(
        vsa.encode(OOM), vsa.encode("pytorch→DDP→gradient_accumulation_steps=8→batch_size=512")
    )
    reversed_ = vsa.similarity(
        vsa.encode(OOM), vsa.encode("batch_size=512→gradient_accumulation_steps=1→DDP→pytorch")
    )
    half = vsa.similarity(vsa.encode(OOM), vsa.encode("pytorch→DDP"))
    unrelated = vsa.similarity(vsa.encode(OOM), vsa.encode("docker→image_tag=latest"))
    assert exact == 1.0
    assert 1.0 > other_value > half > unrelated
    assert 1.0 > reversed_ > unrelated
    assert abs(unrelated) < 0.05


def test_every_scar_matches_its_own_context_best() -> None:
    for scar in SCARS:
        best = rank(scar.context_vector, SCARS)[0]
        assert best.scar.scar_id == scar.scar_id
        assert best.similarity == 1.0


def test_partial_oom_context_ranks_sca_0103_first() -> None:
    ranked = rank("pytorch->DDP->gradient_accumulation_steps=4->cuda", SCARS)
    assert ranked[0].scar.scar_id == "SCA-0103"
    assert ranked[0].similarity > 2 * ranked[1].similarity
    similarities = [m.similarity for m in ranked]
    assert similarities == sorted(similarities, reverse=True)


def test_match_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["match", OOM, "--ledger", str(LEDGER), "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert len(result) == 10
    assert result[0] == {
        "scar_id": "SCA-0103",
        "similarity": 1.0,
        "deflection_radius": 0.78,
        "rule": "R9",
    }
    assert set(result[1]) == {"scar_id", "similarity", "deflection_radius", "rule"}


def test_match_cli_text_and_bad_context(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["match", "sklearn->deploy", "--top", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and out[0].startswith("SCA-0201")
    assert main(["match", "→"]) == 2
    assert "no tokens" in capsys.readouterr().err
