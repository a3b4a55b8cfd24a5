"""`--executor ray`: the driver keeps the plan and the store; Ray actors run the episodes.

One `EpisodeWorker` actor per node that has episode slots (placed on it with a hard node
affinity, holding its `agentbench_slots`), fed by the driver: each slot takes the next
(sample, epoch) when its last one comes back, so episodes stream back as they finish and a fast
node takes more of them. A worker that dies (its node lost) hands its episodes in flight back to
the queue; the driver records each (sample, epoch) once, whoever finishes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from agentbench import ConfigError, Executor, Plan, Sample, build_environment, first_error
from agentbench_ray.options import SLOT_RESOURCE, RayOptions, load_options, node_slots
from agentbench_ray.transport import unpack

log = logging.getLogger("agentbench.ray")

CLOSE_TIMEOUT_S = 60.0
SHIP_FIX = (
    "every node needs agentbench and the run's plugins: install them there, or ship them with "
    "-E working_dir / -E runtime_env (see the agentbench-ray README)"
)


class RayExecutor(Executor):
    """Runs a plan's episodes on a Ray cluster (`-E address=auto`; see `RayOptions`)."""

    name = "ray"

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.settings: RayOptions = load_options(self.options)

    async def run(self, plan: Plan, sink: Any, *, env: Any = None) -> None:
        """Run every episode of `plan` on the cluster; `await sink(record)` as each finishes."""
        if not plan.todo:
            return
        env = env or build_environment(plan)
        connected = connect(self.settings)
        try:
            await _Driver(plan, sink, self.settings, env.artifacts_dir).run()
        finally:
            if connected:
                import ray

                ray.shutdown()


def connect(options: RayOptions) -> bool:
    """Join the cluster (unless this process already has); True when this call joined it.

    Raises:
        ConfigError: no cluster answers at the address.
    """
    import ray

    if ray.is_initialized():
        return False
    address = None if options.address == "local" else options.address
    try:
        ray.init(
            address=address,
            runtime_env=options.ray_runtime_env(),
            log_to_driver=False,  # workers' output would mix with the run's (--json) output
            configure_logging=False,
        )
    except ConnectionError as exc:
        raise ConfigError(
            f"no Ray cluster at {options.address!r}: {exc}",
            "start one with `ray start --head` (see the agentbench-ray README), "
            "or pass -E address=HOST:PORT (or -E address=local for a one-machine Ray)",
        ) from None
    return True


@dataclass
class _Worker:
    node_id: str
    slots: int
    share: float
    actor: Any
    label: str = ""
    alive: bool = True
    infra_streak: int = 0


class _Driver:
    """One run's episodes on the cluster: places workers, feeds their slots, records results."""

    def __init__(self, plan: Plan, sink: Any, options: RayOptions, artifacts_dir: Any) -> None:
        self.plan, self.sink, self.options = plan, sink, options
        self.artifacts_dir = artifacts_dir
        self.plan_json = plan.model_dump_json()
        # Episodes are taken from the plan's stream as slots free up (a run of any size stays
        # out of the driver's memory); only those handed out and not yet recorded are kept.
        self.source: Iterator[tuple[Sample, int]] = plan.iter_episodes()
        self.exhausted = False
        self.queue: deque[tuple[Sample, int]] = deque()  # handed back by a lost worker
        self.pending: set[tuple[str, int]] = set()  # handed out, not yet recorded
        self.recorded = 0
        self.workers: dict[str, _Worker] = {}
        self.retired: list[_Worker] = []
        self.failures: Counter[str] = Counter()
        self.excluded: set[str] = set()
        self.base_slots = 0
        self.free_share = 1.0
        self.changed = asyncio.Event()
        self.group: asyncio.TaskGroup | None = None
        self.starting: set[asyncio.Task[None]] = set()

    # -- the run -----------------------------------------------------------------------------

    async def run(self) -> None:
        try:
            async with asyncio.TaskGroup() as group:
                self.group = group
                group.create_task(self.supervise())
        except BaseExceptionGroup as errors:
            raise first_error(errors) from None
        finally:
            await self.close_all()

    async def supervise(self) -> None:
        """Start workers on nodes that can take them, until every episode is recorded."""
        waiting_since: float | None = None
        while not self.finished:
            await self.place_workers()
            if self.workers:
                waiting_since = None
            else:
                waiting_since = waiting_since or time.monotonic()
                if time.monotonic() - waiting_since > self.options.node_wait_s:
                    raise ConfigError(
                        f"no Ray node can run episodes ({self.plan.todo - self.recorded} left)",
                        "add nodes with episode slots (CPUs or an agentbench_slots resource), "
                        "then --resume the run",
                    )
            changed = self.changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), self.options.poll_s)
        for task in list(self.starting):  # workers still waiting for a place are not needed
            task.cancel()

    def notify(self) -> None:
        """Wake everything waiting for a change (an episode back in the queue, a worker lost)."""
        self.changed.set()
        self.changed = asyncio.Event()

    # -- workers -----------------------------------------------------------------------------

    async def place_workers(self) -> None:
        """A worker on every live node without one (nodes that joined, or lost their worker)."""
        import ray

        alive = {n["NodeID"]: n for n in ray.nodes() if n.get("Alive")}
        for worker in list(self.workers.values()):
            if worker.node_id not in alive:
                self.lose(worker, "its node left the cluster")
        new = [
            (node_id, node_slots(node.get("Resources", {}), self.options), node)
            for node_id, node in alive.items()
            if node_id not in self.workers and node_id not in self.excluded
        ]
        new = [(node_id, slots, node) for node_id, slots, node in new if slots > 0]
        if not new:
            return
        if self.base_slots == 0:
            self.base_slots = sum(slots for _, slots, _ in new)
        assert self.group is not None
        for node_id, slots, node in new:
            # Started in the background: an actor Ray cannot place yet (its slots taken by
            # another run) must not hold up the supervisor.
            share = min(slots / self.base_slots, self.free_share)
            self.free_share -= share
            worker = _Worker(node_id, slots, share, self.make_actor(node_id, slots, node))
            self.workers[node_id] = worker
            task = self.group.create_task(self.start_worker(worker))
            self.starting.add(task)
            task.add_done_callback(self.starting.discard)

    async def start_worker(self, worker: _Worker) -> None:
        """Set the worker up (rebuild the run's environment there), then feed its slots."""
        from ray.exceptions import RayActorError, RayTaskError

        try:
            info = await worker.actor.setup.remote(
                self.plan_json, worker.share, self.options.artifacts
            )
        except RayTaskError as exc:  # the plan does not build there: every node would fail
            self.lose(worker, "setup failed")
            raise ConfigError(
                f"a Ray worker on node {worker.node_id[:12]} could not set up the run: "
                f"{exc.cause if exc.cause is not None else exc}",
                SHIP_FIX,
            ) from None
        except RayActorError as exc:
            self.lose(worker, f"it died while starting ({type(exc).__name__})")
            return
        worker.label = info["node"]
        if "error" in info:
            self.lose(worker, "setup failed")
            error = info["error"]
            fix = f"{error['fix']}; {SHIP_FIX}" if error.get("fix") else SHIP_FIX
            raise user_error({**error, "fix": fix}, worker.label)
        log.info(
            "worker on %s: %d slots, %.3f of the connections",
            worker.label,
            worker.slots,
            worker.share,
        )
        assert self.group is not None
        for _ in range(worker.slots):
            self.group.create_task(self.feed(worker))

    def make_actor(self, node_id: str, slots: int, node: dict[str, Any]) -> Any:
        import ray
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        from agentbench_ray.worker import EpisodeWorker

        resources = node.get("Resources", {})
        options: dict[str, Any] = {
            "num_cpus": 0,
            "max_restarts": 0,
            "max_concurrency": slots + 4,  # its slots, plus setup/close
            "scheduling_strategy": NodeAffinitySchedulingStrategy(node_id, soft=False),
        }
        if SLOT_RESOURCE in resources:
            options["resources"] = {SLOT_RESOURCE: min(slots, resources[SLOT_RESOURCE])}
        if self.options.memory_per_slot:
            options["memory"] = slots * self.options.memory_per_slot
        return ray.remote(EpisodeWorker).options(**options).remote()

    def lose(self, worker: _Worker, why: str) -> None:
        """Take a worker out of the run (its episodes in flight come back to the queue)."""
        if not worker.alive:
            return
        import ray

        worker.alive = False
        self.workers.pop(worker.node_id, None)
        self.free_share += worker.share
        self.failures[worker.node_id] += 1
        if self.failures[worker.node_id] >= self.options.max_node_failures:
            self.excluded.add(worker.node_id)
        log.warning("lost the worker on %s: %s", worker.label or worker.node_id[:12], why)
        with contextlib.suppress(Exception):
            ray.kill(worker.actor, no_restart=True)
        self.notify()

    async def close_all(self) -> None:
        """Close every worker's sandboxes and models, then end the actors."""
        import ray

        workers = [w for w in self.workers.values() if w.alive] + self.retired
        if not workers:
            return
        closing = [w.actor.close.remote() for w in workers]
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(
                asyncio.gather(*closing, return_exceptions=True), CLOSE_TIMEOUT_S
            )
        for worker in workers:
            with contextlib.suppress(Exception):
                ray.kill(worker.actor, no_restart=True)
        self.workers.clear()
        self.retired.clear()

    # -- episodes ----------------------------------------------------------------------------

    @property
    def finished(self) -> bool:
        """Every episode of the plan is recorded."""
        return self.exhausted and not self.pending

    async def next_episode(self) -> tuple[Sample, int] | None:
        """The next (sample, epoch) to run; None when every one is recorded."""
        while True:
            while self.queue:
                sample, epoch = item = self.queue.popleft()
                if (sample.id, epoch) in self.pending:  # else recorded meanwhile
                    return item
            if not self.exhausted:
                item = next(self.source, None)
                if item is not None:
                    self.pending.add((item[0].id, item[1]))
                    return item
                self.exhausted = True
            if self.finished:
                self.notify()
                return None
            await self.changed.wait()

    async def feed(self, worker: _Worker) -> None:
        """One slot of `worker`: run episodes one after another until none is left."""
        from ray.exceptions import RayActorError

        while worker.alive:
            item = await self.next_episode()
            if item is None:
                return
            try:
                packed = await worker.actor.run.remote(*item)
            except RayActorError as exc:
                self.queue.appendleft(item)  # runs again elsewhere; never recorded twice
                self.lose(worker, f"{type(exc).__name__} with episodes in flight")
                return
            if "error" in packed:  # a user error every episode would hit: stop the run
                raise user_error(packed["error"], worker.label)
            await self.record(worker, item, packed)

    async def record(self, worker: _Worker, item: tuple[Sample, int], packed: Any) -> None:
        """Hand a finished episode to the runner, once per (sample, epoch)."""
        key = (item[0].id, item[1])
        if key not in self.pending:
            return  # already recorded from another worker
        self.pending.discard(key)
        self.recorded += 1
        record = unpack(packed, self.artifacts_dir(item[0].id, item[1]))
        self.track_infra(worker, record.result.status)
        if self.finished:
            self.notify()
        await self.sink(record)

    def track_infra(self, worker: _Worker, status: str) -> None:
        """A node whose episodes keep failing on infrastructure (no Docker engine) gets no more."""
        if status != "infra_error":
            worker.infra_streak = 0
            return
        worker.infra_streak += 1
        if worker.infra_streak >= self.options.max_node_failures and worker.alive:
            self.excluded.add(worker.node_id)
            worker.alive = False
            self.workers.pop(worker.node_id, None)
            self.free_share += worker.share
            self.retired.append(worker)
            log.warning("no more episodes for %s: its sandboxes keep failing", worker.label)
            self.notify()


def user_error(error: dict[str, Any], node: str) -> ConfigError:
    """A worker's user error, raised on the driver (naming the node)."""
    return ConfigError(f"{error['message']} (on node {node})", error.get("fix"))
