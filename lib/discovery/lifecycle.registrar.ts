import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { LifecycleMessages } from '../async-lifecycle.messages.js';
import { LifecycleCoordinator } from '../core/lifecycle-coordinator.js';
import type { LifecycleLogger } from '../core/lifecycle-logger.interface.js';
import type { CleanupInfo, TaskContext } from '../core/task.interface.js';
import { LIFECYCLE_LOGGER } from '../nest/lifecycle-logger.provider.js';
import { validateCancellationSafe } from './cancellation-safe.validator.js';
import type { DecoratedMethod } from './decorated-method.interface.js';
import {
  liveDependencies,
  planRegistration,
  type OrderedDeclaration,
} from './declaration-order.js';
import { bindCallTask, bindCancellationSafe, cleanupOf } from './lifecycle-method.binder.js';
import { validateManagedTask, type ManagedTaskDeclaration } from './managed-task.validator.js';
import { validateOnShutdown, type OnShutdownDeclaration } from './on-shutdown.validator.js';

/** The coordinator registration binds to (`start: 'call'` calls use its internal fast path). */
export type RegistrationCoordinator = LifecycleCoordinator;

type Method = (...args: unknown[]) => unknown;

type Registration = OrderedDeclaration &
  (
    | { readonly kind: 'bootstrap-task' | 'call-task'; readonly task: ManagedTaskDeclaration }
    | { readonly kind: 'hook'; readonly hook: OnShutdownDeclaration }
  ) & { readonly method: DecoratedMethod };

/**
 * Turns the decorated methods the explorer found into managed work: validates every declaration
 * (nothing is bound or registered when one is wrong), binds the `start: 'call'` and
 * `@CancellationSafe` methods, registers the `@OnShutdown` hooks at module init and starts the
 * bootstrap tasks at application bootstrap, in dependency order.
 *
 * @example
 * // LifecycleExplorer.onModuleInit
 * this.registrar.declare(this.explore());
 */
@Injectable()
export class LifecycleRegistrar implements OnApplicationBootstrap {
  /** Registered at bootstrap, in dependency order, after what could be registered at init. */
  private atBootstrap: readonly Registration[] = [];
  private readonly isRegistered = (name: string): boolean => this.coordinator.isRegistered(name);

  constructor(
    @Inject(LifecycleCoordinator) private readonly coordinator: RegistrationCoordinator,
    @Inject(LIFECYCLE_LOGGER) private readonly logger: LifecycleLogger,
  ) {}

  /**
   * Validates, orders and binds `methods`, and registers the hooks that need nothing started at
   * bootstrap. Throws an `InvalidLifecycleDeclarationError` (failing `app.init()`) before
   * anything is bound or registered when a declaration is wrong.
   */
  declare(methods: readonly DecoratedMethod[]): void {
    const defaults = { cleanupTimeoutMs: this.coordinator.options.cleanupTimeoutMs };
    const registrations: Registration[] = [];
    const bindings: (() => void)[] = [];
    for (const method of methods) {
      const { instance, className, methodName } = method;
      if (method.cancellationSafe !== undefined) {
        const safe = validateCancellationSafe(method.cancellationSafe, method, defaults);
        bindings.push(() => {
          if (!this.coordinator.options.asyncContext)
            this.logger.warn(LifecycleMessages.asyncContextOff(safe.where));
          const what = `${className}.${methodName}`;
          bindCancellationSafe(method.method, instance, what, safe, this.logger);
        });
      }
      if (method.managedTask !== undefined) {
        const task = validateManagedTask(method.managedTask, method, defaults);
        const kind = task.start === 'call' ? 'call-task' : 'bootstrap-task';
        registrations.push({
          kind,
          name: task.name,
          dependsOn: task.dependsOn,
          where: task.where,
          task,
          method,
        });
        if (kind === 'call-task')
          bindings.push(() => bindCallTask(method.method, instance, task, this.coordinator));
      }
      if (method.onShutdown !== undefined) {
        const hook = validateOnShutdown(method.onShutdown, method, defaults);
        registrations.push({
          kind: 'hook',
          name: hook.name,
          dependsOn: hook.dependsOn,
          where: hook.where,
          hook,
          method,
        });
      }
    }
    const plan = planRegistration(registrations, this.isRegistered);
    for (const bind of bindings) bind();
    for (const registration of plan.atInit) this.register(registration);
    this.atBootstrap = plan.atBootstrap;
  }

  /** Starts the bootstrap tasks, then registers the hooks that depend on them. */
  onApplicationBootstrap(): void {
    const waiting = this.atBootstrap;
    this.atBootstrap = [];
    for (const registration of waiting) this.register(registration);
  }

  private register(registration: Registration): void {
    const { instance, method, methodName } = registration.method;
    if (registration.kind === 'hook') {
      const { name, priority, timeoutMs, dependsOn } = registration.hook;
      this.coordinator.registerShutdownHook(
        name,
        // Read at shutdown, not now: a hook runs whatever the method is then.
        (ctx) => (instance as Record<string, Method>)[methodName].call(instance, ctx),
        { priority, timeoutMs, dependsOn: liveDependencies(dependsOn, this.isRegistered) },
      );
      return;
    }
    if (registration.kind !== 'bootstrap-task') return;
    const task = registration.task;
    this.coordinator.createTask((ctx: TaskContext) => method.call(instance, ctx), {
      name: task.name,
      priority: task.priority,
      cleanup:
        task.cleanup === undefined
          ? undefined
          : (cleanupOf(instance, task.cleanup) as (info: CleanupInfo) => unknown),
      cleanupTimeoutMs: task.cleanupTimeoutMs,
      onError: task.onError?.bind(instance),
      dependsOn: liveDependencies(task.dependsOn, this.isRegistered),
      stop: task.stop,
    });
  }
}
