import { safeText } from '../../core/describe.js';
import type { LifecycleLogger } from '../../core/lifecycle-logger.interface.js';
import { bindLayer } from '../../decorators/method-dispatch.js';
import type { IntakeInstaller } from '../intake-installer.interface.js';
import { MAX_LABEL, ScheduleIntake, type ScheduledJob } from './schedule.intake.js';
import { ScheduleMessages } from './schedule-intake.messages.js';
import {
  resolveScheduleIntakeOptions,
  type ResolvedScheduleIntakeOptions,
} from './schedule-intake.options.js';
import { isManagedCall, scheduledMethodsOf, scheduleNameOf } from './schedule-tick.layer.js';
import { scheduleTickLayersProvider } from './schedule-tick-layers.provider.js';
import type { SchedulerRegistryLike } from './scheduler-registry.interface.js';

function classNameOf(instance: object): string {
  const name: unknown = (instance.constructor as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && name !== '' ? name : 'anonymous';
}

/**
 * Makes every scheduled method of the application's singletons run its ticks through `intake`;
 * a scheduled method without a layer (a `useFactory` provider's) is named in a warning.
 */
function bindScheduledMethods(
  instances: readonly object[],
  intake: ScheduleIntake,
  logger: LifecycleLogger,
): void {
  for (const instance of instances) {
    const className = classNameOf(instance);
    for (const { methodName, kind, method, layer } of scheduledMethodsOf(instance)) {
      const where = `${className}.${methodName}`;
      if (layer === undefined) {
        logger.warn(ScheduleMessages.noLayer(safeText(where)));
        continue;
      }
      const job: ScheduledJob = {
        kind,
        label: safeText(scheduleNameOf(method) ?? where, MAX_LABEL),
        managed: isManagedCall(method),
      };
      bindLayer(layer, instance, (self, original, args) =>
        intake.runTick(job, () => original.apply(self, args)),
      );
    }
  }
}

const REGISTRY_METHODS = [
  'getCronJobs',
  'getIntervals',
  'getInterval',
  'getTimeouts',
  'getTimeout',
  'addCronJob',
  'addInterval',
  'addTimeout',
] as const;

/**
 * `@nestjs/schedule`'s `SchedulerRegistry`, recognised by its class name and the methods the
 * intake calls — not by `instanceof`: that would need the package loaded here, and would miss
 * the registry of a second copy of it (a monorepo, a linked package), which works all the same.
 */
function isSchedulerRegistry(instance: object): instance is SchedulerRegistryLike {
  if (classNameOf(instance) !== 'SchedulerRegistry') return false;
  const methods = instance as Record<string, unknown>;
  return REGISTRY_METHODS.every((method) => typeof methods[method] === 'function');
}

/**
 * The functions `@nestjs/schedule` mounts for the decorated methods, from its
 * `SchedulerOrchestrator` (recognised by class name, as the registry is): its `cronJobs`,
 * `intervals` and `timeouts` records, filled at module init, hold each one as `target` (a test
 * checks them against the real package). `undefined` when they cannot be read: the callbacks of
 * jobs added at run time are then left as they are rather than risking a tick made two tasks.
 */
function decoratedTargets(instances: readonly object[]): Set<unknown> | undefined {
  const orchestrator = instances.find(
    (instance) => classNameOf(instance) === 'SchedulerOrchestrator',
  ) as Record<string, unknown> | undefined;
  if (orchestrator === undefined) return undefined;
  const targets = new Set<unknown>();
  for (const key of ['cronJobs', 'intervals', 'timeouts']) {
    const records = orchestrator[key];
    if (typeof records !== 'object' || records === null) return undefined;
    for (const record of Object.values(records)) {
      const target: unknown = (record as { target?: unknown } | null)?.target;
      if (typeof target !== 'function') return undefined;
      targets.add(target);
    }
  }
  return targets;
}

/**
 * Stops `@nestjs/schedule` at the first instant of shutdown and makes its ticks managed tasks —
 * when the application has `ScheduleModule`: its `SchedulerRegistry` is among the providers.
 * Nothing of `@nestjs/schedule` is loaded here: the application has loaded it, or it is not used.
 */
export const scheduleIntakeInstaller: IntakeInstaller<ResolvedScheduleIntakeOptions> = {
  option: 'schedule',
  resolveOptions: resolveScheduleIntakeOptions,
  // @nestjs/schedule captures the scheduled methods at module init: layered at instantiation.
  providers: [scheduleTickLayersProvider],
  install({ coordinator, logger, instances }, options) {
    const registry = instances.find(isSchedulerRegistry);
    if (registry === undefined) return;
    const intake = new ScheduleIntake(registry, options, logger, decoratedTargets(instances));
    intake.install(coordinator.registerIntake(intake));
    bindScheduledMethods(instances, intake, logger);
  },
};
