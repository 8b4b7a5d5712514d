"""The Scar Ledger on disk: an append-only, hash-chained JSONL file.

Every line is one entry written in canonical form (fields in schema order, UTF-8). Each entry
carries ``prev_hash`` (the ``entry_hash`` of the line before; 64 zeros on line 1) and its own
``entry_hash`` (SHA-256 of the entry's canonical JSON without ``entry_hash``), so an edited,
deleted, inserted or reordered line breaks the chain at a line number we can name.

Writers serialise on ``fcntl.flock`` of the ledger file itself. Debridement replaces the file
atomically, so a writer that waited on the old inode re-opens the path and locks again instead
of appending to a file that is no longer the ledger. Each entry is written with one ``O_APPEND``
write and fsynced; if the write fails part-way the file is truncated back, so no half line stays.

One limit is structural: dropping the last entries leaves a valid shorter chain. Pin a head
(``verify(..., expect=HASH)``, e.g. the head recorded at the last commit) to catch truncation.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from architect_k.fsutil import write_atomic
from architect_k.ledger.errors import (
    InvalidScarError,
    LedgerTamperedError,
    LedgerUnreadableError,
    Problem,
)

# Scar and current are re-exported: the ledger's readers take the record from here.
from architect_k.ledger.scar import SEALED_FIELDS, format_timestamp, ordered
from architect_k.ledger.scar import Scar as Scar
from architect_k.ledger.scar import current as current
from architect_k.ledger.schema import validate_entry
from architect_k.ledger.vsa import normalize_context, phase_encoding

GENESIS = "0" * 64
_TAIL_CHUNK = 65536


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of reading a ledger: its entries up to the first problem, if any."""

    entries: tuple[Scar, ...]
    problem: Problem | None
    lines: int

    @property
    def ok(self) -> bool:
        """True when every line is intact and the chain holds."""
        return self.problem is None

    @property
    def head(self) -> str:
        """``entry_hash`` of the last good entry (64 zeros for an empty ledger)."""
        return self.entries[-1].entry_hash if self.entries else GENESIS


def canonical_bytes(data: Mapping[str, Any]) -> bytes:
    """Canonical JSON of a mapping: sorted keys, no whitespace, UTF-8."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def compute_entry_hash(entry: Mapping[str, Any]) -> str:
    """SHA-256 over the entry's canonical JSON without its own ``entry_hash``."""
    body = {k: v for k, v in entry.items() if k != "entry_hash"}
    return hashlib.sha256(canonical_bytes(body)).hexdigest()


def serialize(entry: Mapping[str, Any]) -> bytes:
    """The exact bytes of an entry's line, newline included."""
    return (json.dumps(ordered(entry), ensure_ascii=False) + "\n").encode("utf-8")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # A repeated key would let a line show one value and mean another.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"key {key!r} appears twice")
        result[key] = value
    return result


def parse_json(text: str) -> Any:
    """``json.loads`` that refuses NaN/Infinity and repeated keys."""
    return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicate_keys)


def seal(fields: Mapping[str, Any], prev_hash: str) -> dict[str, Any]:
    """Complete caller fields into an entry: normalise the context, compute the encoding,
    chain it to ``prev_hash`` and hash it. Raises ``InvalidScarError`` on bad fields."""
    body = {k: v for k, v in fields.items() if k not in SEALED_FIELDS}
    errors = validate_entry(body, sealed=False)
    context = body.get("context_vector")
    if isinstance(context, str):
        body["context_vector"] = normalize_context(context)
        errors = validate_entry(body, sealed=False)
    if errors:
        raise InvalidScarError("; ".join(errors))
    body["martensite_phase_encoding"] = phase_encoding(body["context_vector"])
    body["prev_hash"] = prev_hash
    body["entry_hash"] = compute_entry_hash(body)
    return ordered(body)


def _split_lines(data: bytes) -> list[bytes]:
    lines = data.split(b"\n")
    # A file that ends in a newline leaves one empty tail; anything else there is a cut line.
    if lines[-1] == b"":
        lines.pop()
        return [line + b"\n" for line in lines]
    return [line + b"\n" for line in lines[:-1]] + [lines[-1]]


def _claimed_hashes(lines: Sequence[bytes]) -> dict[str, int]:
    claimed: dict[str, int] = {}
    for number, raw in enumerate(lines, start=1):
        try:
            entry = parse_json(raw.decode("utf-8"))
        except ValueError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("entry_hash"), str):
            claimed.setdefault(entry["entry_hash"], number)
    return claimed


def _chain_problem(number: int, prev_hash: str, lines: Sequence[bytes]) -> Problem:
    claimed = _claimed_hashes(lines)
    target = claimed.get(prev_hash)
    if target is not None and target > number:
        return Problem(
            number,
            "reordered",
            f"this entry belongs after line {target}, not after line {number - 1}",
        )
    if number == 1:
        return Problem(
            1, "deleted", "the first line does not start the chain: the entries before it are gone"
        )
    if prev_hash == GENESIS or (target is not None and target < number - 1):
        after = "the start of the ledger" if prev_hash == GENESIS else f"line {target}"
        return Problem(
            number,
            "inserted",
            f"this entry chains to {after}: the line(s) between were inserted or duplicated",
        )
    return Problem(
        number,
        "deleted",
        f"prev_hash {prev_hash[:12]}… names an entry that is not in the ledger: the entry "
        f"between line {number - 1} and line {number} was deleted (or line {number - 1} "
        "was rewritten with a new hash)",
    )


def verify_bytes(
    data: bytes, *, base: Sequence[Scar] = (), expect: str | None = None
) -> VerifyResult:
    """Check every line of a ledger's bytes and the chain between them.

    ``base`` is the ledger this one overlays (a repository's local ledger overlays the shared
    one): a local entry may supersede an entry of the base. ``expect`` is an ``entry_hash`` that
    must still be in the chain, which is how truncation of the tail is caught.
    """
    lines = _split_lines(data) if data else []
    base_hashes = {scar.entry_hash: scar.scar_id for scar in base}
    entries: list[Scar] = []
    latest: dict[str, Scar] = {}
    prev = GENESIS

    def fail(problem: Problem) -> VerifyResult:
        return VerifyResult(tuple(entries), problem, len(lines))

    for number, raw in enumerate(lines, start=1):
        if not raw.endswith(b"\n"):
            return fail(Problem(number, "partial", "no newline at the end: a write was cut off"))
        if not raw.strip():
            return fail(Problem(number, "bad JSON", "the line is blank"))
        try:
            obj = parse_json(raw.decode("utf-8"))
        except UnicodeDecodeError as error:
            return fail(Problem(number, "bad JSON", f"not UTF-8 ({error.reason})"))
        except ValueError as error:
            return fail(Problem(number, "bad JSON", str(error)))
        errors = validate_entry(obj)
        if errors:
            scar_id = obj.get("scar_id") if isinstance(obj, dict) else None
            detail = "; ".join(errors)
            if isinstance(scar_id, str):
                detail = f"{scar_id}: {detail}"
            return fail(Problem(number, "schema violation", detail))
        assert isinstance(obj, dict)  # validate_entry refuses anything else
        if compute_entry_hash(obj) != obj["entry_hash"]:
            return fail(Problem(number, "edited", "the content no longer matches its entry_hash"))
        if phase_encoding(obj["context_vector"]) != obj["martensite_phase_encoding"]:
            return fail(
                Problem(
                    number,
                    "edited",
                    "martensite_phase_encoding is not the encoding of its context_vector",
                )
            )
        if serialize(obj) != raw:
            return fail(
                Problem(number, "edited", "the line is not in canonical form (bytes changed)")
            )
        if obj["prev_hash"] != prev:
            return fail(_chain_problem(number, obj["prev_hash"], lines))
        scar = Scar.from_dict(obj, line=number)
        earlier = latest.get(scar.scar_id)
        if earlier is not None and scar.supersedes != earlier.entry_hash:
            return fail(
                Problem(
                    number,
                    "duplicate",
                    f"{scar.scar_id} is already on line {earlier.line} and this entry does not "
                    "supersede that line's entry_hash",
                )
            )
        external = base_hashes.get(scar.supersedes or "")
        if earlier is None and scar.supersedes is not None and external != scar.scar_id:
            return fail(
                Problem(
                    number,
                    "dangling supersedes",
                    f"supersedes {scar.supersedes[:12]}…, which is no earlier entry of "
                    f"{scar.scar_id}",
                )
            )
        latest[scar.scar_id] = scar
        entries.append(scar)
        prev = scar.entry_hash
    if expect is not None and expect not in {scar.entry_hash for scar in entries}:
        return fail(
            Problem(
                len(lines) + 1,
                "truncated",
                f"the pinned entry {expect[:12]}… is no longer in the chain: the tail was "
                "removed or rewritten",
            )
        )
    return VerifyResult(tuple(entries), None, len(lines))


def _read(path: Path) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as error:
        raise LedgerUnreadableError(f"{path}: cannot open ledger ({error.strerror})") from error
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        return _read_all(fd)
    except OSError as error:
        raise LedgerUnreadableError(f"{path}: cannot read ledger ({error.strerror})") from error
    finally:
        os.close(fd)


def _read_all(fd: int) -> bytes:
    size = os.fstat(fd).st_size
    chunks: list[bytes] = []
    offset = 0
    while offset < size:
        chunk = os.pread(fd, size - offset, offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def verify(path: Path, *, base: Sequence[Scar] = (), expect: str | None = None) -> VerifyResult:
    """Read and check a ledger file; raises ``LedgerUnreadableError`` if it cannot be read."""
    return verify_bytes(_read(path), base=base, expect=expect)


def load(path: Path, *, base: Sequence[Scar] = (), missing_ok: bool = False) -> list[Scar]:
    """Every entry of an intact ledger; raises ``LedgerTamperedError`` at the first problem."""
    if missing_ok and not path.exists():
        return []
    result = verify(path, base=base)
    if result.problem is not None:
        raise LedgerTamperedError(path, result.problem)
    return list(result.entries)


@contextmanager
def locked(path: Path) -> Iterator[int]:
    """Hold an exclusive lock on the ledger file, creating it if needed; yields the fd."""
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as error:
            raise LedgerUnreadableError(
                f"{path}: cannot open ledger for writing ({error.strerror})"
            ) from error
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            held = os.fstat(fd)
            try:
                now = os.stat(path)
                same = (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino)
            except FileNotFoundError:
                same = False
        except BaseException:
            os.close(fd)
            raise
        if same:
            break
        # The ledger was atomically replaced while we waited: lock the file that is there now.
        os.close(fd)
    try:
        yield fd
    finally:
        os.close(fd)


def _tail_hash(fd: int, path: Path) -> str:
    size = os.fstat(fd).st_size
    if size == 0:
        return GENESIS
    if os.pread(fd, 1, size - 1) != b"\n":
        raise LedgerTamperedError(
            path, Problem(0, "partial", "the last line has no newline: a write was cut off")
        )
    start = size - 1
    buffer = b""
    while True:
        begin = max(0, start - _TAIL_CHUNK)
        buffer = os.pread(fd, start - begin, begin) + buffer
        cut = buffer.rfind(b"\n")
        if cut >= 0 or begin == 0:
            last = buffer[cut + 1 :]
            break
        start = begin
    try:
        entry = parse_json(last.decode("utf-8"))
    except ValueError as error:
        raise LedgerTamperedError(path, Problem(0, "bad JSON", f"last line: {error}")) from error
    if not isinstance(entry, dict) or validate_entry(entry):
        raise LedgerTamperedError(path, Problem(0, "schema violation", "the last line"))
    if compute_entry_hash(entry) != entry["entry_hash"]:
        raise LedgerTamperedError(
            path, Problem(0, "edited", "the last line no longer matches its entry_hash")
        )
    digest: str = entry["entry_hash"]
    return digest


def _write(fd: int, data: bytes) -> None:
    before = os.fstat(fd).st_size
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    except OSError:
        # We hold the lock, so nobody else wrote after `before`: cut our partial line off.
        os.ftruncate(fd, before)
        raise


def append_entry(path: Path, fields: Mapping[str, Any]) -> Scar:
    """Seal ``fields`` onto the tail of the chain and append them under the lock.

    This is the fast path: it reads only the last line. The caller guarantees that
    ``scar_id`` is new or that ``supersedes`` names its latest entry (``mint`` and ``revise``
    check that against the whole ledger); ``verify`` reports any breach as a duplicate.
    """
    with locked(path) as fd:
        entry = seal(fields, _tail_hash(fd, path))
        _write(fd, serialize(entry))
    return Scar.from_dict(entry)


def _locked_entries(fd: int, path: Path, base: Sequence[Scar]) -> list[Scar]:
    result = verify_bytes(_read_all(fd), base=base)
    if result.problem is not None:
        raise LedgerTamperedError(path, result.problem)
    return list(result.entries)


def _now_stamp(now: datetime | None) -> str:
    return format_timestamp(now if now is not None else datetime.now(UTC))


def next_scar_id(entries: Sequence[Scar], prefix: str) -> str:
    """The id after the highest ``prefix``-numbered id in ``entries`` (4 digits at least)."""
    highest = 0
    for scar in entries:
        tail = scar.scar_id[len(prefix) :]
        if scar.scar_id.startswith(prefix) and tail.isdigit():
            highest = max(highest, int(tail))
    return f"{prefix}{highest + 1:04d}"


def mint(
    path: Path,
    fields: Mapping[str, Any],
    *,
    prefix: str = "SCA-",
    reserved: Sequence[Scar] = (),
    now: datetime | None = None,
) -> Scar:
    """Append a new scar after checking the whole ledger under the lock.

    A missing ``scar_id`` gets the next id with ``prefix`` (ids in ``reserved`` count too, so a
    local ledger never reuses an id of the ledger it overlays); a missing ``timestamp_utc`` gets
    ``now``. A supplied ``martensite_phase_encoding`` must equal the computed one.
    """
    data = dict(fields)
    if "supersedes" in data:
        raise InvalidScarError("supersedes: a new scar supersedes nothing (revise a scar instead)")
    claimed = data.pop("martensite_phase_encoding", None)
    context = data.get("context_vector")
    if claimed is not None and isinstance(context, str) and normalize_context(context):
        computed = phase_encoding(normalize_context(context))
        if claimed != computed:
            raise InvalidScarError(
                f"martensite_phase_encoding: {claimed!r} is not the encoding of the context "
                f"({computed}); leave it out and the ledger computes it"
            )
    data.setdefault("timestamp_utc", _now_stamp(now))
    # Refuse bad fields before the lock creates a ledger file that would then stay empty.
    seal({"scar_id": f"{prefix}0000", **data}, GENESIS)
    with locked(path) as fd:
        entries = _locked_entries(fd, path, reserved)
        taken = {scar.scar_id for scar in entries} | {scar.scar_id for scar in reserved}
        if "scar_id" not in data:
            data["scar_id"] = next_scar_id([*entries, *reserved], prefix)
        elif data["scar_id"] in taken:
            raise InvalidScarError(f"scar_id: {data['scar_id']} is already in the ledger")
        prev = entries[-1].entry_hash if entries else GENESIS
        entry = seal(data, prev)
        _write(fd, serialize(entry))
    return Scar.from_dict(entry, line=len(entries) + 1)


def revise(
    path: Path,
    scar_id: str,
    update: Callable[[Scar], Mapping[str, Any]],
    *,
    base: Sequence[Scar] = (),
    now: datetime | None = None,
) -> tuple[Scar, Scar]:
    """Append a new entry for ``scar_id`` that supersedes its latest one; returns (old, new).

    The latest entry is looked up under the lock, in this ledger first and then in ``base``, and
    ``update`` computes the changed fields from it, so concurrent revisions never lose one.
    """
    with locked(path) as fd:
        entries = _locked_entries(fd, path, base)
        previous = current(entries).get(scar_id) or current(list(base)).get(scar_id)
        if previous is None:
            raise InvalidScarError(f"scar_id: {scar_id} is in neither ledger")
        data = previous.unsealed()
        data.update(update(previous))
        data["scar_id"] = scar_id
        data["timestamp_utc"] = _now_stamp(now)
        data["supersedes"] = previous.entry_hash
        prev = entries[-1].entry_hash if entries else GENESIS
        entry = seal(data, prev)
        _write(fd, serialize(entry))
    return previous, Scar.from_dict(entry, line=len(entries) + 1)


def rewrite(
    path: Path,
    choose: Callable[[list[Scar]], list[Scar]],
    *,
    base: Sequence[Scar] = (),
    dry_run: bool = False,
) -> tuple[list[Scar], list[Scar]]:
    """Replace the ledger with a new chain of the entries ``choose`` keeps; returns (old, new).

    The old ledger must verify first. The new chain is written to a temporary file beside the
    ledger, fsynced, and renamed over it while the lock is held, so readers see the old file or
    the new one and never a mixture. ``supersedes`` links inside the file follow their entries.
    """
    with locked(path) as fd:
        old = _locked_entries(fd, path, base)
        kept = choose(list(old))
        renamed: dict[str, str] = {}
        new: list[Scar] = []
        prev = GENESIS
        for scar in kept:
            data = scar.unsealed()
            if scar.supersedes is not None:
                data["supersedes"] = renamed.get(scar.supersedes, scar.supersedes)
            entry = seal(data, prev)
            renamed[scar.entry_hash] = entry["entry_hash"]
            new.append(Scar.from_dict(entry, line=len(new) + 1))
            prev = entry["entry_hash"]
        if dry_run or [s.entry_hash for s in new] == [s.entry_hash for s in old]:
            return old, new
        # `locked` checked that `path` is still the file we hold, so its mode is the ledger's.
        write_atomic(path, b"".join(serialize(scar.fields()) for scar in new))
    return old, new
