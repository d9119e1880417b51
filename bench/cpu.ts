/**
 * CPU spent by the bench's three processes over a stretch of work: the worker child (it reports
 * its own process.cpuUsage over IPC), this process (the producer: BullMQ adds or the engine's
 * front), and Redis (INFO cpu). Per unit of work it is a steadier figure than throughput on a
 * shared machine, and it shows where the time goes.
 */
import type { Redis } from 'ioredis';
import { loadavg } from 'node:os';
import type { BenchChild } from './child.js';

/** Microseconds of CPU (user + system). */
export interface CpuSample {
  worker: number;
  front: number;
  redis: number;
}

export async function readCpu(child: BenchChild, redis: Redis): Promise<CpuSample> {
  const [worker, info] = await Promise.all([child.cpu(), redis.info('cpu')]);
  const seconds = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? Number.NaN);
  const own = process.cpuUsage();
  return { worker, front: own.user + own.system, redis: (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1e6 };
}

/** CPU per unit between two samples. */
export function perUnit(before: CpuSample, after: CpuSample, units: number): CpuSample & { total: number } {
  const worker = (after.worker - before.worker) / units;
  const front = (after.front - before.front) / units;
  const redis = (after.redis - before.redis) / units;
  return { worker, front, redis, total: worker + front + redis };
}

/** This process's CPU (user + system) since `since`, in ms per unit. */
export function ownCpuMsPer(since: NodeJS.CpuUsage, units: number): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000 / units;
}

/** The machine's 1-minute load average now: on a shared machine every latency figure depends on it. */
export function loadAverage(): number {
  return loadavg()[0] ?? Number.NaN;
}
