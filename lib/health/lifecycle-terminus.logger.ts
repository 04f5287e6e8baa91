import { Inject, Injectable, Logger, type LoggerService } from '@nestjs/common';
import { LifecycleCoordinator } from '../core/lifecycle-coordinator.js';
import { LifecycleState } from '../core/lifecycle-state.enum.js';

/** How Terminus' `HealthCheckService` starts the line it logs for every failed check. */
const CHECK_FAILED = 'Health Check has failed!';

/** The context Terminus gives its own logger. */
const CONTEXT = 'HealthCheckService';

/**
 * A logger for `@nestjs/terminus` that keeps probes quiet while the application shuts down.
 * Terminus logs `ERROR Health Check has failed!` with the whole result (the shutdown report
 * included: ~1 KB) on every failed check — and from the first instant of a shutdown the
 * readiness check fails on purpose, every probe, every rollout. With this logger such a failure
 * is said once per phase of the shutdown (drain, graceful, …, stopped), as a plain log line;
 * failures while the application runs are logged as ERRORs as before, and everything else
 * Terminus logs goes through unchanged, to the application's logger (Nest's `Logger`).
 *
 * @example
 * TerminusModule.forRoot({ logger: LifecycleTerminusLogger })
 * // forRootAsync takes an instance:
 * TerminusModule.forRootAsync({
 *   inject: [LifecycleCoordinator],
 *   useFactory: (coordinator: LifecycleCoordinator) => ({
 *     logger: new LifecycleTerminusLogger(coordinator),
 *   }),
 * })
 */
@Injectable()
export class LifecycleTerminusLogger implements LoggerService {
  private readonly logger = new Logger(CONTEXT);
  /** The step of the shutdown last said; a failure in another step is said once more. */
  private said: string | undefined;

  constructor(@Inject(LifecycleCoordinator) private readonly coordinator: LifecycleCoordinator) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.logger.log(message, ...rest);
  }

  warn(message: unknown, ...rest: unknown[]): void {
    this.logger.warn(message, ...rest);
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.logger.debug(message, ...rest);
  }

  verbose(message: unknown, ...rest: unknown[]): void {
    this.logger.verbose(message, ...rest);
  }

  fatal(message: unknown, ...rest: unknown[]): void {
    this.logger.fatal(message, ...rest);
  }

  error(message: unknown, ...rest: unknown[]): void {
    const step = this.shutdownStep();
    if (step === undefined || typeof message !== 'string' || !message.startsWith(CHECK_FAILED)) {
      this.logger.error(message, ...rest);
      return;
    }
    if (this.said === step) return;
    this.said = step;
    this.logger.log(
      `Health checks fail while the application shuts down (${step}): readiness is down on ` +
        'purpose; further failures are not logged until the next step',
    );
  }

  /** `drain`, a phase, or `stopped` while the application shuts down; otherwise `undefined`. */
  private shutdownStep(): string | undefined {
    const state = this.coordinator.state;
    if (state === LifecycleState.STOPPED) return 'stopped';
    if (state !== LifecycleState.DRAINING) return undefined;
    return this.coordinator.getReport()?.phases.at(-1)?.phase ?? 'drain';
  }
}
