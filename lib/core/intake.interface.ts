import type { ManagedTask, TaskContext, TaskOptions } from './task.interface.js';

/**
 * A section of the report that an intake contributes: plain JSON counts (admitted during the
 * drain, after intake closed, refused, handed back, closed …). Each intake augments
 * {@link IntakeReports} with its own section type.
 *
 * @example
 * // { admitted: 40, refused: 0, handedBack: 2 }
 */
export type IntakeReport = object;

/**
 * The report's intake sections, by intake name (`report.intakes.http`, …). Intakes declare their
 * section here with module augmentation, so `report.intakes.http` is typed where HTTP is used.
 *
 * @example
 * declare module 'nestjs-async-lifecycle' {
 *   interface IntakeReports { kafka?: { consumed: number } }
 * }
 */
export interface IntakeReports {
  [intake: string]: IntakeReport | undefined;
}

/**
 * Something that takes work in from outside — an HTTP server, a WebSocket gateway, a queue
 * worker, a cron scheduler, a microservice transport — plugged into the coordinator with
 * `registerIntake` (DESIGN §4 "Intakes"). Every step is optional; the coordinator calls each at
 * most once, in this order, and a step that throws is logged without stopping the shutdown.
 *
 * @example
 * const handle = coordinator.registerIntake({
 *   name: 'jobs',
 *   shutdownStarted: () => worker.pause(),       // the broker hands new jobs to others
 *   forcefulStarted: () => worker.returnActive(), // what is left goes back to the queue
 *   report: () => ({ handedBack }),
 * });
 * worker.on('job', (job) => handle.admit(() => process(job), { name: `job#${job.id}` }));
 */
export interface Intake {
  /** Names the intake in logs and keys its report section: `http`, `websockets`, `bullmq` … */
  readonly name: string;
  /**
   * Shutdown began; readiness is down. Queue workers, schedulers and broker consumers stop
   * taking work here (another instance takes it); HTTP and WebSocket servers keep serving.
   */
  shutdownStarted?(): void;
  /**
   * The drain is over: no new connections; connected clients are told to go elsewhere
   * (`Connection: close`, close frames, GOAWAY), spread over a short window.
   */
  intakeClosed?(): void;
  /** FORCEFUL began: what is left is aborted and handed back where the transport allows it. */
  forcefulStarted?(): void;
  /** The shutdown is over: release timers and listeners. */
  shutdownEnded?(): void;
  /** This intake's report section, read whenever a report is built. */
  report?(): IntakeReport;
}

/** Where an intake stands: serving, draining (shutdown began, intake open), or closed. */
export type IntakeState = 'open' | 'draining' | 'closed';

/**
 * What `registerIntake` returns: how the intake admits its units of work and tells the measured
 * drain that traffic still arrives.
 *
 * @example
 * const task = handle.admit(() => serve(req, res), { name: `GET /orders#${n}` });
 * if (task === undefined) return refuse(res); // too late: its wave has ended
 */
export interface IntakeHandle {
  /**
   * Runs `fn` as a managed task — stop mode `drain` unless `options.stop` says otherwise. During
   * a shutdown it joins its priority's wave while that wave has not ended; `undefined` means it
   * is too late (refuse the work so that the client retries elsewhere). It does not count as an
   * arrival for the measured drain: call `noteArrival()` for what is new traffic. A name a live
   * task or hook already holds (or of the form `task#<n>`) does not refuse it: the unit runs
   * under that name without claiming it, so `dependsOn` and `isRegistered` keep finding the task.
   */
  admit<T>(
    fn: (ctx: TaskContext) => Promise<T> | T,
    options?: TaskOptions,
  ): ManagedTask<T> | undefined;
  /**
   * New traffic arrived — a request the load balancer routed here, a new client — so the
   * measured drain stays open for `quietMs` more. Not for health probes nor for messages on a
   * connection that was already open: they say nothing about whether the load balancer still
   * sends new work.
   */
  noteArrival(): void;
  /** `open` before the shutdown, `draining` until intake closes, then `closed`. */
  readonly state: IntakeState;
  /** Stops calling this intake (its server closed early, a test ended). */
  unregister(): void;
}
