"""Evidence paths and identity are checked, never trusted (issue 9, "Why" 3, 5 and 8; "What to build" 2, 4, 6).

- the archive writes only to `<dir>/<tenant>` of the state's declared `dir`: a change whose target names
  another directory is refused, and so is a symlink on the way (the tenant directory, the root, a chunk);
- an evidence directory made for another org is refused with a clear error (plan, apply, hunt), never merged;
- one writer per evidence directory; a temporary file belongs to its process: another live process's
  temporary chunk is never deleted;
- a manifest that is not an object (`[]`) is a one-line error, exit 1.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from remediator import evidence
from remediator.errors import InputError, VerifyError
from remediator.evidence import TMP_PREFIX, clean_orphans, evidence_dir, evidence_lock, load_manifest
from remediator.kinds.system_log_archive import SystemLogArchive
from remediator.kinds.system_log_hunt import SystemLogHunt
from remediator.locks import LockBusy
from remediator.org import OrgIdentity
from remediator.plan import Change, Target
from tests.e2e.harness import cli
from tests.kinds.test_system_log_hunt import tenant
from tests.support import FakeClient, context, spread

NOW = "2022-03-22T12:00:00.000Z"
SINCE = "2022-03-22T00:00:00.000Z"
ACME = OrgIdentity(url="https://acme.okta.com", id="00oACME")


def _events() -> list[dict]:
    return spread("2022-03-22T01:00:00.000Z", 12, step_ms=60_000)


async def _plan(root: Path, *, org: OrgIdentity = ACME) -> tuple[SystemLogArchive, Change, object]:
    kind = SystemLogArchive("archive", {"since": SINCE, "until": "2022-03-22T10:00:00.000Z", "dir": str(root),
                                        "chunk_events": 5})
    ctx = context(FakeClient(events=_events(), now=NOW))
    ctx.org = org
    (change,) = [c for c in kind.diff(await kind.read(ctx)) if isinstance(c, Change)]
    return kind, change, ctx


def _retarget(change: Change, target: str) -> Change:
    return Change(state=change.state, kind=change.kind, action=change.action,
                  target=Target(change.target.type, target, change.target.label),
                  before=change.before, after=change.after, reason=change.reason)


# --- confinement -----------------------------------------------------------------------------------
def test_the_tenant_directory_is_under_the_declared_root(tmp_path: Path) -> None:
    assert evidence_dir(tmp_path / "ev", "acme") == tmp_path / "ev" / "acme"
    same = str(tmp_path / "ev" / "." / "acme")
    assert evidence_dir(tmp_path / "ev", "acme", claimed=same) == tmp_path / "ev" / "acme"
    for bad in ("..", ".", "a/b", ""):
        with pytest.raises(InputError):
            evidence_dir(tmp_path / "ev", bad)


async def test_an_edited_archive_target_is_refused(tmp_path: Path) -> None:
    victim = tmp_path / "elsewhere"
    victim.mkdir()
    (victim / "events-keep.jsonl").write_text("{}\n")
    kind, change, ctx = await _plan(tmp_path / "ev")
    for target in (victim, victim / "acme", tmp_path / "ev" / "beta", tmp_path / "ev" / "acme" / ".."):
        with pytest.raises(InputError, match="not the evidence directory"):
            await kind.apply(ctx, _retarget(change, str(target)))  # type: ignore[arg-type]
    assert sorted(p.name for p in victim.iterdir()) == ["events-keep.jsonl"]
    assert not (tmp_path / "ev" / "beta").exists()


async def test_a_symlinked_tenant_directory_is_refused(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "events-20220101T000000.000Z.jsonl.gz").write_bytes(b"not ours")
    (tmp_path / "ev").mkdir()
    (tmp_path / "ev" / "acme").symlink_to(victim)
    until = "2022-03-22T10:00:00.000Z"
    kind = SystemLogArchive("archive", {"since": SINCE, "until": until, "dir": str(tmp_path / "ev")})
    ctx = context(FakeClient(events=_events(), now=NOW))
    with pytest.raises(InputError, match="symlink"):
        await kind.read(ctx)
    change = Change(state="archive", kind=kind.name, action="archive",
                    target=Target("system_log", str(tmp_path / "ev" / "acme"), ""), before={"covered": None},
                    after={"covered": [SINCE, "2022-03-22T10:00:00.000Z"]}, reason="r")
    with pytest.raises(InputError, match="symlink"):
        await kind.apply(ctx, change)
    assert sorted(p.name for p in victim.iterdir()) == ["events-20220101T000000.000Z.jsonl.gz"]


async def test_a_symlinked_root_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "ev").symlink_to(real)
    with pytest.raises(InputError, match="symlink"):
        await _plan(tmp_path / "ev")


async def test_a_symlinked_chunk_or_manifest_is_never_followed(tmp_path: Path) -> None:
    kind, change, ctx = await _plan(tmp_path / "ev")
    await kind.apply(ctx, change)  # type: ignore[arg-type]
    d = tmp_path / "ev" / "acme"
    outside = tmp_path / "outside.json"
    outside.write_text("precious\n")
    chunk = load_manifest(d).chunks[0].file  # type: ignore[union-attr]
    (d / chunk).unlink()
    (d / chunk).symlink_to(outside)
    with pytest.raises(VerifyError, match="symlink"):
        evidence.verify_evidence(d)
    (d / "manifest.json").rename(d / "m.json")
    (d / "manifest.json").symlink_to(outside)
    with pytest.raises((InputError, VerifyError), match="symlink"):
        load_manifest(d)
    assert outside.read_text() == "precious\n"


# --- keyed by org ---------------------------------------------------------------------------------
async def test_an_archive_made_for_another_org_is_refused(tmp_path: Path) -> None:
    kind, change, ctx = await _plan(tmp_path / "ev", org=OrgIdentity(url="http://127.0.0.1:8080", id="00oACME"))
    await kind.apply(ctx, change)  # type: ignore[arg-type]  (a rehearsal on a snapshot: same id, other URL)
    assert load_manifest(tmp_path / "ev" / "acme").org_id == "00oACME"  # type: ignore[union-attr]
    with pytest.raises(InputError, match="another org"):
        await _plan(tmp_path / "ev")
    ctx.org = ACME
    with pytest.raises(InputError, match="another org"):
        await kind.apply(ctx, change)  # type: ignore[arg-type]
    hunt = SystemLogHunt("hunt", {"since": SINCE, "until": "2022-03-22T10:00:00.000Z", "rules": ["lapsus-2022"],
                                  "dir": str(tmp_path / "ev")})
    hunting = context(tenant(_events()))
    hunting.org = ACME
    with pytest.raises(InputError, match="another org"):
        await hunt.read(hunting)


async def test_verify_names_the_org(tmp_path: Path) -> None:
    kind, change, ctx = await _plan(tmp_path / "ev")
    await kind.apply(ctx, change)  # type: ignore[arg-type]
    (line,) = evidence.verify_evidence(tmp_path / "ev")
    assert "https://acme.okta.com (org id 00oACME)" in line


# --- one writer, temporary files of their process ----------------------------------------------------
async def test_one_writer_per_evidence_directory(tmp_path: Path) -> None:
    kind, change, ctx = await _plan(tmp_path / "ev")
    d = evidence_dir(tmp_path / "ev", "acme")
    async with evidence_lock(d):
        with pytest.raises(LockBusy, match="another remediator"):
            await kind.apply(ctx, change)  # type: ignore[arg-type]
    assert load_manifest(d) is None
    await kind.apply(ctx, change)  # type: ignore[arg-type]
    assert load_manifest(d) is not None


async def test_a_second_writer_waits_for_the_evidence_directory_with_wait_lock(tmp_path: Path) -> None:
    """`--wait-lock` covers the evidence directory too: a second writer (another journal sharing the
    directory) waits for the first instead of failing, and writes once the first is done."""
    kind, change, ctx = await _plan(tmp_path / "ev")
    d = evidence_dir(tmp_path / "ev", "acme")
    first = evidence_lock(d)
    await first.acquire()
    said: list[str] = []

    def first_finishes(message: str) -> None:  # told when the second writer starts waiting
        said.append(message)
        first.release()

    ctx.lock_wait, ctx.on_lock_wait = 30.0, first_finishes  # type: ignore[attr-defined]
    await kind.apply(ctx, change)  # type: ignore[arg-type]
    assert said and "waiting up to 30 s" in said[0] and "evidence directory" in said[0]
    assert load_manifest(d) is not None


async def test_a_second_writer_of_the_evidence_directory_gives_up_after_wait_lock(tmp_path: Path) -> None:
    kind, change, ctx = await _plan(tmp_path / "ev")
    d = evidence_dir(tmp_path / "ev", "acme")
    ctx.lock_wait = 0.1  # type: ignore[attr-defined]
    async with evidence_lock(d):
        with pytest.raises(LockBusy, match=r"still held after 0\.1 s"):
            await kind.apply(ctx, change)  # type: ignore[arg-type]
    assert load_manifest(d) is None


def test_a_live_process_keeps_its_temporary_files(tmp_path: Path) -> None:
    other = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        live = tmp_path / f"{TMP_PREFIX}events-20220322T010000.000Z.jsonl.gz.{other.pid}"
        live.write_bytes(b"being written")
        dead = tmp_path / f"{TMP_PREFIX}events-20220322T020000.000Z.jsonl.gz.{_dead_pid()}"
        dead.write_bytes(b"left by a kill")
        mine = tmp_path / f"{TMP_PREFIX}manifest.json.{os.getpid()}"
        mine.write_bytes(b"ours, from an aborted write")
        removed = clean_orphans(tmp_path, None)
        assert sorted(removed) == sorted([dead.name, mine.name])
        assert live.exists()
    finally:
        other.communicate(b"")


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def test_orphan_cleanup_never_deletes_through_a_symlink_or_a_directory(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x").write_text("keep")
    d = tmp_path / "acme"
    d.mkdir()
    (d / "events-20220101T000000.000Z.jsonl.gz").symlink_to(outside / "x")
    (d / "events-20220102T000000.000Z.jsonl").mkdir()
    assert clean_orphans(d, None) == []
    assert (outside / "x").read_text() == "keep"


# --- one-line errors -------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["[]", "7", '{"format": "remediator.evidence/1", "tenant": "acme", "chunks": 5}',
                                  '{"format": "remediator.evidence/1", "tenant": "acme", "chunks": [1]}',
                                  '{"format": "remediator.evidence/1", "tenant": "acme", "covered": [1, 2]}'])
def test_a_malformed_manifest_is_one_line(tmp_path: Path, text: str) -> None:
    d = tmp_path / "acme"
    d.mkdir()
    (d / "manifest.json").write_text(text)
    result = cli("evidence", "verify", tmp_path)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output and "manifest" in result.output


async def test_reading_the_archive_never_follows_a_symlinked_chunk(tmp_path: Path) -> None:
    """The hunt reads the archive: a chunk swapped for a symlink is an error, not someone else's file."""
    kind, change, ctx = await _plan(tmp_path / "ev")
    await kind.apply(ctx, change)  # type: ignore[arg-type]
    d = tmp_path / "ev" / "acme"
    manifest = load_manifest(d)
    assert manifest is not None and len(list(evidence.iter_archive_events(d, manifest))) == len(_events())
    chunk = manifest.chunks[0].file
    (d / chunk).rename(tmp_path / "moved.gz")
    (d / chunk).symlink_to(tmp_path / "moved.gz")
    with pytest.raises(VerifyError, match="symlink"):
        list(evidence.iter_archive_events(d, manifest))
