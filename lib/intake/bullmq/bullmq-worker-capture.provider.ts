import type { Provider } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { describeError, safeText } from '../../core/describe.js';
import { LifecycleCoordinator } from '../../core/lifecycle-coordinator.js';
import { RESOLVED_MODULE_OPTIONS } from '../../nest/resolved-module-options.interface.js';
import type { ResolvedModuleOptions } from '../../nest/resolved-module-options.interface.js';
import { bullmqIntakeOf } from './bullmq-intake.registry.js';
import type { ResolvedBullmqIntakeOptions } from './bullmq-intake.options.js';
import { addWorkerCapture, captureWorkerField } from './bullmq-worker.capture.js';
import { workerHostPrototypeOf } from './bullmq-worker.finder.js';
import { BullmqMessages } from './bullmq.messages.js';

/** Token of the BullMQ intake's instantiation step (its value: how many processor classes). */
export const BULLMQ_WORKER_CAPTURE = Symbol('BULLMQ_WORKER_CAPTURE');

/** The wrappers of the application's providers whose class extends `WorkerHost`. */
function processorWrappers(discovery: DiscoveryService): InstanceWrapper[] {
  return discovery.getProviders().filter((wrapper) => {
    if (wrapper.isAlias) return false;
    const metatype: unknown = (wrapper as { metatype?: unknown }).metatype;
    if (typeof metatype !== 'function') return false;
    const prototype: unknown = metatype.prototype;
    return typeof prototype === 'object' && prototype !== null
      ? workerHostPrototypeOf(prototype) !== undefined
      : false;
  });
}

/**
 * The BullMQ intake's step at instantiation, before any module init: `@nestjs/bullmq` creates
 * each processor's worker in its `onModuleInit`, and the worker starts fetching at once; the
 * intake's installer runs at bootstrap, and any I/O in between (another module's
 * `onModuleInit`, `reportFile`) would let jobs start unmanaged. So the worker is attached to the
 * intake the moment it is stored in its processor (see `captureWorkerField`). Nothing is done
 * with `bullmq: false`, nor without `@nestjs/bullmq` processors.
 *
 * @example
 * // AsyncLifecycleModule provides it; nothing to call.
 */
export const bullmqWorkerCaptureProvider: Provider = {
  provide: BULLMQ_WORKER_CAPTURE,
  inject: [RESOLVED_MODULE_OPTIONS, LifecycleCoordinator, DiscoveryService],
  useFactory: (
    options: ResolvedModuleOptions,
    coordinator: LifecycleCoordinator,
    discovery: DiscoveryService,
  ): number => {
    const bullmq = options.intakes.get('bullmq') as ResolvedBullmqIntakeOptions | undefined;
    if (bullmq === undefined) return 0;
    const wrappers = processorWrappers(discovery);
    if (wrappers.length === 0) return 0;
    for (const wrapper of wrappers) {
      captureWorkerField((wrapper.metatype as { prototype: object }).prototype);
    }
    addWorkerCapture(coordinator, {
      owns: (instance) => wrappers.some((wrapper) => wrapper.instance === instance),
      attach: (worker) => {
        try {
          bullmqIntakeOf(coordinator, bullmq).attach(worker);
        } catch (error) {
          // The shutdown began before module init ended: the bootstrap installer explains.
          coordinator.options.logger?.warn(
            BullmqMessages.attachFailed(safeText(worker.name, 80), describeError(error)),
          );
        }
      },
    });
    return wrappers.length;
  },
};
