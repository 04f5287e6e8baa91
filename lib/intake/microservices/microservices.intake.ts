import { describeError } from '../../core/describe.js';
import type { Intake, IntakeHandle } from '../../core/intake.interface.js';
import type { LifecycleCoordinator } from '../../core/lifecycle-coordinator.js';
import type { LifecycleLogger } from '../../core/lifecycle-logger.interface.js';
import type { ResolvedMicroservicesIntakeOptions } from './microservices-intake.options.js';
import type {
  MicroservicesIntakeReport,
  MicroserviceTransport,
  MicroserviceTransportReport,
} from './microservices-intake.report.js';
import type { RpcServer } from './rpc-server.interface.js';
import { ServerDrain } from './server-drain.js';
import type { TransportDriver } from './transport-driver.interface.js';

/**
 * Drains the application's microservice servers — hybrid (`connectMicroservice`) or standalone
 * (`NestFactory.createMicroservice`), TCP, Redis, NATS and RabbitMQ: every message a managed task
 * (stop mode `drain`) of the configured priority; at shutdown start each server stops taking
 * messages; at FORCEFUL what is left is handed back. One intake (`report.intakes.microservices`)
 * for every server, registered when the first one appears.
 *
 * @example
 * const intake = new MicroservicesIntake(coordinator, { priority: TaskPriority.HIGH }, logger, () =>
 *   coordinator.shutdown({ reason: 'close' }),
 * );
 * intake.drain(server, new TcpTransportDriver(server));
 */
export class MicroservicesIntake implements Intake {
  readonly name = 'microservices';
  private readonly drains: ServerDrain[] = [];
  private readonly servers = new Map<MicroserviceTransport, number>();
  private readonly endListeners: (() => void)[] = [];
  private handle: IntakeHandle | undefined;

  constructor(
    private readonly coordinator: LifecycleCoordinator,
    private readonly options: ResolvedMicroservicesIntakeOptions,
    private readonly logger: LifecycleLogger,
    private readonly beforeClose: () => Promise<unknown>,
  ) {}

  /**
   * Drains `server` through `driver` from now on. Throws `ShutdownInProgressError` once the
   * shutdown began (the intake can no longer be registered).
   */
  drain(server: RpcServer, driver: TransportDriver): void {
    this.handle ??= this.coordinator.registerIntake(this);
    const count = (this.servers.get(driver.transport) ?? 0) + 1;
    this.servers.set(driver.transport, count);
    const drain = new ServerDrain(server, driver, {
      handle: this.handle,
      priority: this.options.priority,
      logger: this.logger,
      label: `${driver.transport}#${count}`,
      beforeClose: this.beforeClose,
    });
    drain.attach();
    this.drains.push(drain);
  }

  /** Runs `listener` once the shutdown is over (the installer stops watching for servers). */
  onEnded(listener: () => void): void {
    this.endListeners.push(listener);
  }

  shutdownStarted(): void {
    this.each('shutdownStarted', (drain) => drain.shutdownStarted());
  }

  forcefulStarted(): void {
    let handed = 0;
    this.each('forcefulStarted', (drain) => (handed += drain.forcefulStarted()));
    if (handed > 0) {
      this.logger.warn(
        `Microservices: ${handed} message(s) still running at FORCEFUL handed back (requeued, or answered with a retryable error)`,
      );
    }
  }

  shutdownEnded(): void {
    this.each('shutdownEnded', (drain) => drain.shutdownEnded());
    for (const listener of this.endListeners.splice(0)) listener();
  }

  report(): MicroservicesIntakeReport {
    const report: MicroservicesIntakeReport = {};
    for (const drain of this.drains) {
      const section: MicroserviceTransportReport = (report[drain.driver.transport] ??= {
        servers: 0,
        inFlightAtStart: 0,
        admitted: 0,
        drained: 0,
        handedBack: 0,
        refused: 0,
        dropped: 0,
        unfinished: 0,
      });
      section.servers++;
      const counts = drain.report();
      for (const key of Object.keys(counts) as (keyof typeof counts)[]) {
        section[key] += counts[key];
      }
    }
    return report;
  }

  /** One server's failure must not keep the others from hearing the step. */
  private each(step: string, fn: (drain: ServerDrain) => unknown): void {
    for (const drain of this.drains) {
      try {
        fn(drain);
      } catch (error) {
        this.logger.warn(`Microservices: ${step} failed for a server: ${describeError(error)}`);
      }
    }
  }
}
