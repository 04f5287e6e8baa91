import { LifecycleMessages } from '../async-lifecycle.messages.js';
import { orderByDependencies } from '../core/dependency-order.js';
import { InvalidLifecycleDeclarationError } from './invalid-declaration.error.js';

/** What a validated declaration contributes to the order of registration. */
export interface OrderedDeclaration {
  /** A `start: 'call'` task is never registered itself: only its calls are tasks. */
  readonly kind: 'bootstrap-task' | 'call-task' | 'hook';
  readonly name: string;
  readonly dependsOn: readonly string[];
  /** `@Decorator() on Class.method`, for messages. */
  readonly where: string;
}

/**
 * When each declaration is registered: hooks whose dependencies already exist at module init;
 * bootstrap tasks, and hooks that depend on one, at application bootstrap. Each list is in
 * dependency order (a dependency before what depends on it).
 */
export interface RegistrationPlan<T extends OrderedDeclaration> {
  readonly atInit: readonly T[];
  readonly atBootstrap: readonly T[];
}

// `<prefix>#<n>`: the name of the n-th call of a `start: 'call'` task named `<prefix>`.
const CALL_NAME = /^(.*)#\d+$/;

/**
 * Orders every declaration of the application before anything is registered. Pure: it throws an
 * `InvalidLifecycleDeclarationError` naming the declarations involved for a name used twice
 * (among declarations, or with something `isRegistered` already knows), a name that a call of a
 * `start: 'call'` task will take, a dependency on a `start: 'call'` task, an unknown dependency
 * or a cycle.
 *
 * @example
 * planRegistration(
 *   [{ kind: 'bootstrap-task', name: 'consumer', dependsOn: ['db'], where: '@ManagedTask() on Consumer.run' },
 *    { kind: 'hook', name: 'db', dependsOn: [], where: '@OnShutdown() on Pool.close' }],
 *   () => false,
 * );
 * // → { atInit: [db], atBootstrap: [consumer] }
 */
export function planRegistration<T extends OrderedDeclaration>(
  declarations: readonly T[],
  isRegistered: (name: string) => boolean,
): RegistrationPlan<T> {
  const calls = new Map<string, T>();
  for (const declaration of declarations) {
    if (declaration.kind === 'call-task') calls.set(declaration.name, declaration);
  }
  for (const declaration of declarations) {
    // While a task or hook holds that name, the call that takes it would be refused.
    const prefix = declaration.kind === 'call-task' ? null : CALL_NAME.exec(declaration.name);
    const owner = prefix === null ? undefined : calls.get(prefix[1]);
    if (owner !== undefined) {
      throw new InvalidLifecycleDeclarationError(
        LifecycleMessages.callNameTaken(declaration.where, declaration.name, owner.where),
      );
    }
    const call = declaration.dependsOn.find((name) => calls.has(name));
    if (call !== undefined) {
      throw new InvalidLifecycleDeclarationError(
        LifecycleMessages.dependencyOnCallTask(declaration.where, call),
      );
    }
  }
  const atInit: T[] = [];
  const atBootstrap: T[] = [];
  // Hooks whose dependencies already exist are registered at init; anything needing a bootstrap
  // task waits for bootstrap, where tasks start.
  const waiting = new Set<string>();
  for (const declaration of order(declarations, isRegistered)) {
    if (declaration.kind === 'call-task') continue;
    const mustWait =
      declaration.kind === 'bootstrap-task' ||
      declaration.dependsOn.some((name) => waiting.has(name));
    if (mustWait) {
      waiting.add(declaration.name);
      atBootstrap.push(declaration);
    } else {
      atInit.push(declaration);
    }
  }
  return { atInit, atBootstrap };
}

function order<T extends OrderedDeclaration>(
  declarations: readonly T[],
  isRegistered: (name: string) => boolean,
): T[] {
  const byName = new Map<string, T>();
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
    return orderByDependencies(declarations, isRegistered);
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

/**
 * The dependencies still alive, for a task or hook registered now: a bootstrap task that already
 * ended has nothing left to wait for. `undefined` when there are none to declare.
 *
 * @example
 * liveDependencies(['db-pool', 'warmup'], (name) => coordinator.isRegistered(name)); // ['db-pool']
 */
export function liveDependencies(
  names: readonly string[],
  isRegistered: (name: string) => boolean,
): string[] | undefined {
  if (names.length === 0) return undefined;
  return names.filter(isRegistered);
}
