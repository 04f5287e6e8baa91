import type { ModulesContainer } from '@nestjs/core';
import { describeError } from '../../core/describe.js';
import type { LifecycleCoordinator } from '../../core/lifecycle-coordinator.js';
import type { LifecycleLogger } from '../../core/lifecycle-logger.interface.js';
import { guardedImport } from '../../primitives/guarded-import.js';
import { MicroservicesIntake } from './microservices.intake.js';
import type { ResolvedMicroservicesIntakeOptions } from './microservices-intake.options.js';
import { NatsTransportDriver, type NatsServerLike } from './nats-transport.driver.js';
import { RedisTransportDriver, type RedisServerLike } from './redis-transport.driver.js';
import {
  RmqTransportDriver,
  type RmqContextClass,
  type RmqServerLike,
} from './rmq-transport.driver.js';
import type { RpcServer } from './rpc-server.interface.js';
import { TcpTransportDriver, type TcpServerLike } from './tcp-transport.driver.js';
import type { TransportDriver } from './transport-driver.interface.js';

type Class = abstract new (...args: never[]) => unknown;

/** What the intake needs of `@nestjs/microservices`: the server classes it drains. */
interface MicroservicesPackage {
  ServerTCP: Class;
  ServerRedis: Class;
  ServerNats: Class;
  ServerRMQ: Class;
  RmqContext: RmqContextClass;
}

/** What watching needs: the coordinator, where servers register, the HTTP adapter when read. */
export interface WatchContext {
  readonly coordinator: LifecycleCoordinator;
  readonly logger: LifecycleLogger;
  readonly modules: ModulesContainer;
  readonly httpAdapter: () => unknown;
}

/** The coordinators already watched: the instantiation step and bootstrap's install both try. */
const watched = new WeakSet<LifecycleCoordinator>();

/** A driver for the transports this intake knows; other servers (Kafka, MQTT, gRPC) are left alone. */
function driverFor(
  server: unknown,
  nest: MicroservicesPackage,
  logger: LifecycleLogger,
): TransportDriver | undefined {
  if (server instanceof nest.ServerTCP) return new TcpTransportDriver(server as TcpServerLike);
  if (server instanceof nest.ServerRedis)
    return new RedisTransportDriver(server as RedisServerLike);
  if (server instanceof nest.ServerNats) return new NatsTransportDriver(server as NatsServerLike);
  if (server instanceof nest.ServerRMQ) {
    return new RmqTransportDriver(server as RmqServerLike, nest.RmqContext, logger);
  }
  return undefined;
}

/**
 * Watches the application's microservice servers — every server Nest creates registers itself
 * in the `ModulesContainer`'s RPC target registry (`connectMicroservice`, `createMicroservice`),
 * which replays the ones created before — and drains each one of a transport it knows. Once per
 * coordinator.
 *
 * @example
 * watchMicroservices({ coordinator, logger, modules, httpAdapter: () => host.httpAdapter }, options);
 */
export function watchMicroservices(
  context: WatchContext,
  options: ResolvedMicroservicesIntakeOptions,
): void {
  const { coordinator, logger } = context;
  if (watched.has(coordinator)) return;
  watched.add(coordinator);
  const intake = new MicroservicesIntake(coordinator, options, logger, async () => {
    // A standalone microservice closes its transport first, before any hook: the earliest
    // point to run the phased shutdown of a plain app.close(). With an HTTP server, its
    // adapter's beforeClose ran it already; closing one transport alone does not stop the app.
    if (context.httpAdapter() == null) await coordinator.shutdown({ reason: 'close' });
  });
  // Loaded only once a server exists: an application without microservices never needs it.
  let nest: Promise<MicroservicesPackage | undefined> | undefined;
  const subscription = context.modules.getRpcTargetRegistry().subscribe((server) => {
    nest ??= guardedImport<MicroservicesPackage>('@nestjs/microservices', { logger });
    nest
      .then((loaded) => {
        const driver = loaded === undefined ? undefined : driverFor(server, loaded, logger);
        if (driver !== undefined) intake.drain(server as RpcServer, driver);
      })
      .catch((error: unknown) => {
        logger.warn(`Microservices: a server cannot be drained: ${describeError(error)}`);
      });
  });
  intake.onEnded(() => subscription.unsubscribe());
}
