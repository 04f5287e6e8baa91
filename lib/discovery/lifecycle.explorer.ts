import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper.js';
import { LifecycleMessages } from '../async-lifecycle.messages.js';
import { orderByDependencies } from '../core/dependency-order.js';
import type { LifecycleCoordinator as Coordinator } from '../core/lifecycle-coordinator.js';
import { LifecycleCoordinator } from '../core/lifecycle-coordinator.js';
import type { LifecycleLogger } from '../core/lifecycle-logger.interface.js';
import { checkDuration, checkPriority } from '../core/lifecycle-options.validator.js';
import { describeError } from '../core/describe.js';
import { TaskPriority } from '../core/task-priority.enum.js';
import type { CleanupInfo, ManagedTask, TaskContext } from '../core/task.interface.js';
import { isThenable } from '../core/thenable.js';
import type { CancellationSafeMetadata } from '../decorators/cancellation-safe.decorator.js';
import type { ManagedTaskOptions } from '../decorators/managed-task.decorator.js';
import {
  bindLayer,
  dispatchLayers,
  layerKind,
  rootMethod,
  type DispatchingMethod,
} from '../decorators/method-dispatch.js';
import type { OnShutdownOptions } from '../decorators/on-shutdown.decorator.js';
import { LIFECYCLE_LOGGER } from '../nest/lifecycle-logger.provider.js';
import { cancellationSafe, type CleanupWhen } from '../primitives/cancellation-safe.js';
import { InvalidLifecycleDeclarationError } from './invalid-declaration.error.js';
import { LifecycleMetadataAccessor } from './lifecycle-metadata.accessor.js';

type Method = (...args: unknown[]) => unknown;

/** A decorated method found at bootstrap, validated, waiting to be registered. */
interface Declaration {
  readonly kind: 'bootstrap-task' | 'call-task' | 'hook';
  readonly name: string;
  readonly dependsOn: string[];
  readonly where: string;
  readonly register: () => void;
}

const TASK_KEYS = [
  'name',
  'priority',
  'dependsOn',
  'cleanup',
  'cleanupTimeoutMs',
  'onError',
  'start',
];
const SAFE_KEYS = ['timeoutMs', 'suppress', 'fallback', 'on'];
const HOOK_KEYS = ['priority', 'dependsOn', 'name', 'timeoutMs'];

function isAsyncFunction(fn: unknown): boolean {
  return Object.prototype.toString.call(fn) === '[object AsyncFunction]';
}

function noop(): void {}

/**
 * Finds `@ManagedTask`, `@CancellationSafe` and `@OnShutdown` methods on singleton providers and
 * controllers, validates every reference before anything runs (a bad one fails `app.init()`
 * naming the class, the method and the value), binds the dispatching methods, registers the
 * hooks and starts the bootstrap tasks in dependency order.
 */
@Injectable()
export class LifecycleExplorer implements OnModuleInit, OnApplicationBootstrap {
  /** Registered at bootstrap, in dependency order, after what could be registered at init. */
  private deferred: Declaration[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly accessor: LifecycleMetadataAccessor,
    @Inject(LifecycleCoordinator) private readonly coordinator: Coordinator,
    @Inject(LIFECYCLE_LOGGER) private readonly logger: LifecycleLogger,
  ) {}

  onModuleInit(): void {
    const declarations = this.explore();
    const callNames = new Set(
      declarations.filter((d) => d.kind === 'call-task').map((d) => d.name),
    );
    for (const declaration of declarations) {
      const call = declaration.dependsOn.find((name) => callNames.has(name));
      if (call !== undefined) {
        throw new InvalidLifecycleDeclarationError(
          LifecycleMessages.dependencyOnCallTask(declaration.where, call),
        );
      }
    }
    const ordered = this.order(declarations);
    // Hooks whose dependencies already exist are registered now; anything needing a bootstrap
    // task waits for bootstrap, where tasks start.
    const waiting = new Set<string>();
    for (const declaration of ordered) {
      const mustWait =
        declaration.kind === 'bootstrap-task' ||
        declaration.dependsOn.some((name) => waiting.has(name));
      if (mustWait) {
        waiting.add(declaration.name);
        this.deferred.push(declaration);
      } else if (declaration.kind === 'hook') {
        declaration.register();
      }
    }
  }

  onApplicationBootstrap(): void {
    const deferred = this.deferred;
    this.deferred = [];
    for (const declaration of deferred) declaration.register();
  }

  private order(declarations: Declaration[]): Declaration[] {
    const byName = new Map<string, Declaration>();
    for (const declaration of declarations) {
      const first = byName.get(declaration.name);
      if (first !== undefined) {
        throw new InvalidLifecycleDeclarationError(
          LifecycleMessages.duplicateDeclaration(declaration.name, first.where, declaration.where),
        );
      }
      byName.set(declaration.name, declaration);
    }
    try {
      return orderByDependencies(declarations, (name) => this.coordinator.isRegistered(name));
    } catch (error) {
      const problem = error as { taskName?: string; cycle?: readonly string[] };
      const culprit = problem.taskName ?? problem.cycle?.[0];
      const where =
        culprit === undefined ? 'lifecycle decorators' : (byName.get(culprit)?.where ?? culprit);
      throw new InvalidLifecycleDeclarationError(
        LifecycleMessages.declarationProblem(where, (error as Error).message),
        { cause: error },
      );
    }
  }

  private explore(): Declaration[] {
    const declarations: Declaration[] = [];
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
      for (const method of this.scanner.getAllMethodNames(prototype as object)) {
        const value = (instance as Record<string, unknown>)[method];
        if (typeof value !== 'function') continue;
        const fn = value as Method;
        const task = this.accessor.getManagedTask(fn);
        const safe = this.accessor.getCancellationSafe(fn);
        const hook = this.accessor.getOnShutdown(fn);
        if (task === undefined && safe === undefined && hook === undefined) continue;
        // A transient provider can have a static tree, yet its instance here is a template
        // whose constructor never ran: only true singletons are managed.
        if (!wrapper.isDependencyTreeStatic() || wrapper.isTransient) {
          for (const name of [
            task && 'ManagedTask',
            safe && 'CancellationSafe',
            hook && 'OnShutdown',
          ]) {
            if (name)
              this.logger.warn(
                LifecycleMessages.nonStaticProvider(String(wrapper.name), method, name),
              );
          }
          continue;
        }
        const target = instance as Record<string, unknown>;
        if (safe !== undefined) this.bindCancellationSafe(target, className, method, fn, safe);
        if (task !== undefined)
          declarations.push(this.declareTask(target, className, method, fn, task));
        if (hook !== undefined)
          declarations.push(this.declareHook(target, className, method, hook));
      }
    }
    return declarations;
  }

  private declareTask(
    instance: Record<string, unknown>,
    className: string,
    method: string,
    fn: Method,
    options: ManagedTaskOptions,
  ): Declaration {
    const where = LifecycleMessages.where(className, method, 'ManagedTask');
    this.checkKeys(where, options, TASK_KEYS);
    const start = options.start ?? 'bootstrap';
    if (start !== 'bootstrap' && start !== 'call') {
      throw this.invalid(where, 'start', start, `'bootstrap' or 'call'`);
    }
    const name = this.checkName(where, 'name', options.name) ?? `${className}.${method}`;
    const priority = this.wrap(where, () =>
      checkPriority('priority', options.priority, TaskPriority.NORMAL),
    );
    const dependsOn = this.checkNames(where, options.dependsOn);
    const cleanupTimeoutMs = this.wrap(where, () =>
      checkDuration(
        'cleanupTimeoutMs',
        options.cleanupTimeoutMs,
        this.coordinator.options.cleanupTimeoutMs,
      ),
    );
    if (options.onError !== undefined && typeof options.onError !== 'function') {
      throw this.invalid(where, 'onError', options.onError, 'a function');
    }
    const cleanup = this.resolveCleanup(where, className, instance, options.cleanup) as
      ((info: CleanupInfo) => unknown) | undefined;
    const onError = options.onError?.bind(instance);
    const taskOptions = { priority, cleanup, cleanupTimeoutMs };

    if (start === 'bootstrap') {
      return {
        kind: 'bootstrap-task',
        name,
        dependsOn,
        where,
        register: () => {
          this.coordinator.createTask((ctx: TaskContext) => fn.call(instance, ctx), {
            ...taskOptions,
            name,
            onError,
            dependsOn: this.live(dependsOn),
          });
        },
      };
    }

    const layer = dispatchLayers(fn).find((l) => layerKind(l) === 'managed-task');
    if (layer !== undefined)
      this.bindCallTask(layer, instance, name, dependsOn, { ...taskOptions, onError });
    return { kind: 'call-task', name, dependsOn, where, register: noop };
  }

  private bindCallTask(
    layer: DispatchingMethod,
    instance: object,
    name: string,
    dependsOn: string[],
    options: {
      priority: TaskPriority;
      cleanup?: (info: CleanupInfo) => unknown;
      cleanupTimeoutMs: number;
      onError?: (error: unknown) => unknown;
    },
  ): void {
    const isAsync = isAsyncFunction(rootMethod(layer));
    let calls = 0;
    bindLayer(layer, instance, (self, original, args) => {
      let returned: { value: unknown } | undefined;
      let threw: { error: unknown } | undefined;
      let task: ManagedTask<unknown>;
      try {
        task = this.coordinator.createTask(
          () => {
            try {
              const value = original.apply(self, args);
              if (!isThenable(value)) returned = { value };
              return value;
            } catch (error) {
              threw = { error };
              throw error;
            }
          },
          {
            ...options,
            name: `${name}#${++calls}`,
            dependsOn: this.live(dependsOn),
            // The caller receives the failure: logging it too would report it twice.
            onError: options.onError ?? noop,
          },
        );
      } catch (error) {
        // Refused (shutdown began): the way the method itself would fail.
        if (isAsync) return Promise.reject(error);
        throw error;
      }
      // A synchronous method stays synchronous: its task already ended.
      if (threw !== undefined) throw threw.error;
      if (returned !== undefined) return returned.value;
      return Promise.resolve(task);
    });
  }

  private bindCancellationSafe(
    instance: Record<string, unknown>,
    className: string,
    method: string,
    fn: Method,
    metadata: CancellationSafeMetadata,
  ): void {
    const where = LifecycleMessages.where(className, method, 'CancellationSafe');
    if (!this.coordinator.options.asyncContext)
      this.logger.warn(LifecycleMessages.asyncContextOff(where));
    const options = metadata.options;
    this.checkKeys(where, options, SAFE_KEYS);
    const cleanup = this.resolveCleanup(where, className, instance, metadata.cleanup);
    if (cleanup === undefined)
      throw this.invalid(where, 'cleanup', metadata.cleanup, 'a method name or a function');
    const cleanupTimeoutMs = this.wrap(where, () =>
      checkDuration('timeoutMs', options.timeoutMs, this.coordinator.options.cleanupTimeoutMs),
    );
    if (options.suppress !== undefined && typeof options.suppress !== 'boolean') {
      throw this.invalid(where, 'suppress', options.suppress, 'a boolean');
    }
    const on: CleanupWhen = options.on ?? 'cancel';
    if (on !== 'cancel' && on !== 'error' && on !== 'always') {
      throw this.invalid(where, 'on', on, `'cancel', 'error' or 'always'`);
    }
    const layer = dispatchLayers(fn).find((l) => layerKind(l) === 'cancellation-safe');
    if (layer === undefined) return;
    const what = `${className}.${method}`;
    bindLayer(layer, instance, (self, original, args) =>
      cancellationSafe(() => original.apply(self, args) as PromiseLike<unknown>, {
        cleanup: () => cleanup.apply(self, args),
        cleanupTimeoutMs,
        suppress: options.suppress,
        fallback: options.fallback,
        on,
        onCleanupError: (error) =>
          this.logger.warn(`The cleanup of ${what} failed: ${describeError(error)}`),
      }),
    );
  }

  private declareHook(
    instance: Record<string, unknown>,
    className: string,
    method: string,
    options: OnShutdownOptions,
  ): Declaration {
    const where = LifecycleMessages.where(className, method, 'OnShutdown');
    this.checkKeys(where, options, HOOK_KEYS);
    const name = this.checkName(where, 'name', options.name) ?? `${className}.${method}`;
    const priority = this.wrap(where, () =>
      checkPriority('priority', options.priority, TaskPriority.NORMAL),
    );
    const timeoutMs = this.wrap(where, () =>
      checkDuration('timeoutMs', options.timeoutMs, this.coordinator.options.cleanupTimeoutMs),
    );
    const dependsOn = this.checkNames(where, options.dependsOn);
    return {
      kind: 'hook',
      name,
      dependsOn,
      where,
      register: () => {
        // Read at shutdown, not now: a hook runs whatever the method is then.
        this.coordinator.registerShutdownHook(
          name,
          (ctx) => (instance[method] as Method).call(instance, ctx),
          {
            priority,
            timeoutMs,
            dependsOn: this.live(dependsOn),
          },
        );
      },
    };
  }

  /** Dependencies still alive: a bootstrap task that already ended has nothing to wait for. */
  private live(names: string[]): string[] | undefined {
    if (names.length === 0) return undefined;
    return names.filter((name) => this.coordinator.isRegistered(name));
  }

  private resolveCleanup(
    where: string,
    className: string,
    instance: Record<string, unknown>,
    cleanup: unknown,
  ): Method | undefined {
    if (cleanup === undefined) return undefined;
    if (typeof cleanup === 'function') return (cleanup as Method).bind(instance);
    if (typeof cleanup === 'string') {
      const target = instance[cleanup];
      if (typeof target !== 'function') {
        throw new InvalidLifecycleDeclarationError(
          LifecycleMessages.missingCleanupMethod(where, cleanup, className),
        );
      }
      return (...args: unknown[]) => (instance[cleanup] as Method).apply(instance, args);
    }
    throw this.invalid(where, 'cleanup', cleanup, 'a method name or a function');
  }

  private checkKeys(where: string, options: object, known: string[]): void {
    for (const [key, value] of Object.entries(options)) {
      if (!known.includes(key)) {
        throw new InvalidLifecycleDeclarationError(
          LifecycleMessages.unknownDecoratorOption(where, key, value, known),
        );
      }
    }
  }

  private checkName(where: string, option: string, value: unknown): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value === '')
      throw this.invalid(where, option, value, 'a non-empty string');
    return value;
  }

  private checkNames(where: string, value: unknown): string[] {
    if (value === undefined) return [];
    if (!Array.isArray(value) || value.some((name) => typeof name !== 'string' || name === '')) {
      throw this.invalid(where, 'dependsOn', value, 'an array of task or hook names');
    }
    return [...(value as string[])];
  }

  /** Runs a core check, re-throwing its error with the decorator's location. */
  private wrap<T>(where: string, check: () => T): T {
    try {
      return check();
    } catch (error) {
      throw new InvalidLifecycleDeclarationError(
        LifecycleMessages.declarationProblem(where, (error as Error).message),
        { cause: error },
      );
    }
  }

  private invalid(
    where: string,
    option: string,
    value: unknown,
    expected: string,
  ): InvalidLifecycleDeclarationError {
    return new InvalidLifecycleDeclarationError(
      LifecycleMessages.invalidDecoratorOption(where, option, value, expected),
    );
  }
}
