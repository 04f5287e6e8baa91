import type { LifecycleCoordinatorOptions } from '../core/lifecycle-options.interface.js';
import type { ResolvedBootChecks } from './boot-checks.options.js';
import type { ResolvedTelemetryOptions } from './lifecycle-telemetry.js';

/** Token of the module's options after validation (`ResolvedModuleOptions`). */
export const RESOLVED_MODULE_OPTIONS = Symbol('RESOLVED_MODULE_OPTIONS');

/**
 * The module's options, split by owner and validated: what the coordinator is built with, each
 * intake's resolved option, the report file.
 *
 * @example
 * constructor(@Inject(RESOLVED_MODULE_OPTIONS) options: ResolvedModuleOptions) {
 *   this.enabled = options.intakes.has('schedule');
 * }
 */
export interface ResolvedModuleOptions {
  /** What the coordinator is built with (validated again there, with defaults). */
  readonly coordinator: LifecycleCoordinatorOptions;
  /** Each intake's resolved option, by option key; absent when turned off. */
  readonly intakes: ReadonlyMap<string, unknown>;
  readonly reportFile: string | undefined;
  /** Where the shutdown summary goes (`terminationLog`, defaulted); `undefined` when off. */
  readonly terminationLog: string | undefined;
  /** Which boot-time checks run, and the load balancer stated for them. */
  readonly bootChecks: ResolvedBootChecks;
  /** The shutdown as an OpenTelemetry span; `undefined` when off. */
  readonly telemetry: ResolvedTelemetryOptions | undefined;
}
