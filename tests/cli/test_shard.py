"""`--shard K/N` (issue 13 point 6): a deterministic split of the inventory's tenants over N runners."""

from __future__ import annotations

import json
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from types import SimpleNamespace

import pytest

from remediator.errors import InputError
from remediator.sandbox import Sandbox
from remediator.shard import assign, in_shard, parse_shard
from tests.e2e.harness import cli, write_inventory, write_playbook


def _tenants(n: int, prefix: str = "t") -> list[SimpleNamespace]:
    return [SimpleNamespace(name=f"{prefix}{i:04d}") for i in range(n)]


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7])
def test_the_union_of_the_shards_is_the_inventory_with_no_tenant_twice(n: int) -> None:
    tenants = _tenants(300)
    shards = [in_shard(tenants, k, n) for k in range(1, n + 1)]
    names = [t.name for shard in shards for t in shard]
    assert sorted(names) == sorted(t.name for t in tenants)
    assert len(names) == len(set(names))
    for shard in shards:  # each shard keeps the inventory's order
        assert [t.name for t in shard] == sorted(t.name for t in shard)


def test_adding_tenants_moves_few_others() -> None:
    names = [t.name for t in _tenants(200)]
    before = assign(names, 4)
    after = assign([*names, *(t.name for t in _tenants(50, prefix="new"))], 4)
    moved = [n for n in names if after[n] != before[n]]
    assert len(moved) <= 10  # 5% at most (3 measured): each runner keeps almost all of its tenants
    one_more = assign([*names, "another"], 4)
    assert sum(one_more[n] != before[n] for n in names) <= 3


def test_a_fifth_runner_moves_about_what_it_takes() -> None:
    names = [t.name for t in _tenants(1000)]
    four, five = assign(names, 4), assign(names, 5)
    moved = [n for n in names if four[n] != five[n]]
    assert sum(1 for n in moved if five[n] == 5) == 200  # the new runner's full share
    assert len(moved) < 300


@pytest.mark.parametrize("count", [1, 5, 51, 2000])
def test_shards_differ_by_at_most_one_tenant(count: int) -> None:
    counts = Counter(assign([t.name for t in _tenants(count)], 4).values())
    sizes = [counts.get(k, 0) for k in range(1, 5)]
    assert sum(sizes) == count and max(sizes) - min(sizes) <= 1


@pytest.mark.parametrize("text", ["", "1", "0/4", "5/4", "1/0", "a/b", "-1/4", "1/4/2"])
def test_bad_shards_are_one_line_errors(text: str) -> None:
    with pytest.raises(InputError) as err:
        parse_shard(text)
    assert "--shard" in str(err.value) and "\n" not in str(err.value)


def test_plan_per_shard_covers_the_inventory_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    playbook = write_playbook(tmp_path / "p.yml", [{"name": "support off", "okta.support_access": {"enabled": False}}])
    with ExitStack() as stack:
        sandboxes = [stack.enter_context(Sandbox(scenario="lapsus-2022", users=40, seed=i)) for i in range(6)]
        tenants = {f"tenant-{i}": {"org_url": sb.org_url, "token": sb.token} for i, sb in enumerate(sandboxes)}
        inventory = write_inventory(tmp_path / "inv.yml", tenants, monkeypatch)
        seen: list[str] = []
        for k in range(1, 5):
            result = cli("plan", playbook, "-i", inventory, "--shard", f"{k}/4", "--json",
                         "--journal", tmp_path / "j.jsonl")
            assert result.exit_code == 0, result.output
            seen += [t["name"] for t in json.loads(result.stdout)["tenants"]]
        bad = cli("plan", playbook, "-i", inventory, "--shard", "5/4")
    assert sorted(seen) == sorted(tenants)
    assert bad.exit_code == 1 and "--shard" in bad.output and "Traceback" not in bad.output


def test_merge_of_the_shards_equals_the_plan_of_the_whole_inventory(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    playbook = write_playbook(tmp_path / "p.yml", [
        {"name": "support off", "okta.support_access": {"enabled": False}},
        {"name": "rogue idps", "okta.identity_providers": {"created_after": "2022-01-21T00:00:00Z"}},
    ])
    with ExitStack() as stack:
        sandboxes = [stack.enter_context(Sandbox(scenario="lapsus-2022", users=40, seed=i)) for i in range(5)]
        tenants = {f"t-{name}": {"org_url": sb.org_url, "token": sb.token}
                   for name, sb in zip("edcba", sandboxes, strict=True)}  # inventory order is not alphabetical
        inventory = write_inventory(tmp_path / "inv.yml", tenants, monkeypatch)
        common = ["-i", inventory, "--journal", tmp_path / "j.jsonl"]
        whole = cli("plan", playbook, *common, "--out", tmp_path / "whole.json")
        assert whole.exit_code == 0, whole.output
        parts = []
        for k in range(1, 5):
            assert cli("plan", playbook, *common, "--shard", f"{k}/4", "--out", tmp_path / f"{k}.json").exit_code == 0
            parts.append(tmp_path / f"{k}.json")
    merged = cli("merge", *parts, "-i", inventory, "--json", "--out", tmp_path / "merged.json",
                 "--report", tmp_path / "merged.html", "--detailed-exitcode")
    assert merged.exit_code == 2, merged.output  # changes pending in the merged plan
    got = json.loads(merged.stdout)
    want = json.loads((tmp_path / "whole.json").read_text())
    assert [t["name"] for t in got["tenants"]] == list(tenants)  # the inventory's order

    def comparable(doc: dict) -> list:
        return [{k: v for k, v in t.items()} for t in doc["tenants"]]

    assert comparable(got) == comparable(want)
    assert json.loads((tmp_path / "merged.json").read_text()) == got
    assert (tmp_path / "merged.html").read_text().count('<section class="tenant"') == 5

    twice = cli("merge", parts[0], parts[0])
    assert twice.exit_code == 1 and "is also in" in twice.output and "Traceback" not in twice.output
    other = tmp_path / "other.json"
    doc = json.loads(parts[1].read_text())
    doc["playbook"]["sha256"] = "0" * 64
    other.write_text(json.dumps(doc))
    mixed = cli("merge", parts[0], other)
    assert mixed.exit_code == 1 and "another playbook" in mixed.output
    assert cli("merge", tmp_path / "nope.json").exit_code == 1
