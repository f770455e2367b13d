"""Schedules and collectors: each due run enqueued once, devices spread by jitter."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlmodel import col, select

from rjchronos.db.types import utcnow
from rjchronos.inventory.models import Device
from rjchronos.jobs.models import Job, ScheduleState
from rjchronos.jobs.spec import CollectorSpec, Schedule

from .conftest import Lab


def _jobs(kernel, job_type: str) -> list[Job]:
    with kernel.db.session() as session:
        return list(
            session.exec(select(Job).where(Job.type == job_type).order_by(col(Job.id))).all()
        )


def _rows(kernel, name: str) -> list[ScheduleState]:
    with kernel.db.session() as session:
        return list(session.exec(select(ScheduleState).where(ScheduleState.name == name)).all())


def _add_devices(kernel, kind: str, count: int) -> list[str]:
    devices = [Device(kind=kind, name=f"{kind}-{n}") for n in range(count)]
    with kernel.db.session() as session:
        session.add_all(devices)
    return [device.id for device in devices]


def test_schedule_runs_once_per_period_across_kernels(make_kernel):
    lab = Lab(schedules=[Schedule("tick", "lab.tick", every=timedelta(minutes=10))])
    first, second = make_kernel(lab), make_kernel(lab)
    start = utcnow()

    first.jobs.run_schedules(now=start)
    second.jobs.run_schedules(now=start)
    assert len(_jobs(first, "lab.tick")) == 1
    (row,) = _rows(first, "tick")
    assert row.next_run_at == start + timedelta(minutes=10)
    assert row.last_job_id == _jobs(first, "lab.tick")[0].id

    second.jobs.run_schedules(now=start + timedelta(minutes=9))
    assert len(_jobs(first, "lab.tick")) == 1

    # Both processes wake at the same moment, many times over: one job per due run.
    for period in (1, 2, 3):
        moment = start + timedelta(minutes=10 * period, seconds=1)
        barrier = threading.Barrier(4)

        def tick(kernel, moment=moment, barrier=barrier) -> None:
            barrier.wait()
            kernel.jobs.run_schedules(now=moment)

        threads = [threading.Thread(target=tick, args=(k,)) for k in (first, second, first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert len(_jobs(first, "lab.tick")) == 1 + period
    assert lab.count("lab.tick") == 4
    assert all(job.dedup_key == "schedule:tick" for job in _jobs(first, "lab.tick"))


def test_missed_runs_are_skipped_not_piled_up(make_kernel):
    lab = Lab(schedules=[Schedule("tick", "lab.tick", every=timedelta(minutes=10))])
    kernel = make_kernel(lab)
    start = utcnow()
    kernel.jobs.run_schedules(now=start)
    kernel.jobs.run_schedules(now=start + timedelta(hours=5, minutes=3))
    assert len(_jobs(kernel, "lab.tick")) == 2
    (row,) = _rows(kernel, "tick")
    assert row.next_run_at == start + timedelta(hours=5, minutes=10)


def test_schedule_jitter_shifts_runs_within_bounds(make_kernel):
    every, jitter = timedelta(hours=1), timedelta(minutes=15)
    lab = Lab(
        schedules=[Schedule("rollup", "lab.tick", every=every, jitter=jitter, params={"k": 1})]
    )
    kernel = make_kernel(lab)
    start = utcnow()
    kernel.jobs.run_schedules(now=start)
    (row,) = _rows(kernel, "rollup")
    assert row.nominal_at == start
    assert start <= row.next_run_at <= start + jitter

    kernel.jobs.run_schedules(now=row.next_run_at)
    (row,) = _rows(kernel, "rollup")
    assert row.nominal_at == start + every
    assert start + every <= row.next_run_at <= start + every + jitter
    (job,) = _jobs(kernel, "lab.tick")
    assert job.params == {"k": 1}


def test_a_slow_run_is_not_overlapped_by_the_next(make_kernel):
    lab = Lab(schedules=[Schedule("tick", "lab.tick", every=timedelta(minutes=1))])
    kernel = make_kernel(lab, broker_url="")  # embedded, no worker started: jobs stay queued
    start = utcnow()
    kernel.jobs.run_schedules(now=start)
    (queued,) = _jobs(kernel, "lab.tick")
    assert queued.status == "queued"
    again = kernel.jobs.run_schedules(now=start + timedelta(minutes=1))
    assert queued.id in again
    assert len(_jobs(kernel, "lab.tick")) == 1


def test_collectors_schedule_one_job_per_device_spread_by_jitter(make_kernel):
    every = timedelta(minutes=5)
    lab = Lab(collectors=[CollectorSpec("olt-poll", "olt", "lab.poll", every=every, jitter=every)])
    kernel = make_kernel(lab)
    olts = _add_devices(kernel, "olt", 30)
    _add_devices(kernel, "cpe", 5)
    start = utcnow()

    kernel.jobs.run_schedules(now=start)
    rows = _rows(kernel, "olt-poll")
    assert sorted(row.device_id for row in rows) == sorted(olts)
    first_runs = sorted(row.next_run_at for row in rows)
    assert all(start <= moment <= start + every for moment in first_runs)
    assert len(set(first_runs)) == 30
    assert first_runs[-1] - first_runs[0] > timedelta(minutes=1)  # spread, not a burst

    kernel.jobs.run_schedules(now=start + every)
    jobs = _jobs(kernel, "lab.poll")
    assert sorted(job.device_id for job in jobs) == sorted(olts)
    assert all(job.params == {"device_id": job.device_id, "collector": "olt-poll"} for job in jobs)
    assert all((job.status, job.result) == ("done", {"polled": job.device_id}) for job in jobs)

    kernel.jobs.run_schedules(now=start + every)
    assert len(_jobs(kernel, "lab.poll")) == 30


def test_collector_follows_devices_coming_and_going(make_kernel):
    every = timedelta(minutes=5)
    lab = Lab(collectors=[CollectorSpec("olt-poll", "olt", "lab.poll", every=every)])
    kernel = make_kernel(lab)
    olts = _add_devices(kernel, "olt", 3)
    start = utcnow()
    kernel.jobs.run_schedules(now=start)
    assert len(_rows(kernel, "olt-poll")) == 3

    with kernel.db.session() as session:
        session.delete(session.get(Device, olts[0]))
    newcomer = _add_devices(kernel, "olt", 1)
    kernel.jobs.run_schedules(now=start + timedelta(minutes=2))
    assert sorted(row.device_id for row in _rows(kernel, "olt-poll")) == sorted(olts[1:] + newcomer)


def test_collector_rows_are_created_once_by_concurrent_kernels(make_kernel):
    lab = Lab(collectors=[CollectorSpec("cpe-stats", "cpe", "lab.poll", every=timedelta(hours=1))])
    kernels = [make_kernel(lab) for _ in range(3)]
    _add_devices(kernels[0], "cpe", 50)
    start = utcnow()
    barrier = threading.Barrier(3)

    def tick(kernel) -> None:
        barrier.wait()
        kernel.jobs.run_schedules(now=start)

    threads = [threading.Thread(target=tick, args=(k,)) for k in kernels]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(_rows(kernels[0], "cpe-stats")) == 50


def test_rows_of_undeclared_plans_do_not_block_due_runs(make_kernel):
    lab = Lab(schedules=[Schedule("tick", "lab.tick", every=timedelta(minutes=10))])
    kernel = make_kernel(lab)
    start = utcnow()
    orphans = [
        ScheduleState(
            key=f"collector:gone:{n}",
            kind="collector",
            name="gone",
            job_type="lab.poll",
            device_id=str(n),
            nominal_at=start,
            next_run_at=start - timedelta(hours=1),
        )
        for n in range(600)
    ]
    with kernel.db.session() as session:
        session.add_all(orphans)

    kernel.jobs.run_schedules(now=start)
    assert len(_jobs(kernel, "lab.tick")) == 1
    assert _jobs(kernel, "lab.poll") == []
