/**
 * Preloaded into every server under test (`node --import`), runtime-guard's own process
 * included: measures event-loop delay and answers the benchmark over the IPC channel.
 * Messages: 'reset' starts a new measurement, 'report' sends back the delay percentiles in ms
 * and the process's memory use at that moment.
 * Without an IPC channel it does nothing.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

const RESOLUTION_MS = 5;
const NS_PER_MS = 1e6;

/** The histogram holds the time between the timer's runs: the lateness is what exceeds its period. */
function lateness(ns: number): number {
  return Math.max(0, ns / NS_PER_MS - RESOLUTION_MS);
}

function memoryMiB(): Record<string, number> {
  const usage = process.memoryUsage();
  const mib = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;
  return {
    rss: mib(usage.rss),
    heapUsed: mib(usage.heapUsed),
    heapTotal: mib(usage.heapTotal),
    external: mib(usage.external),
    arrayBuffers: mib(usage.arrayBuffers),
  };
}

const send = process.send?.bind(process);
if (send) {
  const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  delay.enable();
  process.on('message', (message: unknown) => {
    if (message === 'reset') {
      delay.reset();
      send({ type: 'reset' });
    } else if (message === 'report') {
      send({
        type: 'report',
        eventLoopDelayMs: {
          p50: lateness(delay.percentile(50)),
          p99: lateness(delay.percentile(99)),
          max: lateness(delay.max),
          samples: delay.count,
        },
        memoryMiB: memoryMiB(),
      });
    }
  });
  // The server keeps the process alive; the channel must not keep it from exiting.
  process.channel?.unref();
}
