"""The journal is verified before it is trusted (issue 9, "Why" 6, 7, 10; "What to build" 2, 4, 5).

- records a plan uses come from a verified chain, or the run stops naming the broken line;
- `journal verify --head HASH` catches a journal cut short or re-chained after a forged line;
- records are keyed by org: a tenant name journalled for another org is refused, never merged;
- one writer per (org, journal): a second holder is refused, or waits `--wait-lock` seconds;
- `journal verify DIR` and a line `[1,2]` are one-line errors, exit 1.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from pathlib import Path

import pytest

from remediator.errors import VerifyError
from remediator.journal import GENESIS, Journal, read_records, tenant_lock, tenant_records, verify
from remediator.locks import LockBusy
from tests.e2e.harness import cli

ACME = "https://acme.okta.com"


def _journal(tmp_path: Path, n: int = 5, org_url: str = ACME, tenant: str = "acme") -> Path:
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    for i in range(n):
        journal.append({"type": "change", "tenant": tenant, "org_url": org_url, "org_id": "00o1",
                        "result": "applied", "request_id": f"req{i}"})
    return path


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def _rechain(lines: list[str], start: int) -> list[str]:
    """Recompute every `prev` from line index `start` on: what a forger who knows the format does."""
    out = list(lines)
    for i in range(start, len(out)):
        record = json.loads(out[i])
        record["prev"] = hashlib.sha256(out[i - 1].encode()).hexdigest() if i else GENESIS
        out[i] = json.dumps(record, sort_keys=True, separators=(",", ":"))
    return out


# --- head ----------------------------------------------------------------------------------------
def test_verify_reports_the_head_and_checks_it(tmp_path: Path) -> None:
    path = _journal(tmp_path)
    head = verify(path).head
    assert head == hashlib.sha256(_lines(path)[-1].encode()).hexdigest()
    assert verify(path, head=head).records == 5
    Journal(path).append({"type": "ack", "tenant": "acme", "step": "s", "by": "kim"})
    assert verify(path, head=head).records == 6  # a journal that grew still contains the head kept earlier


def test_a_truncated_journal_fails_its_head(tmp_path: Path) -> None:
    path = _journal(tmp_path)
    head = verify(path).head
    path.write_text("\n".join(_lines(path)[:3]) + "\n")
    verify(path)  # the shorter chain is still a valid chain...
    with pytest.raises(VerifyError, match="head"):
        verify(path, head=head)  # ...but not the one whose head was kept elsewhere


def test_a_rechained_forgery_fails_its_head(tmp_path: Path) -> None:
    path = _journal(tmp_path)
    head = verify(path).head
    lines = _lines(path)
    forged = json.loads(lines[2])
    forged["result"] = "failed"
    lines[2] = json.dumps(forged, sort_keys=True, separators=(",", ":"))
    path.write_text("\n".join(_rechain(lines, 2)) + "\n")
    verify(path)
    with pytest.raises(VerifyError, match="head"):
        verify(path, head=head)


def test_cli_prints_the_head_and_checks_it(tmp_path: Path) -> None:
    path = _journal(tmp_path)
    head = verify(path).head
    result = cli("journal", "verify", path)
    assert result.exit_code == 0 and f"head {head}" in result.output
    assert cli("journal", "verify", path, "--head", head).exit_code == 0
    path.write_text("\n".join(_lines(path)[:2]) + "\n")
    result = cli("journal", "verify", path, "--head", head)
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "Traceback" not in result.output and "head" in result.output


def test_cli_refuses_a_malformed_head(tmp_path: Path) -> None:
    path = _journal(tmp_path)
    result = cli("journal", "verify", path, "--head", "xyz")
    assert result.exit_code == 1 and "--head" in result.output


# --- one-line errors -----------------------------------------------------------------------------
def test_verify_a_directory_is_one_line(tmp_path: Path) -> None:
    result = cli("journal", "verify", tmp_path)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("error: ") and result.output.count("\n") == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize("line", ["[1,2]", "7", "null", '"text"'])
def test_a_line_that_is_not_an_object_is_one_line(tmp_path: Path, line: str) -> None:
    path = _journal(tmp_path, 2)
    path.write_text(path.read_text() + line + "\n")
    result = cli("journal", "verify", path)
    assert result.exit_code == 1, result.output
    assert f"{path}:3" in result.output and result.output.count("\n") == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    with pytest.raises(VerifyError, match=":3: "):
        tenant_records(path, "acme", org_url=ACME)


# --- records used by a run are verified ----------------------------------------------------------
def test_a_forged_record_with_a_broken_chain_is_refused(tmp_path: Path) -> None:
    path = _journal(tmp_path, 3)
    forged = {"type": "change", "tenant": "acme", "org_url": ACME, "result": "applied", "prev": "0" * 64,
              "time": "2022-03-22T12:00:00.000Z", "request_id": "attacker",
              "change": {"kind": "okta.admin_sessions", "action": "clear_sessions", "target": {"id": "00u1"}}}
    path.write_text(path.read_text() + json.dumps(forged) + "\n")
    with pytest.raises(VerifyError, match=r"journal.jsonl:4: chain broken"):
        tenant_records(path, "acme", org_url=ACME)


def test_read_records_verifies_too(tmp_path: Path) -> None:
    path = _journal(tmp_path, 3)
    lines = _lines(path)
    del lines[1]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(VerifyError, match=":2: chain broken"):
        list(read_records(path))


# --- keyed by org --------------------------------------------------------------------------------
def test_records_are_keyed_by_org_not_name(tmp_path: Path) -> None:
    path = _journal(tmp_path, 2, tenant="acme")
    Journal(path).append({"type": "change", "tenant": "acme-renamed", "org_url": ACME + "/", "org_id": "00o1",
                          "result": "applied", "request_id": "req9"})
    Journal(path).append({"type": "change", "tenant": "beta", "org_url": "https://beta.okta.com",
                          "org_id": "00o2", "result": "applied", "request_id": "beta1"})
    mine = tenant_records(path, "acme", org_url="https://ACME.okta.com", org_id="00o1")
    assert [r["request_id"] for r in mine] == ["req0", "req1", "req9"]


@pytest.mark.parametrize("other", [("http://127.0.0.1:8080", "00o1"), (ACME, "00oOTHER")])
def test_a_name_journalled_for_another_org_is_refused(tmp_path: Path, other: tuple[str, str]) -> None:
    """A rehearsal named like production, run in the same directory: its records are not production's."""
    path = tmp_path / "journal.jsonl"
    Journal(path).append({"type": "change", "tenant": "acme", "org_url": other[0], "org_id": other[1],
                          "result": "applied", "request_id": "rehearsal"})
    with pytest.raises(VerifyError, match="another org"):
        tenant_records(path, "acme", org_url=ACME, org_id="00o1")


# --- one writer per (org, journal) ----------------------------------------------------------------
async def test_one_writer_per_org_and_journal(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    async with tenant_lock(path, ACME, "00o1"):
        with pytest.raises(LockBusy, match="another remediator"):
            async with tenant_lock(path, ACME.upper(), "00o1"):
                pass
        async with tenant_lock(path, "https://beta.okta.com", "00o2"):  # another org: its own lock
            pass
        async with tenant_lock(tmp_path / "other.jsonl", ACME, "00o1"):  # another journal: its own lock
            pass
    async with tenant_lock(path, ACME, "00o1"):  # released at the end
        pass


async def test_a_second_writer_waits_then_gives_up(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    said: list[str] = []
    async with tenant_lock(path, ACME, "00o1"):
        with pytest.raises(LockBusy, match=r"still held after 0\.2 s"):
            async with tenant_lock(path, ACME, "00o1", wait=0.2, notify=said.append):
                pass
    assert said and "waiting" in said[0]


async def test_a_second_writer_waits_and_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    first = tenant_lock(path, ACME, "00o1")
    await first.__aenter__()
    released = threading.Event()

    def release(message: str) -> None:  # the holder finishes as soon as the second writer says it waits
        asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(_done()))

    async def _done() -> None:
        await first.__aexit__(None, None, None)
        released.set()

    async with tenant_lock(path, ACME, "00o1", wait=30, notify=release):
        assert released.is_set()


def test_a_report_shows_the_records_of_its_org(tmp_path: Path) -> None:
    from remediator.journal import of_tenant

    path = _journal(tmp_path, 2)
    Journal(path).append({"type": "change", "tenant": "acme", "org_url": "http://127.0.0.1:9", "result": "applied",
                          "request_id": "rehearsal"})
    Journal(path).append({"type": "ack", "tenant": "acme", "step": "s", "by": "kim"})
    shown = of_tenant(read_records(path), "acme", ACME + "/")
    assert [r.get("request_id", r["type"]) for r in shown] == ["req0", "req1", "ack"]


def test_ack_records_the_org_and_never_extends_a_broken_journal(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.e2e.harness import write_inventory

    inventory = write_inventory(tmp_path / "inv.yml", {"acme": {"org_url": ACME, "token": "t"}}, monkeypatch)
    path = tmp_path / "journal.jsonl"
    assert cli("ack", "acme", "s1", "--by", "kim", "--journal", path, "-i", inventory).exit_code == 0
    (record,) = read_records(path)
    assert record["org_url"] == ACME
    assert tenant_records(path, "acme", org_url=ACME, org_id="00o1") == (record,)
    with pytest.raises(VerifyError, match="another org"):
        tenant_records(path, "acme", org_url="http://127.0.0.1:9")
    assert cli("ack", "beta", "s1", "--by", "kim", "--journal", path, "-i", inventory).exit_code == 1
    assert cli("ack", "acme", "s1b", "--by", "kim", "--journal", path).exit_code == 0
    path.write_text(path.read_text().replace('"by":"kim"', '"by":"eve"', 1))  # the first line: chain broken
    before = path.read_text()
    result = cli("ack", "acme", "s2", "--by", "kim", "--journal", path)
    assert result.exit_code == 1 and path.read_text() == before
