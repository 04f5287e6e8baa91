import type { INestApplicationContext } from '@nestjs/common';
import { CLOSE_ALLOWANCE_MS, DEFAULT_EXIT_GRACE_MS } from '../async-lifecycle.constants.js';
import { LifecycleMessages } from '../async-lifecycle.messages.js';
import type { LifecycleCoordinator } from '../core/lifecycle-coordinator.js';
import type { LifecycleLogger } from '../core/lifecycle-logger.interface.js';
import { checkDuration, MAX_TIMER_MS, totalBudgetMs } from '../core/lifecycle-options.validator.js';
import { countActiveResources, lingeringSince } from '../core/lingering-resources.js';
import { ShutdownPhase } from '../core/shutdown-phase.enum.js';
import type { ShutdownReport } from '../core/shutdown-report.interface.js';
import { describeError } from '../core/describe.js';
import type { BootstrapTracker } from './bootstrap.tracker.js';
import { guardNestShutdownHooks } from './nest-shutdown-hooks.guard.js';

/**
 * Options of `enableLifecycleShutdown`.
 *
 * @example
 * enableLifecycleShutdown(app, { signals: ['SIGTERM'], exitGraceMs: 2_000 });
 */
export interface LifecycleShutdownOptions {
  /** Default `['SIGTERM', 'SIGINT']`. */
  signals?: string[];
  /**
   * After `app.close()`, how long the process may take to exit on its own before it is made to
   * (something — a timer, a socket — still holds the event loop; it is named in the log).
   * Default 1000.
   */
  exitGraceMs?: number;
}

let activeWatchdogs = 0;

/** Timers this module holds itself, so that the lingering audit does not blame the app for them. */
export function ownHandles(): Record<string, number> {
  return activeWatchdogs > 0 ? { Timeout: activeWatchdogs } : {};
}

/**
 * The exit code `enableLifecycleShutdown` sets for a shutdown's report: **0** when it was
 * `clean` or `forced` and every hook ended ok; **1** when it was `terminated` (something
 * abandoned), a shutdown hook failed or timed out, or there is no report. (A bootstrap that
 * failed, an `app.close()` that threw and the watchdog exit 1 as well.)
 *
 * @example
 * const report = await coordinator.shutdown({ reason: 'SIGTERM' });
 * process.exitCode = exitCodeOf(report);
 */
export function exitCodeOf(report: ShutdownReport | undefined): number {
  if (report === undefined || report.outcome === 'terminated') return 1;
  return report.hooks.some((hook) => hook.outcome !== 'ok') ? 1 : 0;
}

function describeLingering(baseline: ReadonlyMap<string, number>): string {
  return Object.entries(lingeringSince(baseline))
    .map(([type, count]) => `${type} ×${count}`)
    .join(', ');
}

/** What the handler needs besides the application. */
export interface SignalHandlerDeps {
  readonly coordinator: LifecycleCoordinator;
  readonly logger: LifecycleLogger;
  readonly bootstrap: BootstrapTracker;
  /**
   * Persists the report (termination log, `reportFile`) when the watchdog exits before the
   * module could; synchronous, never throws.
   */
  readonly persistSync: (report: ShutdownReport) => void;
}

/**
 * The process side of a shutdown: the first signal runs the phased shutdown — once bootstrap
 * has settled, when it arrives during `app.init()` — then `app.close(signal)`; a second
 * escalates one phase; a third goes to TERMINATE; a fourth exits at once, as does any signal
 * after the application closed. A ref'd watchdog exits if `app.close()` hangs past the budgets,
 * with the report logged and written first; once closed, the exit code is set and an unref'd
 * guard exits a process that something still holds, naming what. A plain `app.close()` removes
 * the listeners (`detach`).
 */
export class ShutdownSignalHandler {
  private received = 0;
  /** Set once the application closed after a signal: later signals exit with it. */
  private exitCode: number | undefined;
  private detached = false;
  private readonly listeners = new Map<string, () => void>();
  private readonly baseline = countActiveResources();
  private readonly exitGraceMs: number;
  private readonly signals: string[];
  private restoreNestHooks: (() => void) | undefined;
  private nestHooksReported = false;

  constructor(
    private readonly app: INestApplicationContext,
    private readonly deps: SignalHandlerDeps,
    options: LifecycleShutdownOptions,
  ) {
    this.signals = [...new Set(options.signals ?? ['SIGTERM', 'SIGINT'])];
    this.exitGraceMs = checkDuration('exitGraceMs', options.exitGraceMs, DEFAULT_EXIT_GRACE_MS);
  }

  listen(): void {
    for (const signal of this.signals) {
      const listener = (): void => this.onSignal(signal);
      process.on(signal, listener);
      this.listeners.set(signal, listener);
    }
    // Nest's enableShutdownHooks() beside this one: its listeners would close the app twice and
    // re-raise the signal (exit 143). Removed now and after any later call; said once.
    this.restoreNestHooks = guardNestShutdownHooks(this.app, this.signals, (signals) => {
      if (this.nestHooksReported) return;
      this.nestHooksReported = true;
      this.deps.logger.warn(LifecycleMessages.nestShutdownHooks(signals));
    });
  }

  /**
   * The application closed without a signal of ours (a plain `app.close()`): nothing of this
   * handler may outlive it — no listener, no patched method — nor act on the closed app.
   */
  detach(): void {
    if (this.received > 0 || this.detached) return;
    this.detached = true;
    this.removeListeners();
    this.restoreNestHooks?.();
    this.deps.bootstrap.dispose();
  }

  private removeListeners(): void {
    for (const [name, listener] of this.listeners) process.removeListener(name, listener);
    this.listeners.clear();
  }

  private onSignal(signal: string): void {
    const { coordinator, logger, bootstrap } = this.deps;
    if (this.detached) return;
    if (this.exitCode !== undefined) {
      // The application is closed and the process on its way out: a signal now ends it, with
      // the code of the shutdown rather than the signal's own 128 + n.
      logger.warn(LifecycleMessages.signalAfterClose(signal, this.exitCode));
      process.exit(this.exitCode);
    }
    this.received++;
    // While bootstrap runs, escalations only count: the shutdown starts after it, at the phase
    // they asked for.
    if (this.received === 1) {
      logger.log(
        bootstrap.pending
          ? LifecycleMessages.signalDuringBootstrap(signal)
          : LifecycleMessages.signalReceived(signal),
      );
      void this.run(signal);
    } else if (this.received === 2) {
      logger.warn(LifecycleMessages.signalEscalate(signal, this.received));
      if (!bootstrap.pending) coordinator.escalate();
    } else if (this.received === 3) {
      logger.warn(LifecycleMessages.signalTerminate(signal));
      if (!bootstrap.pending) void coordinator.shutdown({ phase: ShutdownPhase.TERMINATE });
    } else {
      logger.error(LifecycleMessages.signalExitNow(signal));
      process.exit(
        typeof process.exitCode === 'number' && process.exitCode !== 0 ? process.exitCode : 1,
      );
    }
  }

  /** The phase the shutdown starts in: signals received during bootstrap escalated it. */
  private startPhase(): ShutdownPhase | undefined {
    if (this.received >= 3) return ShutdownPhase.TERMINATE;
    return this.received === 2 ? ShutdownPhase.FORCEFUL : undefined;
  }

  private async run(signal: string): Promise<void> {
    const { coordinator, logger, bootstrap } = this.deps;
    // Bounded: budgets are validated so that their sum fits a timer, the allowance may not. It
    // counts from the signal, bootstrap included: the orchestrator's grace period does too.
    const limit = Math.min(totalBudgetMs(coordinator.options) + CLOSE_ALLOWANCE_MS, MAX_TIMER_MS);
    // Ref'd: the process must not slip away mid-shutdown, nor hang in app.close() forever.
    const watchdog = setTimeout(() => this.closeTimedOut(limit), limit);
    activeWatchdogs++;
    let exitCode = 1;
    try {
      // Bootstrap over: the shutdown starts inside the signal listener itself, not a microtask
      // later — the SIGTERM listeners after this one (the app's, a library's) already find
      // readiness down and the shutdown begun.
      const started = bootstrap.pending ? undefined : this.startShutdown(signal);
      const outcome = await bootstrap.done;
      if (outcome.failed) {
        logger.error(LifecycleMessages.bootstrapFailed(signal, describeError(outcome.error)));
      }
      await (started ?? this.startShutdown(signal));
      // The public interface types close() without arguments; Nest's implementation takes the
      // signal and hands it to beforeApplicationShutdown / onApplicationShutdown.
      await (this.app as unknown as { close(signal?: string): Promise<void> }).close(signal);
      exitCode = outcome.failed ? 1 : exitCodeOf(coordinator.getReport());
    } catch (error) {
      logger.error(LifecycleMessages.closeFailed(describeError(error)));
    } finally {
      clearTimeout(watchdog);
      activeWatchdogs--;
      this.restoreNestHooks?.();
      this.exitCode = exitCode;
      process.exitCode = exitCode;
    }
    logger.log(LifecycleMessages.closedAfterSignal(signal, exitCode));
    // Unref'd: a process that nothing holds exits before this fires. The listeners stay until
    // then: a signal in between exits with this code, not by the signal.
    setTimeout(() => {
      logger.warn(LifecycleMessages.watchdog(this.exitGraceMs, describeLingering(this.baseline)));
      process.exit(exitCode);
    }, this.exitGraceMs).unref();
  }

  private startShutdown(signal: string): Promise<ShutdownReport> {
    return this.deps.coordinator.shutdown({ reason: signal, phase: this.startPhase() });
  }

  /**
   * `app.close()` is still running past the budgets (a provider's onModuleDestroy that hangs, a
   * server that does not close): the process exits — after the report, which the module would
   * have finished at onApplicationShutdown, is logged and written.
   */
  private closeTimedOut(limit: number): void {
    const { coordinator, logger, persistSync, bootstrap } = this.deps;
    try {
      const lingering = describeLingering(this.baseline);
      logger.error(
        bootstrap.pending
          ? LifecycleMessages.bootstrapTimedOut(limit, lingering)
          : LifecycleMessages.closeTimedOut(limit, lingering),
      );
      const report = coordinator.completeReport(ownHandles());
      if (report !== undefined) persistSync(report);
    } finally {
      // Whatever the report did: the process ends now.
      process.exit(1);
    }
  }
}
