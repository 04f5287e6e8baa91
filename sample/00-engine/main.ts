/**
 * The engine on its own, without Nest: a few tasks of every priority, a dependency, a shutdown
 * hook and one task that ignores its signal. The process sends itself SIGTERM after a second,
 * shuts down in phases and prints the report. Run with `npm run demo`.
 */
import {
  abortableDelay,
  LifecycleCoordinator,
  TaskPriority,
  type LifecycleLogger,
  type TaskContext,
} from 'nestjs-async-lifecycle';

const logger: LifecycleLogger = {
  log: (message) => console.log(`[lifecycle] ${message}`),
  warn: (message) => console.warn(`[lifecycle] ${message}`),
  error: (message) => console.error(`[lifecycle] ${message}`),
};

const coordinator = new LifecycleCoordinator({
  phases: { gracefulMs: 1500, forcefulMs: 1000, terminateMs: 500 },
  cleanupTimeoutMs: 300,
  progressIntervalMs: 1000,
  logger,
});

/** A loop doing one unit of work every `everyMs` until its task is cancelled. */
function loop(everyMs: number) {
  return async ({ signal }: TaskContext): Promise<number> => {
    let rounds = 0;
    while (!signal.aborted) {
      await abortableDelay(everyMs, signal).catch(() => undefined);
      rounds++;
    }
    return rounds;
  };
}

const pool = { open: true };
coordinator.registerShutdownHook(
  'db-pool',
  async () => {
    await abortableDelay(50);
    pool.open = false;
  },
  { priority: TaskPriority.CRITICAL },
);

coordinator.createTask(loop(100), { name: 'cache-warmer', priority: TaskPriority.LOWEST });
coordinator.createTask(loop(200), { name: 'report-poller', priority: TaskPriority.LOW });
coordinator.createTask(loop(50), {
  name: 'order-consumer',
  priority: TaskPriority.NORMAL,
  dependsOn: ['db-pool'],
  cleanup: async ({ state }) => {
    await abortableDelay(40);
    console.log(`[demo] order-consumer acked its in-flight batch (task ${state})`);
  },
});
coordinator.createTask(
  async ({ signal }) => {
    // Finishes its current flush before stopping: ends a little after its signal.
    await abortableDelay(1e9, signal).catch(() => abortableDelay(120));
  },
  { name: 'metrics-flusher', priority: TaskPriority.HIGH, dependsOn: ['order-consumer'] },
);
coordinator.createTask(
  // A legacy job that never looks at its signal: it holds no handle, so it cannot keep the
  // process alive, but the shutdown has to give up on it.
  () => new Promise<void>(() => undefined),
  {
    name: 'legacy-export',
    priority: TaskPriority.NORMAL,
    cleanup: () => console.log('[demo] legacy-export: temp files removed by its cleanup'),
  },
);

process.once('SIGTERM', () => {
  process.on('SIGTERM', () => coordinator.escalate());
  void coordinator.shutdown({ reason: 'SIGTERM' }).then((report) => {
    console.log(JSON.stringify(report, null, 2));
    console.log(`[demo] db pool open after shutdown: ${pool.open}`);
    // A service would exit 1 here (something was abandoned); the demo itself succeeded.
    const serviceExitCode = report.outcome === 'terminated' ? 1 : 0;
    console.log(
      `[demo] outcome ${report.outcome}: a service would exit with code ${serviceExitCode}`,
    );
  });
});

console.log(`[demo] pid ${process.pid}: 5 tasks and 1 hook running; sending SIGTERM in 1 s`);
setTimeout(() => process.kill(process.pid, 'SIGTERM'), 1000);
