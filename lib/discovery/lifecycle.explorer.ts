import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { LifecycleMessages } from '../async-lifecycle.messages.js';
import type { LifecycleLogger } from '../core/lifecycle-logger.interface.js';
import { LIFECYCLE_LOGGER } from '../nest/lifecycle-logger.provider.js';
import type { DecoratedMethod } from './decorated-method.interface.js';
import { LifecycleMetadataAccessor } from './lifecycle-metadata.accessor.js';
import { LifecycleRegistrar } from './lifecycle.registrar.js';

type Method = (...args: unknown[]) => unknown;

/**
 * Finds the `@ManagedTask`, `@CancellationSafe` and `@OnShutdown` methods of singleton providers
 * and controllers at module init and hands them, with their raw metadata, to the
 * `LifecycleRegistrar`. Decorated methods of request-scoped or transient providers are not
 * handed on: a warning names each one.
 *
 * @example
 * // AsyncLifecycleModule provides it; nothing to call.
 */
@Injectable()
export class LifecycleExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly accessor: LifecycleMetadataAccessor,
    private readonly registrar: LifecycleRegistrar,
    @Inject(LIFECYCLE_LOGGER) private readonly logger: LifecycleLogger,
  ) {}

  onModuleInit(): void {
    this.registrar.declare(this.explore());
  }

  /** Every decorated method of every singleton controller and provider, in discovery order. */
  explore(): DecoratedMethod[] {
    const found: DecoratedMethod[] = [];
    const wrappers: InstanceWrapper[] = [
      ...this.discovery.getControllers(),
      ...this.discovery.getProviders(),
    ];
    for (const wrapper of wrappers) {
      const instance: unknown = wrapper.instance;
      // Aliases (useExisting) point at an instance that is explored on its own.
      if (wrapper.isAlias || typeof instance !== 'object' || instance === null) continue;
      const prototype: unknown = Object.getPrototypeOf(instance);
      if (prototype === null) continue;
      const className = instance.constructor?.name ?? String(wrapper.name);
      for (const methodName of this.scanner.getAllMethodNames(prototype as object)) {
        const value = (instance as Record<string, unknown>)[methodName];
        if (typeof value !== 'function') continue;
        const method = value as Method;
        const managedTask = this.accessor.getManagedTask(method);
        const cancellationSafe = this.accessor.getCancellationSafe(method);
        const onShutdown = this.accessor.getOnShutdown(method);
        if (managedTask === undefined && cancellationSafe === undefined && onShutdown === undefined)
          continue;
        // A transient provider can have a static tree, yet its instance here is a template
        // whose constructor never ran: only true singletons are managed.
        if (!wrapper.isDependencyTreeStatic() || wrapper.isTransient) {
          for (const decorator of [
            managedTask && 'ManagedTask',
            cancellationSafe && 'CancellationSafe',
            onShutdown && 'OnShutdown',
          ]) {
            if (decorator)
              this.logger.warn(
                LifecycleMessages.nonStaticProvider(String(wrapper.name), methodName, decorator),
              );
          }
          continue;
        }
        found.push({
          instance,
          className,
          methodName,
          method,
          managedTask,
          cancellationSafe,
          onShutdown,
        });
      }
    }
    return found;
  }
}
