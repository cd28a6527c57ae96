"""The worker pool, in process: start, call, refuse, survive a killed worker, stop."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator

import pytest
import torch

from app.labs.two_moons import TwoMoonsParams
from app.live.pool import WorkerError, WorkerPool
from app.protocol.codec import decode

PARAMS = TwoMoonsParams(hidden=[3], grid_n=10, neuron_grid=8).model_dump()


@pytest.fixture(scope="module")
def pool() -> Iterator[WorkerPool]:
    """One started worker (futures are made per call, so any event loop can use it)."""
    started = WorkerPool(1)
    asyncio.run(started.start())
    yield started
    asyncio.run(started.stop())
    assert started._handles == []


def test_call_started_pool(pool: WorkerPool) -> None:
    async def scenario() -> None:
        index = pool.place()
        assert index == 0
        assert await pool.call(index, "ping") == "pong"
        built = await pool.call(index, "build", "run-a", "two-moons", PARAMS)
        assert [kind for kind, _ in built] == ["dataset", "frame"]
        assert decode(built[1][1]).step == 0
        ((kind, message),) = await pool.call(index, "advance", "run-a", 4)
        assert kind == "frame"
        assert decode(message).step == 4
        ((kind, message),) = await pool.call(index, "snapshot", "run-a")
        snapshot = decode(message)
        assert kind == "snapshot" == snapshot.type
        assert snapshot.step == 4
        assert snapshot.arrays["hidden.0.weight"].data.shape == (3, 2)
        state = torch.load(
            io.BytesIO(await pool.call(index, "weights", "run-a")), weights_only=True
        )
        assert state["hidden.0.weight"].numpy().tolist() == (
            snapshot.arrays["hidden.0.weight"].data.tolist()
        )
        # Requests run one at a time, in order, and answer their own futures.
        answers = await asyncio.gather(*(pool.call(index, "advance", "run-a", 1) for _ in range(5)))
        assert [decode(a[0][1]).step for a in answers] == [5, 6, 7, 8, 9]
        pool.release(index)

    asyncio.run(asyncio.wait_for(scenario(), 60))


def test_call_errors_keep_worker(pool: WorkerPool) -> None:
    async def scenario() -> None:
        with pytest.raises(WorkerError) as caught:
            await pool.call(0, "advance", "no-such-run", 1)
        assert caught.value.code == "no_run"
        await pool.call(0, "build", "r", "two-moons", PARAMS)
        with pytest.raises(WorkerError) as caught:
            await pool.call(0, "probe", "r", "predict", {"points": []})
        assert caught.value.code == "bad_probe"
        with pytest.raises(WorkerError) as caught:
            await pool.call(0, "build", "r2", "two-moons", {**PARAMS, "noise": 9.0})
        assert caught.value.code == "invalid_params"
        with pytest.raises(WorkerError) as caught:
            await pool.call(0, "advance", "r", "many")
        assert caught.value.code == "internal"
        # The worker still answers after every refusal.
        ((_, message),) = await pool.call(0, "advance", "r", 2)
        assert decode(message).step == 2

    asyncio.run(asyncio.wait_for(scenario(), 60))


def test_call_killed_worker_gives_worker_lost(pool: WorkerPool) -> None:
    async def scenario() -> None:
        slow = {**PARAMS, "fps": 1, "batch_size": 1000, "n_samples": 2000, "hidden": [16] * 6}
        await pool.call(0, "build", "slow", "two-moons", slow)
        pending = asyncio.create_task(pool.call(0, "advance", "slow", 10_000))
        await asyncio.sleep(0.5)
        assert not pending.done()
        process = pool._handles[0].process
        process.kill()
        # The request in flight fails promptly instead of hanging.
        with pytest.raises(WorkerError) as caught:
            await asyncio.wait_for(pending, 10)
        assert caught.value.code == "worker_lost"
        # So does a new request to the dead worker.
        with pytest.raises(WorkerError) as caught:
            await asyncio.wait_for(pool.call(0, "ping"), 10)
        assert caught.value.code == "worker_lost"
        await asyncio.to_thread(process.join, 10)
        # Placing a new run starts a fresh worker in its slot.
        index = pool.place()
        assert pool._handles[index].process.is_alive()
        assert pool._handles[index].process is not process
        assert await asyncio.wait_for(pool.call(index, "ping"), 30) == "pong"
        pool.release(index)

    asyncio.run(asyncio.wait_for(scenario(), 90))
