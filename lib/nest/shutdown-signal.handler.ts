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

/** 0 for a clean or forced shutdown; 1 when tasks were abandoned or a hook failed or hung. */
export function exitCodeOf(report: ShutdownReport | undefined): number {
  if (report === undefined || report.outcome === 'terminated') return 1;
  return report.hooks.some((hook) => hook.outcome !== 'ok') ? 1 : 0;
}

function describeLingering(baseline: ReadonlyMap<string, number>): string {
  return Object.entries(lingeringSince(baseline))
    .map(([type, count]) => `${type} ×${count}`)
    .join(', ');
}

/**
 * The process side of a shutdown: the first signal runs the phased shutdown, then
 * `app.close(signal)`; a second escalates one phase; a third goes to TERMINATE; a fourth exits
 * at once. A ref'd watchdog exits if `app.close()` hangs past the budgets; once closed, the
 * listeners are removed, the exit code is set, and an unref'd guard exits a process that
 * something still holds, naming what.
 */
export class ShutdownSignalHandler {
  private received = 0;
  private readonly listeners = new Map<string, () => void>();
  private readonly baseline = countActiveResources();
  private readonly exitGraceMs: number;
  private readonly signals: string[];

  constructor(
    private readonly app: INestApplicationContext,
    private readonly coordinator: LifecycleCoordinator,
    private readonly logger: LifecycleLogger,
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
  }

  private onSignal(signal: string): void {
    this.received++;
    if (this.received === 1) {
      this.logger.log(LifecycleMessages.signalReceived(signal));
      void this.run(signal);
    } else if (this.received === 2) {
      this.logger.warn(LifecycleMessages.signalEscalate(signal, this.received));
      this.coordinator.escalate();
    } else if (this.received === 3) {
      this.logger.warn(LifecycleMessages.signalTerminate(signal));
      void this.coordinator.shutdown({ phase: ShutdownPhase.TERMINATE });
    } else {
      this.logger.error(LifecycleMessages.signalExitNow(signal));
      process.exit(
        typeof process.exitCode === 'number' && process.exitCode !== 0 ? process.exitCode : 1,
      );
    }
  }

  private async run(signal: string): Promise<void> {
    // Bounded: budgets are validated so that their sum fits a timer, the allowance may not.
    const limit = Math.min(
      totalBudgetMs(this.coordinator.options) + CLOSE_ALLOWANCE_MS,
      MAX_TIMER_MS,
    );
    // Ref'd: the process must not slip away mid-shutdown, nor hang in app.close() forever.
    const watchdog = setTimeout(() => {
      this.logger.error(LifecycleMessages.closeTimedOut(limit, describeLingering(this.baseline)));
      process.exit(1);
    }, limit);
    activeWatchdogs++;
    let exitCode = 1;
    try {
      await this.coordinator.shutdown({ reason: signal });
      // The public interface types close() without arguments; Nest's implementation takes the
      // signal and hands it to beforeApplicationShutdown / onApplicationShutdown.
      await (this.app as unknown as { close(signal?: string): Promise<void> }).close(signal);
      exitCode = exitCodeOf(this.coordinator.getReport());
    } catch (error) {
      this.logger.error(LifecycleMessages.closeFailed(describeError(error)));
    } finally {
      clearTimeout(watchdog);
      activeWatchdogs--;
      for (const [name, listener] of this.listeners) process.removeListener(name, listener);
      this.listeners.clear();
      process.exitCode = exitCode;
    }
    // Unref'd: a process that nothing holds exits before this fires.
    setTimeout(() => {
      this.logger.warn(
        LifecycleMessages.watchdog(this.exitGraceMs, describeLingering(this.baseline)),
      );
      process.exit(exitCode);
    }, this.exitGraceMs).unref();
  }
}
