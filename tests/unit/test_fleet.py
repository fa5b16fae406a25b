"""A fleet's list without a database: the URL file, shards, the --url-file setting, and the
runner's bookkeeping (one failure stops none, results in list order, passwords redacted)."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemactl._config import resolve
from schemactl._errors import ConfigurationError, LockTimeoutError
from schemactl._fleet import parse_shard, read_url_file, run_many, shard

pytestmark = pytest.mark.anyio


def test_url_file_skips_comments_and_blank_lines_and_repeats(tmp_path: Path) -> None:
    path = tmp_path / "urls.txt"
    path.write_text(
        "\ufeff# tenants of eu-1\n\n  sqlite:a.db  \n# sqlite:commented.db\n"
        "postgresql://app:p#w@db/b\n\t\nsqlite:a.db\n",
        encoding="utf-8",
    )
    # a '#' inside a line is part of the URL (a password may hold one)
    assert read_url_file(path) == ["sqlite:a.db", "postgresql://app:p#w@db/b"]


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_a_url_file_listing_nothing_is_an_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "urls.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError, match="lists no database URL"):
        read_url_file(path)


def test_a_missing_url_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read the URL file"):
        read_url_file(tmp_path / "missing.txt")


@given(
    urls=st.lists(st.text(alphabet="abcdef", min_size=1, max_size=3), max_size=60),
    n=st.integers(min_value=1, max_value=12),
)
def test_shards_are_disjoint_and_cover_the_list(urls: list[str], n: int) -> None:
    parts = [shard(urls, k, n) for k in range(1, n + 1)]
    seen = [url for part in parts for url in part]
    assert len(seen) == len(set(seen))  # disjoint, and no URL twice in one part
    assert set(seen) == set(urls)  # covering
    assert max(map(len, parts)) - min(map(len, parts)) <= 1  # balanced
    assert parts == [shard(list(urls), k, n) for k in range(1, n + 1)]  # deterministic


def test_shard_takes_every_nth_url_from_the_kth() -> None:
    urls = [f"sqlite:{i}.db" for i in range(7)]
    assert shard(urls, 1, 3) == ["sqlite:0.db", "sqlite:3.db", "sqlite:6.db"]
    assert shard(urls, 3, 3) == ["sqlite:2.db", "sqlite:5.db"]


@pytest.mark.parametrize(
    ("text", "expected"), [("1/1", (1, 1)), ("3/8", (3, 8)), (" 2 / 4 ", (2, 4))]
)
def test_parse_shard(text: str, expected: tuple[int, int]) -> None:
    assert parse_shard(text) == expected


@pytest.mark.parametrize("text", ["0/4", "5/4", "1/0", "1", "a/b", "-1/4", "1/4/2", ""])
def test_bad_shards_are_refused(text: str) -> None:
    with pytest.raises(ConfigurationError, match="--shard"):
        parse_shard(text)


def test_url_file_from_environment_and_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.schemactl]\nurl_file = "fleet.txt"\n', encoding="utf-8"
    )
    assert resolve(environ={}, cwd=tmp_path).url_file == "fleet.txt"
    environ = {"SCHEMACTL_URL_FILE": "env.txt"}
    assert resolve(environ=environ, cwd=tmp_path).url_file == "env.txt"
    assert resolve(url_file="flag.txt", environ=environ, cwd=tmp_path).url_file == "flag.txt"
    # a --url flag beats a URL file of a lower layer
    assert resolve(url="sqlite:a.db", environ=environ, cwd=tmp_path).url_file is None
    with pytest.raises(ConfigurationError, match="--url or --url-file, not both"):
        resolve(url="sqlite:a.db", url_file="flag.txt", environ={}, cwd=tmp_path)


async def test_one_failure_stops_none_and_results_keep_the_list_order() -> None:
    finished: list[str] = []

    async def operation(url: str) -> int:
        await anyio.sleep(0.01 * (5 - int(url[-1])))  # the last finishes first
        if url.endswith("2"):
            raise LockTimeoutError(f"{url} is\nlocked")
        if url.endswith("3"):
            raise KeyError("bug")
        return int(url[-1])

    urls = [f"postgresql://app:pw{i}@db/t{i}" for i in range(5)]
    result = await run_many(
        operation, urls, concurrency=5, on_done=lambda d: finished.append(d.url)
    )
    assert [d.url for d in result.databases] == [f"postgresql://app:***@db/t{i}" for i in range(5)]
    assert finished[0].endswith("t4")  # reported as each finished, not at the end
    assert [d.ok for d in result.databases] == [True, True, False, False, True]
    assert [d.result for d in result.databases] == [0, 1, None, None, 4]
    broken = result.databases[2]
    assert broken.error == "postgresql://app:***@db/t2 is; locked"  # one line, no password
    assert (broken.exit_code, result.databases[3].exit_code) == (7, 70)
    assert result.databases[3].error == "internal error: KeyError: 'bug'"
    assert (result.ok, result.failed, result.exit_code) == (3, 2, 7)  # the first failure's


async def test_concurrency_bounds_how_many_run_at_once() -> None:
    running = peak = 0

    async def operation(url: str) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await anyio.sleep(0.01)
        running -= 1

    await run_many(operation, [f"sqlite:{i}.db" for i in range(12)], concurrency=3)
    assert peak == 3
    with pytest.raises(ConfigurationError, match="concurrency"):
        await run_many(operation, ["sqlite:a.db"], concurrency=0)


async def test_canaries_run_first_and_a_failed_one_stops_the_rest() -> None:
    started: list[str] = []
    finished: list[str] = []

    async def operation(url: str) -> str:
        started.append(url)
        await anyio.sleep(0.01)
        if url == "sqlite:bad.db":
            raise LockTimeoutError("locked")
        return url

    good = [f"sqlite:{i}.db" for i in range(6)]
    result = await run_many(operation, good, concurrency=4, canary=2)
    assert result.failed == 0
    assert set(started[:2]) == set(good[:2])  # the others waited for both canaries
    assert [d.result for d in result.databases] == good

    started.clear()
    urls = ["sqlite:0.db", "sqlite:bad.db", *good[2:]]
    result = await run_many(
        operation, urls, concurrency=4, canary=2, on_done=lambda d: finished.append(d.url)
    )
    assert sorted(started) == sorted(urls[:2])  # no other one ran
    assert sorted(finished) == sorted(urls)  # each reported, the skipped ones too
    assert [d.skipped for d in result.databases] == [False, False, True, True, True, True]
    assert result.databases[2].error == "not run: the canary sqlite:bad.db failed"
    assert (result.ok, result.failed, result.exit_code) == (1, 5, 7)
    with pytest.raises(ConfigurationError, match="canary"):
        await run_many(operation, good, canary=-1)
