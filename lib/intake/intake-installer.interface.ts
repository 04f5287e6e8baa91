import type { INestApplicationContext, Provider } from '@nestjs/common';
import type { LifecycleCoordinator } from '../core/lifecycle-coordinator.js';
import type { LifecycleLogger } from '../core/lifecycle-logger.interface.js';

/**
 * What an installer gets at bootstrap to find the thing it drains (a server, gateways, workers,
 * a scheduler) and plug it into the coordinator.
 */
export interface IntakeInstallContext {
  readonly coordinator: LifecycleCoordinator;
  readonly logger: LifecycleLogger;
  /** The HTTP adapter, or `null`/`undefined` in an application context without HTTP. */
  readonly httpAdapter: unknown;
  /** The application's singleton providers and controllers, as instances. */
  readonly instances: readonly object[];
  /** For installers that look up a provider of an optional package by its token. */
  readonly app: Pick<INestApplicationContext, 'get'>;
}

/**
 * The Nest side of one intake (a folder under `lib/intake/`): it owns its module option (`http`,
 * `websockets` …) — validation and defaults — and, at bootstrap, finds what it drains and
 * registers it with `coordinator.registerIntake()`. Listed once in `intake-installers.ts`.
 *
 * @example
 * export const kafkaIntakeInstaller: IntakeInstaller<ResolvedKafkaOptions> = {
 *   option: 'kafka',
 *   resolveOptions: resolveKafkaOptions,
 *   install: ({ coordinator, instances }, options) => { … coordinator.registerIntake(intake) … },
 * };
 */
export interface IntakeInstaller<O = unknown> {
  /** Its key in `AsyncLifecycleOptions`. */
  readonly option: string;
  /**
   * Validates the option's value (`undefined` when absent) and fills in defaults; `undefined`
   * turns the intake off. Throws an `InvalidLifecycleOptionError` naming the option.
   */
  resolveOptions(value: unknown): O | undefined;
  /** Finds what to drain and registers it; does nothing when the app does not use it. */
  install(context: IntakeInstallContext, options: O): void | Promise<void>;
  /**
   * Providers the module adds for this intake: a step that must run when the application is
   * instantiated, before any module init (e.g. wrapping methods another package captures at
   * init). They may inject `RESOLVED_MODULE_OPTIONS` to do nothing when the intake is off.
   */
  readonly providers?: readonly Provider[];
}
