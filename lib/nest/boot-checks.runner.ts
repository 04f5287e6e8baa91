import { readFileSync } from 'node:fs';
import type { LifecycleLogger } from '../core/lifecycle-logger.interface.js';
import {
  checkKeepAlive,
  checkProcessOrigin,
  checkReadiness,
  type ProcessOrigin,
} from './boot-checks.js';
import type { ResolvedBootChecks } from './boot-checks.options.js';

/** What the checks look at, found by the module at bootstrap. */
export interface BootCheckContext {
  /** Nest's HTTP adapter: `undefined` / `null` without one (testing module, application context). */
  readonly httpAdapter: unknown;
  /** Whether the HTTP intake is on. */
  readonly httpIntake: boolean;
  /** The singleton providers and controllers of the application. */
  readonly instances: readonly object[];
  /** The module's `LifecycleHealthIndicator`. */
  readonly indicator: object;
  /** The module's own instances that hold it (they serve no route). */
  readonly own: ReadonlySet<object>;
}

/** The part of a Node HTTP server the keep-alive check reads. */
interface ListeningServer {
  readonly listening?: unknown;
  readonly keepAliveTimeout?: unknown;
  once(event: 'listening', listener: () => void): unknown;
  removeListener(event: 'listening', listener: () => void): unknown;
}

function isListeningServer(value: unknown): value is ListeningServer {
  if (typeof value !== 'object' || value === null) return false;
  const server = value as Partial<ListeningServer>;
  return typeof server.once === 'function' && typeof server.removeListener === 'function';
}

/** This process's origin; the parent's command line from `/proc` (Linux), else unknown. */
export function readProcessOrigin(): ProcessOrigin {
  let parentArgv: string[] | undefined;
  try {
    parentArgv = readFileSync(`/proc/${process.ppid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    parentArgv = undefined;
  }
  const agent = process.env.npm_config_user_agent;
  return {
    pid: process.pid,
    ppid: process.ppid,
    parentArgv,
    packageManagerAgent: agent === undefined || agent === '' ? undefined : agent,
    sigtermListeners: process.listenerCount('SIGTERM'),
  };
}

/**
 * Under a test runner these checks would speak about the runner (its parent is `npm test`), an
 * app built without main.ts's settings (keep-alive) and test apps that serve no probes.
 */
function underTestRunner(): boolean {
  const env = process.env;
  return Boolean(env.JEST_WORKER_ID) || Boolean(env.VITEST);
}

/** Whether any instance holds `target` in an own data property (getters are not invoked). */
function anyHolds(instances: readonly object[], target: object, own: ReadonlySet<object>): boolean {
  for (const instance of instances) {
    if (instance === target || own.has(instance)) continue;
    for (const descriptor of Object.values(Object.getOwnPropertyDescriptors(instance))) {
      if (descriptor.value === target) return true;
    }
  }
  return false;
}

/**
 * Runs the boot-time checks once bootstrap is done (not under Jest or Vitest: `JEST_WORKER_ID`,
 * `VITEST`), one warning per problem found: readiness at
 * once; the process's origin on the next turn (an application context calls
 * `enableLifecycleShutdown` just after init); the keep-alive timeout once the server listens (it
 * is usually set between `create()` and `listen()`, or just after). The gracePeriodMs check is
 * the engine's, said when the coordinator is built. Returns what releases the pending checks.
 *
 * @example
 * const cancel = runBootChecks(checks, logger, { httpAdapter, httpIntake: true, instances, indicator, own });
 * app.whenClosed(cancel);
 */
export function runBootChecks(
  checks: ResolvedBootChecks,
  logger: LifecycleLogger,
  context: BootCheckContext,
): () => void {
  // They are about a deployment: a test run is not one.
  if (underTestRunner()) return () => undefined;
  const warn = (message: string | undefined): void => {
    if (message !== undefined) logger.warn(message);
  };
  const server: unknown = (
    context.httpAdapter as { getHttpServer?: () => unknown } | null | undefined
  )?.getHttpServer?.();
  if (checks.readiness && context.httpIntake) {
    warn(
      checkReadiness({
        httpServer: server !== undefined && server !== null,
        indicatorInjected: anyHolds(context.instances, context.indicator, context.own),
      }),
    );
  }
  const releases: (() => void)[] = [];
  if (checks.signals) {
    // Next turn: enableLifecycleShutdown(app) may be called right after init() resolves.
    const immediate = setImmediate(() => warn(checkProcessOrigin(readProcessOrigin())));
    releases.push(() => clearImmediate(immediate));
  }
  if (checks.keepAlive && checks.loadBalancer !== undefined && isListeningServer(server)) {
    const loadBalancer = checks.loadBalancer;
    let immediate: NodeJS.Immediate | undefined;
    // A turn after 'listening': code right after `await app.listen()` may still set the timeout.
    const check = (): void => {
      immediate = setImmediate(() => {
        const timeout = server.keepAliveTimeout;
        warn(checkKeepAlive(typeof timeout === 'number' ? timeout : undefined, loadBalancer));
      });
    };
    if (server.listening === true) check();
    else server.once('listening', check);
    releases.push(() => {
      server.removeListener('listening', check);
      if (immediate !== undefined) clearImmediate(immediate);
    });
  }
  return () => {
    for (const release of releases.splice(0)) release();
  };
}
