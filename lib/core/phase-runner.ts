import { CancelledError } from './cancelled.error.js';
import { DeadlineRun, type CallbackResult } from './deadline-run.js';
import { createDeferred } from './deferred.js';
import type { LifecycleEvent } from './lifecycle-event.interface.js';
import type { LifecycleLogger } from './lifecycle-logger.interface.js';
import type { ResolvedLifecycleOptions } from './lifecycle-options.interface.js';
import { CoreMessages } from './lifecycle.messages.js';
import { ShutdownPhase, PHASE_ORDER } from './shutdown-phase.enum.js';
import {
  ensureWave,
  priorityWave,
  taskEntry,
  type HookEntry,
  type ShutdownPlan,
  type TaskEntry,
  type Wave,
} from './shutdown-plan.js';
import type { PhaseReport, ReportSections, ShutdownReport } from './shutdown-report.interface.js';
import { describeError } from './describe.js';
import { buildShutdownReport, roundMs } from './shutdown-report.js';
import type { TaskContext } from './task.interface.js';
import type { TaskRecord } from './task-record.js';
import type { TaskPriority } from './task-priority.enum.js';

/** Where a shutdown is, for adapters that act on it (the HTTP drain). */
export type ShutdownProgress =
  | { readonly kind: 'drain' }
  | { readonly kind: 'phase'; readonly phase: ShutdownPhase }
  | { readonly kind: 'stopped' };

/** What the runner needs from the engine. */
export interface RunnerHost {
  readonly options: ResolvedLifecycleOptions;
  readonly logger: LifecycleLogger | undefined;
  readonly sections: ReadonlyMap<keyof ReportSections, () => ReportSections[keyof ReportSections]>;
  emit(build: () => LifecycleEvent): void;
  progress(event: ShutdownProgress): void;
  auditLingering(): Record<string, number>;
  runnerFinished(report: ShutdownReport): void;
}

/** drain → (between → tasks → hooks)* → after, or → terminate; then finished. */
type Stage = 'drain' | 'between' | 'tasks' | 'hooks' | 'after' | 'terminate' | 'finished';

function budgetOf(options: ResolvedLifecycleOptions, phase: ShutdownPhase): number {
  if (phase === ShutdownPhase.GRACEFUL) return options.gracefulMs;
  if (phase === ShutdownPhase.FORCEFUL) return options.forcefulMs;
  return options.terminateMs;
}

/** What a shutdown hook's function sees as its task context. */
class HookContext implements TaskContext {
  constructor(
    readonly name: string,
    readonly priority: TaskPriority,
    private readonly run: DeadlineRun,
  ) {}
  get id(): string {
    return `hook:${this.name}`;
  }
  get signal(): AbortSignal {
    return this.run.signal;
  }
}

/**
 * Runs one shutdown: the drain delay, then GRACEFUL → FORCEFUL → TERMINATE, wave by wave.
 * Progress is driven by counters updated from task and callback completions — no promise per
 * task — so a wave of 100k tasks costs one pass to signal and one decrement per task.
 */
export class PhaseRunner {
  readonly done = createDeferred<ShutdownReport>();
  phase: ShutdownPhase | undefined = undefined;

  private readonly startedAt = performance.now();
  private readonly startedAtIso = new Date().toISOString();
  private endedAtIso: string | undefined;
  private durationMs = 0;
  private drainMs = 0;
  private phaseStartedAt = 0;
  private readonly phaseReports: PhaseReport[] = [];
  private stage: Stage = 'drain';
  private waveCursor = -1;
  /** Entries of the current wave's current stage that still hold it up. */
  private pending = 0;
  private runningTasks = 0;
  private runningCallbacks = 0;
  private readonly runningHooks = new Set<HookEntry>();
  private readonly cleanupRuns = new Map<TaskEntry, DeadlineRun>();
  private budgetTimer: ReturnType<typeof setTimeout> | undefined;
  private drainTimer: ReturnType<typeof setTimeout> | undefined;
  private progressTimer: ReturnType<typeof setInterval> | undefined;
  private advancing = false;
  private advanceAgain = false;
  private expiredCallbacks = 0;
  private readonly phaseReasons = new Map<ShutdownPhase, CancelledError>();
  private readonly lateFailures: { name: string; error: string }[] = [];
  private lingering: Record<string, number> = {};
  private concluded = false;

  constructor(
    private readonly host: RunnerHost,
    private readonly plan: ShutdownPlan,
    readonly reason: string,
    cleanupsInFlight: ReadonlyMap<TaskRecord, DeadlineRun>,
  ) {
    for (const entry of plan.tasks) {
      if (!entry.record.ended) this.runningTasks++;
      // A task that ended just before the shutdown may still be cleaning up: wait for it too.
      const run = cleanupsInFlight.get(entry.record);
      if (run !== undefined) {
        this.cleanupRuns.set(entry, run);
        this.runningCallbacks++;
      }
    }
  }

  /** The shutdown is over and its report final. */
  get finished(): boolean {
    return this.concluded;
  }

  begin(startPhase: ShutdownPhase | undefined): void {
    this.log(
      'log',
      CoreMessages.shutdownStarted(this.reason, this.plan.tasks.length, this.plan.hooks.length),
    );
    const interval = this.host.options.progressIntervalMs;
    if (interval > 0) {
      this.progressTimer = setInterval(() => this.logProgress(), interval);
      // The budget timers hold the event loop; the progress line alone must not.
      this.progressTimer.unref();
    }
    this.host.progress({ kind: 'drain' });
    const drainDelay = this.host.options.drainDelayMs;
    if (drainDelay === 0 || (startPhase !== undefined && startPhase !== ShutdownPhase.GRACEFUL)) {
      this.enter(startPhase ?? ShutdownPhase.GRACEFUL, 'start');
      return;
    }
    this.drainTimer = setTimeout(() => {
      this.drainTimer = undefined;
      this.drainMs = performance.now() - this.startedAt;
      this.enter(ShutdownPhase.GRACEFUL, 'start');
    }, drainDelay);
  }

  /** Jump to the next phase now; in TERMINATE, stop waiting at once. */
  escalate(by: 'budget' | 'escalate' = 'escalate'): void {
    if (this.stage === 'finished') return;
    if (this.phase === undefined) {
      // The drain delay counts as the start of GRACEFUL: escalating leaves it for FORCEFUL.
      this.endDrain();
      this.enter(ShutdownPhase.FORCEFUL, by);
    } else if (this.phase === ShutdownPhase.GRACEFUL) {
      this.enter(ShutdownPhase.FORCEFUL, by);
    } else if (this.phase === ShutdownPhase.FORCEFUL) {
      this.enter(ShutdownPhase.TERMINATE, by);
    } else {
      this.finish(by);
    }
  }

  /** Escalate until at least `phase` (a later `shutdown({ phase })` call). */
  escalateTo(phase: ShutdownPhase): void {
    const target = PHASE_ORDER.indexOf(phase);
    while (
      this.stage !== 'finished' &&
      PHASE_ORDER.indexOf(this.phase ?? ShutdownPhase.GRACEFUL) < target
    ) {
      this.escalate();
    }
  }

  /**
   * Whether a task of `priority` created now can still join the shutdown: its wave has not
   * ended (an HTTP request on a connection the load balancer still uses).
   */
  canAdmit(priority: TaskPriority): boolean {
    const wave = priorityWave(priority);
    switch (this.stage) {
      case 'drain':
        return true;
      case 'between':
        return wave > this.waveCursor;
      case 'tasks':
        return wave >= this.waveCursor;
      case 'hooks':
        return wave > this.waveCursor;
      default:
        return false;
    }
  }

  /**
   * Adds a task created during the shutdown to its priority's wave, before it starts: counted
   * first (it may end synchronously), and signalled first when its wave is already stopping (it
   * starts cancelling, and sees its signal aborted from its first line).
   */
  admit(record: TaskRecord): void {
    const entry = taskEntry(record, priorityWave(record.priority));
    ensureWave(this.plan, entry.wave).tasks.push(entry);
    this.plan.tasks.push(entry);
    this.runningTasks++;
    if (this.stage === 'tasks' && entry.wave === this.waveCursor && this.phase !== undefined) {
      this.pending++;
      this.signal(entry, this.reasonFor(this.phase));
    }
  }

  taskEnded(record: TaskRecord): void {
    const entry = record.entry;
    if (entry === undefined || this.stage === 'finished') return;
    this.runningTasks--;
    entry.endedAt = performance.now();
    entry.endedIn = this.phase;
    const current = this.phaseReports[this.phaseReports.length - 1];
    if (current !== undefined) current.ended++;
    this.checkWaveDone(entry);
    this.advance();
  }

  cleanupStarted(record: TaskRecord, run: DeadlineRun): void {
    const entry = record.entry;
    if (entry === undefined || this.stage === 'finished') return;
    this.runningCallbacks++;
    this.cleanupRuns.set(entry, run);
  }

  cleanupEnded(record: TaskRecord, result: CallbackResult): void {
    const entry = record.entry;
    if (entry === undefined) return;
    entry.cleanup = result;
    if (this.stage === 'finished') return;
    if (this.cleanupRuns.delete(entry)) this.runningCallbacks--;
    this.checkWaveDone(entry);
    this.advance();
  }

  lateFailure(name: string, error: unknown): void {
    this.lateFailures.push({ name, error: describeError(error) });
    this.log('warn', CoreMessages.lateFailure(name), error);
  }

  /**
   * The report so far, or the final one with the late failures that came after it. Built anew
   * from the plan each call: a fresh copy without cloning.
   */
  report(): ShutdownReport {
    return this.concluded
      ? this.build(this.durationMs, true)
      : this.build(performance.now() - this.startedAt);
  }

  /**
   * Re-reads the handles alive now (after the application closed) into the final report, less
   * `own` — handles the caller knows it holds itself (a watchdog timer).
   */
  refreshLingering(own: Readonly<Record<string, number>> = {}): void {
    const lingering: Record<string, number> = {};
    for (const [type, count] of Object.entries(this.host.auditLingering())) {
      const left = count - (own[type] ?? 0);
      if (left > 0) lingering[type] = left;
    }
    this.lingering = lingering;
  }

  private enter(phase: ShutdownPhase, by: 'start' | 'budget' | 'escalate'): void {
    const now = performance.now();
    this.closePhase(by === 'start' ? 'done' : by, now);
    this.phase = phase;
    this.phaseStartedAt = now;
    if (this.stage === 'drain') this.stage = 'between';
    const budgetMs = budgetOf(this.host.options, phase);
    this.phaseReports.push({ phase, budgetMs, elapsedMs: 0, ended: 0 });
    if (this.budgetTimer !== undefined) clearTimeout(this.budgetTimer);
    // Ref'd on purpose: a shutdown whose tasks wait on nothing must still reach its end.
    this.budgetTimer = setTimeout(() => {
      this.budgetTimer = undefined;
      this.escalate('budget');
    }, budgetMs);
    this.host.emit(() => ({ type: 'phase', phase, by, at: Date.now() }));
    this.host.progress({ kind: 'phase', phase });
    this.log(
      'log',
      CoreMessages.phaseEntered(
        phase,
        budgetMs,
        by === 'start'
          ? 'shutdown started'
          : by === 'budget'
            ? 'previous budget spent'
            : 'escalated',
      ),
    );

    // Inside the guard: a cleanup or hook that completes synchronously must not let the runner
    // conclude before the rest of the batch has started.
    this.advance(() => {
      if (phase === ShutdownPhase.FORCEFUL && this.stage === 'tasks') {
        for (const entry of this.plan.waves[this.waveCursor].tasks) {
          if (!entry.waveDone && !entry.record.ended && entry.signalledAt !== undefined) {
            this.force(entry);
          }
        }
      } else if (phase === ShutdownPhase.TERMINATE) {
        this.terminateAll();
      }
    });
  }

  private closePhase(endedBy: 'done' | 'budget' | 'escalate', now: number): void {
    const current = this.phaseReports[this.phaseReports.length - 1];
    if (current === undefined || current.endedBy !== undefined) return;
    current.elapsedMs = roundMs(now - this.phaseStartedAt);
    current.endedBy = endedBy;
  }

  private endDrain(): void {
    if (this.drainTimer !== undefined) clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
    this.drainMs = performance.now() - this.startedAt;
  }

  private terminateAll(): void {
    this.stage = 'terminate';
    const reason = this.reasonFor(ShutdownPhase.TERMINATE);
    // Every abort first, so that listeners run before any cleanup takes resources away.
    for (const entry of this.plan.tasks) {
      if (!entry.record.ended && entry.signalledAt === undefined) this.signal(entry, reason);
    }
    for (const entry of this.plan.tasks) if (!entry.record.ended) this.force(entry);
    for (const entry of this.plan.hooks) if (entry.run === undefined) this.startHook(entry);
  }

  /**
   * Runs `batch` (work that may complete synchronously), then moves through waves as far as
   * completions allow. Re-entrant calls from synchronous callbacks only ask for another pass.
   */
  private advance(batch?: () => void): void {
    if (this.advancing) {
      batch?.();
      this.advanceAgain = true;
      return;
    }
    this.advancing = true;
    try {
      batch?.();
      do {
        this.advanceAgain = false;
        this.step();
      } while (this.advanceAgain);
    } finally {
      this.advancing = false;
    }
  }

  private step(): void {
    for (;;) {
      switch (this.stage) {
        case 'drain':
        case 'finished':
          return;
        case 'terminate':
        case 'after':
          if (this.runningTasks === 0 && this.runningCallbacks === 0) this.finish('done');
          return;
        case 'tasks':
          if (this.pending > 0) return;
          this.startHooks(this.plan.waves[this.waveCursor]);
          continue;
        case 'hooks':
          if (this.pending > 0) return;
          this.stage = 'between';
          continue;
        case 'between':
          this.nextWave();
          continue;
      }
    }
  }

  private nextWave(): void {
    this.waveCursor++;
    const wave = this.plan.waves[this.waveCursor];
    if (wave === undefined) {
      this.stage = 'after';
      return;
    }
    this.stage = 'tasks';
    const phase = this.phase as ShutdownPhase;
    this.host.emit(() => ({
      type: 'wave',
      wave: wave.index,
      phase,
      tasks: wave.tasks.length,
      hooks: wave.hooks.length,
      at: Date.now(),
    }));
    // Count first, then signal: a completion during signalling must find the count in place.
    let pending = 0;
    for (const entry of wave.tasks) if (!entry.waveDone) pending++;
    this.pending = pending;
    const reason = this.reasonFor(phase);
    for (const entry of wave.tasks) {
      if (!entry.record.ended) this.signal(entry, reason);
    }
  }

  private startHooks(wave: Wave): void {
    this.stage = 'hooks';
    this.pending = 0;
    for (const entry of wave.hooks) if (entry.run === undefined) this.pending++;
    for (const entry of wave.hooks) if (entry.run === undefined) this.startHook(entry);
  }

  private signal(entry: TaskEntry, reason: CancelledError): void {
    entry.signalledAt = performance.now();
    entry.record.requestCancel(reason);
  }

  /** Runs the task's cleanup now, without waiting for the task: FORCEFUL and TERMINATE. */
  private force(entry: TaskEntry): void {
    entry.forced = true;
    entry.record.forceCleanup();
    this.checkWaveDone(entry);
  }

  private checkWaveDone(entry: TaskEntry): void {
    if (entry.waveDone) return;
    const record = entry.record;
    if (!(record.ended || entry.forced) || !record.cleanupDone) return;
    entry.waveDone = true;
    if (this.stage === 'tasks' && entry.wave === this.waveCursor) this.pending--;
  }

  private startHook(entry: HookEntry): void {
    const hook = entry.hook;
    this.runningCallbacks++;
    this.runningHooks.add(entry);
    entry.startedAt = performance.now();
    this.host.emit(() => ({
      type: 'hook',
      name: hook.name,
      priority: hook.priority,
      at: Date.now(),
    }));
    const run = new DeadlineRun({
      timeoutMs: hook.timeoutMs,
      what: `shutdown hook "${hook.name}"`,
      onDone: (result) => this.hookEnded(entry, result),
      onLateFailure: (error) => this.lateFailure(`hook ${hook.name}`, error),
    });
    entry.run = run;
    const context = new HookContext(hook.name, hook.priority, run);
    // The hook sees its own context through currentTask(); its signal is its deadline's.
    run.start(() => hook.fn(context), context);
  }

  private hookEnded(entry: HookEntry, result: CallbackResult): void {
    entry.result = result;
    if (result.outcome !== 'ok') {
      this.log(
        'warn',
        CoreMessages.callbackTrouble(`Shutdown hook "${entry.hook.name}"`, result.outcome),
        result.error,
      );
    }
    const hook = entry.hook;
    this.host.emit(() => ({
      type: 'hook',
      name: hook.name,
      priority: hook.priority,
      outcome: result.outcome,
      at: Date.now(),
    }));
    if (this.stage === 'finished') return;
    this.runningHooks.delete(entry);
    this.runningCallbacks--;
    if (this.stage === 'hooks' && entry.wave === this.waveCursor) this.pending--;
    this.advance();
  }

  private reasonFor(phase: ShutdownPhase): CancelledError {
    let reason = this.phaseReasons.get(phase);
    if (reason === undefined) {
      // One shared reason per phase: a DOMException or Error per abort would capture a stack each.
      reason = new CancelledError(undefined, { phase, reason: this.reason });
      this.phaseReasons.set(phase, reason);
    }
    return reason;
  }

  private finish(by: 'done' | 'budget' | 'escalate'): void {
    if (this.stage === 'finished') return;
    // First, so that completions triggered below (expired callbacks) cannot re-enter the runner.
    this.stage = 'finished';
    const now = performance.now();
    this.closePhase(by, now);
    this.clearTimers();
    // Whatever still runs is given up on: callbacks time out, tasks are abandoned.
    const given = now - this.phaseStartedAt;
    for (const run of this.cleanupRuns.values()) {
      this.expiredCallbacks++;
      run.expire(given);
    }
    for (const entry of this.runningHooks) {
      this.expiredCallbacks++;
      entry.run?.expire(given);
    }
    const abandoned: string[] = [];
    const abandonReason = new CancelledError(
      'The task was abandoned: the shutdown stopped waiting for it',
      {
        phase: this.phase ?? ShutdownPhase.GRACEFUL,
        reason: this.reason,
      },
    );
    for (const entry of this.plan.tasks) {
      if (entry.record.ended) continue;
      abandoned.push(entry.record.label);
      entry.record.abandon(abandonReason);
    }
    if (abandoned.length > 0) this.log('warn', CoreMessages.abandoned(abandoned));
    this.durationMs = now - this.startedAt;
    this.endedAtIso = new Date().toISOString();
    // On a microtask: Node counts the timer whose callback got us here as alive until it returns.
    queueMicrotask(() => this.conclude());
  }

  private conclude(): void {
    this.lingering = this.host.auditLingering();
    this.concluded = true;
    const report = this.report();
    this.host.progress({ kind: 'stopped' });
    this.host.runnerFinished(report);
    this.done.resolve(report);
  }

  private clearTimers(): void {
    if (this.budgetTimer !== undefined) clearTimeout(this.budgetTimer);
    if (this.drainTimer !== undefined) clearTimeout(this.drainTimer);
    if (this.progressTimer !== undefined) clearInterval(this.progressTimer);
    this.budgetTimer = this.drainTimer = this.progressTimer = undefined;
  }

  private build(durationMs: number, finished = false): ShutdownReport {
    const phases = this.phaseReports.map((p) => ({ ...p }));
    const current = phases[phases.length - 1];
    if (current !== undefined && current.endedBy === undefined) {
      current.elapsedMs = roundMs(performance.now() - this.phaseStartedAt);
    }
    return buildShutdownReport({
      reason: this.reason,
      startedAt: this.startedAtIso,
      endedAt: this.endedAtIso,
      startedAtMs: this.startedAt,
      durationMs: roundMs(durationMs),
      drainMs: roundMs(
        this.phase === undefined ? performance.now() - this.startedAt : this.drainMs,
      ),
      phaseReached: this.phase ?? ShutdownPhase.GRACEFUL,
      finished,
      expiredCallbacks: this.expiredCallbacks,
      phases,
      plan: this.plan,
      lateFailures: this.lateFailures,
      lingering: this.lingering,
      sections: this.host.sections,
    });
  }

  private logProgress(): void {
    const now = performance.now();
    if (this.phase === undefined) {
      this.log('log', CoreMessages.draining(now - this.startedAt, this.host.options.drainDelayMs));
      return;
    }
    const waiting: string[] = [];
    if (this.stage === 'tasks') {
      for (const entry of this.plan.waves[this.waveCursor].tasks)
        if (!entry.waveDone) waiting.push(entry.record.label);
    } else {
      for (const entry of this.plan.tasks)
        if (!entry.record.ended) waiting.push(entry.record.label);
      for (const entry of this.cleanupRuns.keys()) waiting.push(`cleanup of ${entry.record.label}`);
    }
    for (const entry of this.runningHooks) waiting.push(`hook ${entry.hook.name}`);
    this.log(
      'log',
      CoreMessages.progress(
        this.phase,
        now - this.phaseStartedAt,
        budgetOf(this.host.options, this.phase),
        waiting,
      ),
    );
  }

  private log(level: 'log' | 'warn', message: string, error?: unknown): void {
    const logger = this.host.logger;
    if (logger === undefined) return;
    if (error === undefined) logger[level](message);
    else logger[level](`${message}: ${describeError(error)}`);
  }
}
