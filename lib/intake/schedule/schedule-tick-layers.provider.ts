import type { Provider } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { RESOLVED_MODULE_OPTIONS } from '../../nest/resolved-module-options.interface.js';
import type { ResolvedModuleOptions } from '../../nest/resolved-module-options.interface.js';
import { installTickLayers } from './schedule-tick.layer.js';

/** Token of the schedule intake's instantiation step (its value: how many layers it put). */
export const SCHEDULE_TICK_LAYERS = Symbol('SCHEDULE_TICK_LAYERS');

/** The classes of the application's providers and controllers, and of its `useValue` objects. */
function* prototypesOf(discovery: DiscoveryService): Iterable<object> {
  const wrappers: InstanceWrapper[] = [...discovery.getControllers(), ...discovery.getProviders()];
  for (const wrapper of wrappers) {
    if (wrapper.isAlias) continue;
    const { metatype, inject, instance } = wrapper as {
      metatype?: unknown;
      inject?: unknown;
      instance?: unknown;
    };
    if (typeof metatype === 'function' && inject == null) {
      const prototype: unknown = metatype.prototype;
      if (typeof prototype === 'object' && prototype !== null) yield prototype;
    } else if (metatype == null && typeof instance === 'object' && instance !== null) {
      const prototype: unknown = Object.getPrototypeOf(instance);
      if (typeof prototype === 'object' && prototype !== null) yield prototype;
    }
  }
}

/**
 * The schedule intake's step at instantiation, before any module init: `@nestjs/schedule` takes
 * the function of every `@Cron`, `@Interval` and `@Timeout` method at module init and calls that
 * very function on each tick, so the layer that makes a tick a managed task must be on the
 * method by then — every provider is instantiated before any `onModuleInit` runs. The intake's
 * installer binds the layers per instance at bootstrap. Nothing is done with `schedule: false`.
 *
 * @example
 * // AsyncLifecycleModule provides it; nothing to call.
 */
export const scheduleTickLayersProvider: Provider = {
  provide: SCHEDULE_TICK_LAYERS,
  inject: [RESOLVED_MODULE_OPTIONS, DiscoveryService],
  useFactory: (options: ResolvedModuleOptions, discovery: DiscoveryService): number =>
    options.intakes.has('schedule') ? installTickLayers(prototypesOf(discovery)) : 0,
};
