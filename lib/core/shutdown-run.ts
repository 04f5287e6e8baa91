import { CancelledError } from './cancelled.error.js';
import { DeadlineRun, type CallbackResult } from './deadline-run.js';
import { createDeferred } from './deferred.js';
import { describeError } from './describe.js';
import type { IntakeReports } from './intake.interface.js';
import type { LifecycleEvent } from './lifecycle-event.interface.js';
import type { LifecycleLogger } from './lifecycle-logger.interface.js';
import type { ResolvedLifecycleOptions } from './lifecycle-options.interface.js';
import { CoreMessages } from './lifecycle.messages.js';
import { ShutdownPhase, PHASE_ORDER } from './shutdown-phase.enum.js';
import {
  admitToPlan,
  priorityWave,
  taskEntryOf,
  type HookEntry,
  type ShutdownPlan,
  type TaskEntry,
} from './shutdown-plan.js';
import type { DrainReport, PhaseReport, ShutdownReport } from './shutdown-report.interface.js';
import {
  buildProbeReport,
  buildShutdownReport,
  roundMs,
  type ProbeReport,
  type ReportInput,
} from './shutdown-report.js';
import type { TaskContext } from './task.interface.js';
import type { TaskRecord } from './task-record.js';
import type { TaskPriority } from './task-priority.enum.js';

/** The steps of a shutdown an intake hears of (DESIGN §4 "Intakes"). */
export type IntakeStep = 'started' | 'closed' | 'forceful' | 'ended';

/** What a run needs from the coordinator that started it. */
export interface RunHost {
  readonly options: ResolvedLifecycleOptions;
  /** Already guarded: a logger that throws cannot break the run. */
  readonly logger: LifecycleLogger | undefined;
  emit(build: () => LifecycleEvent): void;
  /** Tells every intake of a step; an intake that throws is logged and skipped. */
  intakeStep(step: IntakeStep): void;
  intakeReports(): IntakeReports;
  auditLingering(): Record<string, number>;
  runEnded(report: ShutdownReport): void;
}

/** The phases in which waves run; TERMINATE has none. */
type WavePhase = ShutdownPhase.GRACEFUL | ShutdownPhase.FORCEFUL;

/**
 * Where a run is — the only state that moves it on:
 * drain → wave 0 (tasks → hooks) → wave 1 … → settle → finished, or → terminate → finished.
 */
type Stage =
  | { readonly kind: 'drain' }
  | {
      readonly kind: 'wave';
      readonly phase: WavePhase;
      readonly index: number;
      readonly step: 'tasks' | 'hooks';
      /** Entries of this step that still hold the wave up. */
      pending: number;
    }
  /** Every wave is over; waiting for tasks admitted late and for cleanups still running. */
  | { readonly kind: 'settle'; readonly phase: WavePhase }
  | { readonly kind: 'terminate' }
  | { readonly kind: 'finished'; readonly phase: ShutdownPhase };

type EndedBy = 'done' | 'budget' | 'escalate';

function budgetOf(options: ResolvedLifecycleOptions, phase: ShutdownPhase): number {
  if (phase === ShutdownPhase.GRACEFUL) return options.gracefulMs;
  if (phase === ShutdownPhase.FORCEFUL) return options.forcefulMs;
  return options.terminateMs;
}

/** What a shutdown hook's function sees as its task context. */
class HookContext implements TaskContext {
  constructor(
    readonly entry: HookEntry,
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
  get stopping(): boolean {
    return this.run.stopping;
  }
  get stopped(): Promise<unknown> {
    return this.run.stopped;
  }
}

/**
 * One shutdown, from its first instant to its report: the drain, then GRACEFUL → FORCEFUL →
 * TERMINATE, wave by wave. It is the sole owner of that shutdown's state — its plan (waves and
 * entries), timers, running hooks and the cleanups it waits for; task records only tell it that
 * they ended. Progress is driven by counters updated from completions — no promise per task — so
 * a wave of 100k tasks costs one pass to signal and one decrement per task.
 */
export class ShutdownRun {
  readonly #host: RunHost;
  readonly #plan: ShutdownPlan;
  readonly #reason: string;
  readonly #done = createDeferred<ShutdownReport>();
  readonly #startedAt = performance.now();
  readonly #startedAtIso = new Date().toISOString();
  #stage: Stage = { kind: 'drain' };
  #endedAtIso: string | undefined;
  #durationMs = 0;
  #phaseStartedAt = 0;
  readonly #phaseReports: PhaseReport[] = [];
  readonly #drain: DrainReport = { endedBy: 'none', durationMs: 0, arrivals: 0 };
  #lastArrivalAt: number;
  /** Tasks of the plan that have not ended. */
  #runningTasks = 0;
  /** Entries whose cleanup will run or is running (the task ended, or was forced). */
  readonly #awaitingCleanup = new Set<TaskEntry>();
  readonly #runningHooks = new Set<HookEntry>();
  #budgetTimer: ReturnType<typeof setTimeout> | undefined;
  #drainTimer: ReturnType<typeof setTimeout> | undefined;
  #progressTimer: ReturnType<typeof setInterval> | undefined;
  #advancing = false;
  #advanceAgain = false;
  /** Escalations asked for while a pass ran (from a cleanup or hook): applied after it. */
  #queuedEscalations = 0;
  #expiredCallbacks = 0;
  readonly #phaseReasons = new Map<ShutdownPhase, CancelledError>();
  readonly #lateFailures: { name: string; error: string }[] = [];
  #lingering: Record<string, number> = {};
  #concluded = false;

  constructor(host: RunHost, plan: ShutdownPlan, reason: string) {
    this.#host = host;
    this.#plan = plan;
    this.#reason = reason;
    this.#lastArrivalAt = this.#startedAt;
    // Counted by the plan as it was made: no pass over every task here.
    this.#runningTasks = plan.running;
    // A task that ended just before the shutdown may still be cleaning up: wait for it too.
    for (const entry of plan.cleaningUp) this.#awaitingCleanup.add(entry);
  }

  /** Resolves with the final report. */
  get done(): Promise<ShutdownReport> {
    return this.#done.promise;
  }

  get reason(): string {
    return this.#reason;
  }

  /** The phase now; `undefined` while draining. */
  get phase(): ShutdownPhase | undefined {
    const stage = this.#stage;
    switch (stage.kind) {
      case 'drain':
        return undefined;
      case 'terminate':
        return ShutdownPhase.TERMINATE;
      default:
        return stage.phase;
    }
  }

  /** The shutdown is over and its report final. */
  get finished(): boolean {
    return this.#concluded;
  }

  begin(startPhase: ShutdownPhase | undefined): void {
    this.#log(
      'log',
      CoreMessages.shutdownStarted(this.#reason, this.#plan.tasks.length, this.#plan.hooks.length),
    );
    const interval = this.#host.options.progressIntervalMs;
    if (interval > 0) {
      this.#progressTimer = setInterval(() => this.#logProgress(), interval);
      // The budget timers hold the event loop; the progress line alone must not.
      this.#progressTimer.unref();
    }
    this.#host.intakeStep('started');
    if (startPhase !== undefined && startPhase !== ShutdownPhase.GRACEFUL) {
      this.#endDrain('escalate');
      this.#enter(startPhase, 'start');
    } else if (this.#host.options.drain.maxMs === 0) {
      this.#endDrain('none');
      this.#enter(ShutdownPhase.GRACEFUL, 'start');
    } else {
      this.#checkDrain();
    }
  }

  /** Jump to the next phase now; in TERMINATE, stop waiting at once. */
  escalate(by: 'budget' | 'escalate' = 'escalate'): void {
    if (this.#advancing) {
      // Asked from inside a pass (a cleanup or hook calling escalate()): applied once the pass
      // ends, so that no batch keeps running in a phase that is already over.
      this.#queuedEscalations++;
      return;
    }
    const stage = this.#stage;
    switch (stage.kind) {
      case 'finished':
        return;
      case 'drain':
        // The drain counts as the start of GRACEFUL: escalating leaves it for FORCEFUL.
        this.#endDrain('escalate');
        this.#enter(ShutdownPhase.FORCEFUL, by);
        return;
      case 'terminate':
        this.#finish(by);
        return;
      default:
        this.#enter(
          stage.phase === ShutdownPhase.GRACEFUL ? ShutdownPhase.FORCEFUL : ShutdownPhase.TERMINATE,
          by,
        );
    }
  }

  /** Escalate until at least `phase` (a later `shutdown({ phase })` call). */
  escalateTo(phase: ShutdownPhase): void {
    const target = PHASE_ORDER.indexOf(phase);
    while (
      this.#stage.kind !== 'finished' &&
      PHASE_ORDER.indexOf(this.phase ?? ShutdownPhase.GRACEFUL) < target
    ) {
      this.escalate();
    }
  }

  /**
   * Whether a unit of work of `priority` admitted now can still join the shutdown: its wave has
   * not ended (an HTTP request on a connection the load balancer still uses).
   */
  canAdmit(priority: TaskPriority): boolean {
    const stage = this.#stage;
    if (stage.kind === 'drain') return true;
    if (stage.kind !== 'wave') return false;
    const wave = priorityWave(priority);
    return stage.step === 'tasks' ? wave >= stage.index : wave > stage.index;
  }

  /**
   * Adds a task created during the shutdown to its priority's wave, before it starts: counted
   * first (it may end synchronously); when its wave is already stopping it is waited for at once
   * — and signalled from its first line unless it drains during GRACEFUL.
   *
   * `nested`: work in flight (a task or hook still running) started it — a call its caller
   * awaits. It joins the later of its own wave and the current one, whatever the stage: refusing
   * it would fail work the shutdown has accepted.
   */
  admit(record: TaskRecord, nested = false): void {
    const stage = this.#stage;
    const entry = admitToPlan(this.#plan, record, nested ? this.#currentWave() : 0);
    this.#runningTasks++;
    const now = performance.now();
    if (stage.kind === 'wave' && stage.step === 'tasks' && entry.wave === stage.index) {
      stage.pending++;
      this.#beginStop(entry, stage.phase, now);
    } else if (stage.kind === 'settle' && nested) {
      this.#beginStop(entry, stage.phase, now);
    } else if (stage.kind === 'terminate') {
      this.#signal(entry, this.#reasonFor(ShutdownPhase.TERMINATE));
    }
  }

  /** Whether `ctx` is the context of a hook this run is running now. */
  runsHook(ctx: TaskContext | undefined): boolean {
    return ctx instanceof HookContext && this.#runningHooks.has(ctx.entry);
  }

  /** A new connection or request arrived: the measured drain stays open for `quietMs` more. */
  noteArrival(): void {
    if (this.#stage.kind !== 'drain') return;
    this.#drain.arrivals++;
    this.#lastArrivalAt = performance.now();
  }

  taskEnded(record: TaskRecord): void {
    const entry = taskEntryOf(this.#plan, record);
    if (entry === undefined || this.#stage.kind === 'finished') return;
    this.#runningTasks--;
    entry.endedAt = performance.now();
    entry.endedIn = this.phase;
    const current = this.#phaseReports[this.#phaseReports.length - 1];
    if (current !== undefined) current.ended++;
    // Counted before the record starts its cleanup, which may end synchronously.
    if (!record.cleanupDone) this.#awaitingCleanup.add(entry);
    this.#checkWaveDone(entry);
    // Most ends leave their wave still waiting: no pass is needed to learn that nothing moves.
    const stage = this.#stage;
    if (stage.kind === 'wave' && stage.pending > 0 && this.#queuedEscalations === 0) return;
    this.#advance();
  }

  cleanupEnded(record: TaskRecord, result: CallbackResult): void {
    const entry = taskEntryOf(this.#plan, record);
    if (entry === undefined) return;
    entry.cleanup = result;
    if (this.#stage.kind === 'finished') return;
    this.#awaitingCleanup.delete(entry);
    this.#checkWaveDone(entry);
    this.#advance();
  }

  lateFailure(name: string, error: unknown): void {
    this.#lateFailures.push({ name, error: describeError(error) });
    this.#log('warn', CoreMessages.lateFailure(name), error);
  }

  /**
   * The report so far, or the final one with the late failures that came after it. Built anew
   * each call: a fresh copy without cloning.
   */
  report(): ShutdownReport {
    return this.#concluded
      ? this.#build(this.#durationMs, true)
      : this.#build(performance.now() - this.#startedAt, false);
  }

  /** The report as a readiness probe shows it: at most `rows` rows, running tasks counted. */
  probeReport(rows: number): ProbeReport {
    const durationMs = this.#concluded ? this.#durationMs : performance.now() - this.#startedAt;
    return buildProbeReport({
      ...this.#input(durationMs, this.#concluded),
      probeRows: rows,
    });
  }

  /**
   * Re-reads the handles alive now (after the application closed) into the final report, less
   * `own` — handles the caller knows it holds itself (a watchdog timer).
   */
  refreshLingering(own: Readonly<Record<string, number>> = {}): void {
    const lingering: Record<string, number> = {};
    for (const [type, count] of Object.entries(this.#host.auditLingering())) {
      const left = count - (own[type] ?? 0);
      if (left > 0) lingering[type] = left;
    }
    this.#lingering = lingering;
  }

  /** The wave stopping now (the last one once every wave is over); 0 while draining. */
  #currentWave(): number {
    const stage = this.#stage;
    if (stage.kind === 'wave') return stage.index;
    return stage.kind === 'drain' ? 0 : Math.max(0, this.#plan.waves.length - 1);
  }

  // The drain

  /** Ends the drain once it is quiet (after `minMs`) or at `maxMs`; else looks again later. */
  #checkDrain(): void {
    this.#drainTimer = undefined;
    if (this.#stage.kind !== 'drain') return;
    const { minMs, maxMs, quietMs } = this.#host.options.drain;
    const now = performance.now();
    const elapsed = now - this.#startedAt;
    const quietFor = now - this.#lastArrivalAt;
    if (elapsed >= maxMs) {
      this.#endDrain('max');
    } else if (elapsed >= minMs && quietFor >= quietMs) {
      this.#endDrain('quiet');
    } else {
      const next = Math.min(
        maxMs,
        Math.max(minMs, this.#lastArrivalAt - this.#startedAt + quietMs),
      );
      // Ref'd: the shutdown must go on whatever else holds the loop.
      this.#drainTimer = setTimeout(() => this.#checkDrain(), Math.max(1, next - elapsed));
      return;
    }
    this.#enter(ShutdownPhase.GRACEFUL, 'start');
  }

  #endDrain(endedBy: DrainReport['endedBy']): void {
    if (this.#drainTimer !== undefined) clearTimeout(this.#drainTimer);
    this.#drainTimer = undefined;
    this.#drain.endedBy = endedBy;
    this.#drain.durationMs = roundMs(performance.now() - this.#startedAt);
    if (this.#drain.arrivals > 0) {
      this.#drain.lastArrivalMs = roundMs(this.#lastArrivalAt - this.#startedAt);
    }
    // The load balancer has had its time: intake closes before the first wave is signalled.
    this.#host.intakeStep('closed');
  }

  // Phases and waves

  #enter(phase: ShutdownPhase, by: 'start' | 'budget' | 'escalate'): void {
    const now = performance.now();
    this.#closePhase(by === 'start' ? 'done' : by, now);
    const previous = this.#stage;
    this.#phaseStartedAt = now;
    const budgetMs = budgetOf(this.#host.options, phase);
    this.#phaseReports.push({ phase, budgetMs, elapsedMs: 0, ended: 0 });
    if (this.#budgetTimer !== undefined) clearTimeout(this.#budgetTimer);
    // Ref'd on purpose: a shutdown whose tasks wait on nothing must still reach its end.
    this.#budgetTimer = setTimeout(() => {
      this.#budgetTimer = undefined;
      this.escalate('budget');
    }, budgetMs);
    this.#host.emit(() => ({ type: 'phase', phase, by, at: Date.now() }));
    this.#log(
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

    // Inside the guard: a cleanup or hook that completes synchronously must not let the run
    // conclude before the rest of the batch has started.
    this.#advance(() => {
      if (phase === ShutdownPhase.TERMINATE) {
        this.#terminateAll();
        return;
      }
      if (previous.kind === 'drain') {
        this.#startWave(0, phase);
      } else if (previous.kind === 'wave') {
        this.#stage = { ...previous, phase };
        if (previous.step === 'tasks') this.#forceWave(previous.index);
      } else if (previous.kind === 'settle') {
        this.#stage = { kind: 'settle', phase };
      }
      if (phase === ShutdownPhase.FORCEFUL) this.#host.intakeStep('forceful');
    });
  }

  /**
   * FORCEFUL reached a wave still stopping: tasks that were draining have their signal aborted
   * now, then every task still running has its cleanup run without waiting for it (the cleanup
   * is expected to release what the task is blocked on).
   */
  #forceWave(index: number): void {
    const entries = this.#plan.waves[index].tasks;
    const reason = this.#reasonFor(ShutdownPhase.FORCEFUL);
    // Every abort first, so that listeners run before any cleanup takes resources away.
    for (const entry of entries) {
      if (!entry.waveDone && !entry.record.ended && !entry.signalled) this.#signal(entry, reason);
    }
    for (const entry of entries) {
      if (!entry.waveDone && !entry.record.ended) this.#force(entry);
    }
  }

  #closePhase(endedBy: EndedBy, now: number): void {
    const current = this.#phaseReports[this.#phaseReports.length - 1];
    if (current === undefined || current.endedBy !== undefined) return;
    current.elapsedMs = roundMs(now - this.#phaseStartedAt);
    current.endedBy = endedBy;
  }

  #terminateAll(): void {
    this.#stage = { kind: 'terminate' };
    this.#host.intakeStep('forceful');
    const reason = this.#reasonFor(ShutdownPhase.TERMINATE);
    const { tasks, hooks } = this.#plan;
    for (const entry of tasks) {
      if (!entry.record.ended && !entry.signalled) this.#signal(entry, reason);
    }
    for (const entry of tasks) if (!entry.record.ended) this.#force(entry);
    for (const entry of hooks) if (entry.run === undefined) this.#startHook(entry);
  }

  /**
   * Runs `batch` (work that may complete synchronously), then moves through waves as far as
   * completions allow. Re-entrant calls from synchronous callbacks only ask for another pass.
   */
  #advance(batch?: () => void): void {
    if (this.#advancing) {
      batch?.();
      this.#advanceAgain = true;
      return;
    }
    this.#advancing = true;
    try {
      batch?.();
      do {
        this.#advanceAgain = false;
        this.#step();
      } while (this.#advanceAgain);
    } finally {
      this.#advancing = false;
    }
    // Escalations asked for during the pass, each applied with a pass of its own.
    while (this.#queuedEscalations > 0 && this.#stage.kind !== 'finished') {
      this.#queuedEscalations--;
      this.escalate();
    }
    if (this.#stage.kind === 'finished') this.#queuedEscalations = 0;
  }

  #step(): void {
    for (;;) {
      const stage = this.#stage;
      switch (stage.kind) {
        case 'drain':
        case 'finished':
          return;
        case 'terminate':
        case 'settle':
          if (
            this.#runningTasks === 0 &&
            this.#awaitingCleanup.size === 0 &&
            this.#runningHooks.size === 0
          ) {
            this.#finish('done');
          }
          return;
        case 'wave':
          if (stage.pending > 0) return;
          if (stage.step === 'tasks') this.#startHooks(stage.index, stage.phase);
          else this.#startWave(stage.index + 1, stage.phase);
          continue;
      }
    }
  }

  /** Starts stopping the tasks of wave `index` — or settles when there is none left. */
  #startWave(index: number, phase: WavePhase): void {
    const wave = this.#plan.waves[index];
    if (wave === undefined) {
      this.#stage = { kind: 'settle', phase };
      return;
    }
    // Count first, then signal: a completion during signalling must find the count in place.
    let pending = 0;
    for (const entry of wave.tasks) if (!entry.waveDone) pending++;
    this.#stage = { kind: 'wave', phase, index, step: 'tasks', pending };
    this.#host.emit(() => ({
      type: 'wave',
      wave: index,
      phase,
      tasks: wave.tasks.length,
      hooks: wave.hooks.length,
      at: Date.now(),
    }));
    const now = performance.now();
    // One reason and one clock reading for the whole wave: this loop runs once per task.
    const reason = this.#reasonFor(phase);
    for (const entry of wave.tasks) {
      if (!entry.record.ended) this.#beginStop(entry, phase, now, reason);
    }
  }

  /** Its wave reached it: abort it, or — draining during GRACEFUL — just wait for it. */
  #beginStop(
    entry: TaskEntry,
    phase: WavePhase,
    now: number,
    reason: CancelledError = this.#reasonFor(phase),
  ): void {
    entry.stopStartedAt ??= now;
    if (phase !== ShutdownPhase.GRACEFUL || !entry.record.drains) {
      entry.signalled = true;
      entry.record.requestCancel(reason);
    }
  }

  #startHooks(index: number, phase: WavePhase): void {
    const hooks = this.#plan.waves[index].hooks;
    let pending = 0;
    for (const entry of hooks) if (entry.run === undefined) pending++;
    this.#stage = { kind: 'wave', phase, index, step: 'hooks', pending };
    for (const entry of hooks) if (entry.run === undefined) this.#startHook(entry);
  }

  #signal(entry: TaskEntry, reason: CancelledError): void {
    entry.signalled = true;
    entry.stopStartedAt ??= performance.now();
    entry.record.requestCancel(reason);
  }

  /** Runs the task's cleanup now, without waiting for the task: FORCEFUL and TERMINATE. */
  #force(entry: TaskEntry): void {
    if (this.#stage.kind === 'finished') return;
    entry.forced = true;
    // Counted before it starts: a synchronous cleanup ends inside forceCleanup().
    if (!entry.record.cleanupDone) this.#awaitingCleanup.add(entry);
    entry.record.forceCleanup();
    this.#checkWaveDone(entry);
  }

  #checkWaveDone(entry: TaskEntry): void {
    if (entry.waveDone) return;
    const record = entry.record;
    if (!(record.ended || entry.forced) || !record.cleanupDone) return;
    entry.waveDone = true;
    const stage = this.#stage;
    if (stage.kind === 'wave' && stage.step === 'tasks' && entry.wave === stage.index) {
      stage.pending--;
    }
  }

  #startHook(entry: HookEntry): void {
    // A hook that escalated to the end must not let the next one start after the report.
    if (this.#stage.kind === 'finished') return;
    const hook = entry.hook;
    this.#runningHooks.add(entry);
    entry.startedAt = performance.now();
    this.#host.emit(() => ({
      type: 'hook',
      name: hook.name,
      priority: hook.priority,
      at: Date.now(),
    }));
    const run = new DeadlineRun({
      timeoutMs: hook.timeoutMs,
      what: `shutdown hook "${hook.name}"`,
      onDone: (result) => this.#hookEnded(entry, result),
      onLateFailure: (error) => this.lateFailure(`hook ${hook.name}`, error),
    });
    entry.run = run;
    const context = new HookContext(entry, hook.name, hook.priority, run);
    // The hook sees its own context through currentTask(); its signal is its deadline's.
    run.start(() => hook.fn(context), context);
  }

  #hookEnded(entry: HookEntry, result: CallbackResult): void {
    entry.result = result;
    const hook = entry.hook;
    if (result.outcome !== 'ok') {
      this.#log(
        'warn',
        CoreMessages.callbackTrouble(`Shutdown hook "${hook.name}"`, result.outcome),
        result.error,
      );
    }
    this.#host.emit(() => ({
      type: 'hook',
      name: hook.name,
      priority: hook.priority,
      outcome: result.outcome,
      at: Date.now(),
    }));
    if (this.#stage.kind === 'finished') return;
    this.#runningHooks.delete(entry);
    const stage = this.#stage;
    if (stage.kind === 'wave' && stage.step === 'hooks' && entry.wave === stage.index) {
      stage.pending--;
    }
    this.#advance();
  }

  #reasonFor(phase: ShutdownPhase): CancelledError {
    let reason = this.#phaseReasons.get(phase);
    if (reason === undefined) {
      // One shared reason per phase: a DOMException or Error per abort would capture a stack each.
      reason = new CancelledError(undefined, { phase, reason: this.#reason });
      this.#phaseReasons.set(phase, reason);
    }
    return reason;
  }

  // The end

  #finish(by: EndedBy): void {
    if (this.#stage.kind === 'finished') return;
    // First, so that completions triggered below (expired callbacks) cannot re-enter the run.
    const phase = this.phase ?? ShutdownPhase.GRACEFUL;
    this.#stage = { kind: 'finished', phase };
    const now = performance.now();
    this.#closePhase(by, now);
    this.#clearTimers();
    // Whatever still runs is given up on: callbacks time out, tasks are abandoned.
    const given = now - this.#phaseStartedAt;
    for (const entry of this.#awaitingCleanup) {
      if (!entry.record.cleanupRunning) continue;
      this.#expiredCallbacks++;
      entry.record.expireCleanup(given);
    }
    for (const entry of this.#runningHooks) {
      this.#expiredCallbacks++;
      entry.run?.expire(given);
    }
    const abandoned: string[] = [];
    const abandonReason = new CancelledError(
      'The task was abandoned: the shutdown stopped waiting for it',
      { phase, reason: this.#reason },
    );
    // Only a shutdown that gave up on something walks its tasks again.
    if (this.#runningTasks > 0) {
      for (const entry of this.#plan.tasks) {
        if (entry.record.ended) continue;
        abandoned.push(entry.record.label);
        entry.record.abandon(abandonReason);
      }
    }
    if (abandoned.length > 0) this.#log('warn', CoreMessages.abandoned(abandoned));
    this.#durationMs = now - this.#startedAt;
    this.#endedAtIso = new Date().toISOString();
    // On a microtask: Node counts the timer whose callback got us here as alive until it returns.
    queueMicrotask(() => this.#conclude());
  }

  #conclude(): void {
    this.#lingering = this.#host.auditLingering();
    this.#concluded = true;
    this.#host.intakeStep('ended');
    const report = this.report();
    this.#host.runEnded(report);
    this.#done.resolve(report);
  }

  #clearTimers(): void {
    if (this.#budgetTimer !== undefined) clearTimeout(this.#budgetTimer);
    if (this.#drainTimer !== undefined) clearTimeout(this.#drainTimer);
    if (this.#progressTimer !== undefined) clearInterval(this.#progressTimer);
    this.#budgetTimer = this.#drainTimer = this.#progressTimer = undefined;
  }

  #build(durationMs: number, finished: boolean): ShutdownReport {
    return buildShutdownReport(this.#input(durationMs, finished));
  }

  #input(durationMs: number, finished: boolean): ReportInput {
    const phases = this.#phaseReports.map((p) => ({ ...p }));
    const current = phases[phases.length - 1];
    if (current !== undefined && current.endedBy === undefined) {
      current.elapsedMs = roundMs(performance.now() - this.#phaseStartedAt);
    }
    const drain = { ...this.#drain };
    if (this.#stage.kind === 'drain') {
      drain.durationMs = roundMs(performance.now() - this.#startedAt);
      if (drain.arrivals > 0) drain.lastArrivalMs = roundMs(this.#lastArrivalAt - this.#startedAt);
    }
    return {
      reason: this.#reason,
      startedAt: this.#startedAtIso,
      endedAt: this.#endedAtIso,
      startedAtMs: this.#startedAt,
      durationMs: roundMs(durationMs),
      drain,
      phaseReached: this.phase ?? ShutdownPhase.GRACEFUL,
      finished,
      expiredCallbacks: this.#expiredCallbacks,
      phases,
      plan: this.#plan,
      lateFailures: this.#lateFailures,
      lingering: this.#lingering,
      intakes: this.#host.intakeReports(),
    };
  }

  #logProgress(): void {
    const now = performance.now();
    const stage = this.#stage;
    if (stage.kind === 'drain') {
      this.#log(
        'log',
        CoreMessages.draining(now - this.#startedAt, this.#host.options.drain.maxMs),
      );
      return;
    }
    const waiting: string[] = [];
    if (stage.kind === 'wave' && stage.step === 'tasks') {
      for (const entry of this.#plan.waves[stage.index].tasks)
        if (!entry.waveDone) waiting.push(entry.record.label);
    } else {
      for (const entry of this.#plan.tasks)
        if (!entry.record.ended) waiting.push(entry.record.label);
      for (const entry of this.#awaitingCleanup) waiting.push(`cleanup of ${entry.record.label}`);
    }
    for (const entry of this.#runningHooks) waiting.push(`hook ${entry.hook.name}`);
    const phase = this.phase ?? ShutdownPhase.GRACEFUL;
    this.#log(
      'log',
      CoreMessages.progress(
        phase,
        now - this.#phaseStartedAt,
        budgetOf(this.#host.options, phase),
        waiting,
      ),
    );
  }

  #log(level: 'log' | 'warn', message: string, error?: unknown): void {
    const logger = this.#host.logger;
    if (logger === undefined) return;
    if (error === undefined) logger[level](message);
    else logger[level](`${message}: ${describeError(error)}`);
  }
}
