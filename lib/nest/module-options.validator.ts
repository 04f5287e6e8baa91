import type { AsyncLifecycleOptions } from '../async-lifecycle-options.interface.js';
import { InvalidLifecycleOptionError } from '../core/invalid-option.error.js';
import {
  checkKeys,
  COORDINATOR_OPTION_KEYS,
  isPlainObject,
  resolveLifecycleOptions,
} from '../core/lifecycle-options.validator.js';
import { INTAKE_INSTALLERS } from '../intake/intake-installers.js';
import type { ResolvedModuleOptions } from './resolved-module-options.interface.js';
import { resolveBootChecks } from './boot-checks.options.js';
import { resolveTerminationLogPath } from './termination-log.writer.js';
import { resolveTelemetryOptions } from './lifecycle-telemetry.js';

const MODULE_KEYS = ['reportFile', 'terminationLog', 'bootChecks', 'loadBalancer', 'telemetry'];

/**
 * Validates `AsyncLifecycleOptions` — the engine's keys by the engine, each intake's key by its
 * installer — so that a bad option fails bootstrap naming the option and the value.
 *
 * @example
 * resolveModuleOptions({ http: { exclude: ['/metrics'] }, phases: { gracefulMs: 5_000 } });
 */
export function resolveModuleOptions(options: unknown): ResolvedModuleOptions {
  if (!isPlainObject(options)) {
    throw InvalidLifecycleOptionError.invalid('options', options, 'a plain object');
  }
  const intakeKeys = INTAKE_INSTALLERS.map((installer) => installer.option);
  checkKeys('', options, [...COORDINATOR_OPTION_KEYS, ...intakeKeys, ...MODULE_KEYS]);
  const coordinator: Record<string, unknown> = {};
  for (const key of COORDINATOR_OPTION_KEYS) {
    if (key in options) coordinator[key] = options[key];
  }
  resolveLifecycleOptions(coordinator);
  const intakes = new Map<string, unknown>();
  for (const installer of INTAKE_INSTALLERS) {
    const resolved = installer.resolveOptions(options[installer.option]);
    if (resolved !== undefined) intakes.set(installer.option, resolved);
  }
  const { reportFile } = options as AsyncLifecycleOptions;
  if (reportFile !== undefined && (typeof reportFile !== 'string' || reportFile === '')) {
    throw InvalidLifecycleOptionError.invalid('reportFile', reportFile, 'a non-empty file path');
  }
  const { terminationLog } = options as AsyncLifecycleOptions;
  if (
    terminationLog !== undefined &&
    terminationLog !== false &&
    (typeof terminationLog !== 'string' || terminationLog === '')
  ) {
    throw InvalidLifecycleOptionError.invalid(
      'terminationLog',
      terminationLog,
      'a non-empty file path or false',
    );
  }
  return {
    coordinator,
    intakes,
    reportFile,
    terminationLog: resolveTerminationLogPath(terminationLog),
    bootChecks: resolveBootChecks(options.bootChecks, options.loadBalancer),
    telemetry: resolveTelemetryOptions(options.telemetry),
  };
}
