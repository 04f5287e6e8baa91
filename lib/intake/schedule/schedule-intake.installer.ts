import { safeText } from '../../core/describe.js';
import type { LifecycleLogger } from '../../core/lifecycle-logger.interface.js';
import { bindLayer } from '../../decorators/method-dispatch.js';
import { guardedImport } from '../../primitives/guarded-import.js';
import type { IntakeInstaller } from '../intake-installer.interface.js';
import { ScheduleIntake, type ScheduledJob } from './schedule.intake.js';
import { ScheduleMessages } from './schedule-intake.messages.js';
import {
  resolveScheduleIntakeOptions,
  type ResolvedScheduleIntakeOptions,
} from './schedule-intake.options.js';
import { isManagedCall, scheduledMethodsOf, scheduleNameOf } from './schedule-tick.layer.js';
import type { SchedulerRegistryLike } from './scheduler-registry.interface.js';

/** What the installer uses of `@nestjs/schedule`: its registry class. */
interface SchedulePackage {
  SchedulerRegistry: abstract new (...args: never[]) => object;
}

/** Longest job label in a tick's task name. */
const MAX_LABEL = 150;

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

/**
 * Stops `@nestjs/schedule` at the first instant of shutdown and makes its ticks managed tasks —
 * when the application has `ScheduleModule`: its `SchedulerRegistry` is among the providers.
 * `@nestjs/schedule` is loaded only then.
 */
export const scheduleIntakeInstaller: IntakeInstaller<ResolvedScheduleIntakeOptions> = {
  option: 'schedule',
  resolveOptions: resolveScheduleIntakeOptions,
  async install({ coordinator, logger, instances }, options) {
    // Looked for by name first, so that an application without ScheduleModule loads nothing;
    // then by class, once the package is loaded.
    if (!instances.some((instance) => classNameOf(instance) === 'SchedulerRegistry')) return;
    const schedule = await guardedImport<SchedulePackage>('@nestjs/schedule', { logger });
    if (schedule === undefined) return;
    const registry = instances.find((instance) => instance instanceof schedule.SchedulerRegistry);
    if (registry === undefined) {
      logger.warn(ScheduleMessages.twoCopies());
      return;
    }
    const intake = new ScheduleIntake(
      registry as unknown as SchedulerRegistryLike,
      options,
      logger,
    );
    intake.install(coordinator.registerIntake(intake));
    bindScheduledMethods(instances, intake, logger);
  },
};
