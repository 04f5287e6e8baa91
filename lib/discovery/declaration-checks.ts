import { LifecycleMessages } from '../async-lifecycle.messages.js';
import { checkTaskName, checkTaskNames } from '../core/name-check.js';
import type { MethodSite } from './decorated-method.interface.js';
import { InvalidLifecycleDeclarationError } from './invalid-declaration.error.js';

/**
 * A cleanup as a decorator takes it: the name of a method of the same class (looked up on the
 * instance at each call, so a later replacement of the method is what runs), or a function.
 */
export type CleanupReference = string | ((...args: never[]) => unknown);

// The coordinator names unnamed tasks `task#<seq>` and refuses explicit names of that form.
// Copied rather than imported: the registry that owns it is a core internal
// (declaration-checks.spec.ts pins the copy to the coordinator's behaviour).
const GENERATED_NAME = /^task#\d+$/;

/**
 * `@Decorator() on Class.method`, the prefix of every message about a declaration.
 *
 * @example
 * whereOf('ManagedTask', { className: 'Worker', methodName: 'loop' }); // '@ManagedTask() on Worker.loop'
 */
export function whereOf(decorator: string, site: Omit<MethodSite, 'instance'>): string {
  return LifecycleMessages.where(site.className, site.methodName, decorator);
}

/**
 * The error for an option of the wrong kind, naming the declaration, the option and the value.
 *
 * @example
 * throw invalidOption(where, 'suppress', 'yes', 'a boolean');
 */
export function invalidOption(
  where: string,
  option: string,
  value: unknown,
  expected: string,
): InvalidLifecycleDeclarationError {
  return new InvalidLifecycleDeclarationError(
    LifecycleMessages.invalidDecoratorOption(where, option, value, expected),
  );
}

/**
 * Throws for the first key of `options` that is not in `known`.
 *
 * @example
 * checkOptionKeys(where, { retries: 3 }, ['name', 'priority']); // throws: Unknown option retries = 3; …
 */
export function checkOptionKeys(where: string, options: object, known: readonly string[]): void {
  for (const [key, value] of Object.entries(options)) {
    if (!known.includes(key)) {
      throw new InvalidLifecycleDeclarationError(
        LifecycleMessages.unknownDecoratorOption(where, key, value, known),
      );
    }
  }
}

/**
 * Runs a shared option check (a core helper that throws `InvalidLifecycleOptionError`) and
 * rethrows its failure with the declaration's location in front, the original as `cause`.
 *
 * @example
 * const priority = inDeclaration(where, () => checkPriority('priority', value, TaskPriority.NORMAL));
 */
export function inDeclaration<T>(where: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    throw new InvalidLifecycleDeclarationError(
      LifecycleMessages.declarationProblem(where, (error as Error).message),
      { cause: error },
    );
  }
}

/**
 * The name of a task or hook: `value`, or `fallback` (`Class.method`) when absent. Refuses what
 * `checkTaskName` refuses — an empty or over-long name, control characters — so that it fails at
 * bootstrap, with the location, rather than when the task or hook is created.
 *
 * @example
 * checkDeclarationName(where, undefined, 'Worker.loop'); // 'Worker.loop'
 * checkDeclarationName(where, 'evil\nINFO', 'Worker.loop'); // throws: … Invalid option name = "evil\nINFO": …
 */
export function checkDeclarationName(where: string, value: unknown, fallback: string): string {
  return inDeclaration(where, () => checkTaskName('name', value === undefined ? fallback : value));
}

/**
 * Refuses a name of the form the coordinator generates for unnamed tasks, `task#<number>`: it
 * refuses such a name when the task or hook is created.
 *
 * @example
 * checkNotReserved(where, 'task#3'); // throws: … the name "task#3" has the form task#<number>, …
 */
export function checkNotReserved(where: string, name: string): void {
  if (GENERATED_NAME.test(name)) {
    throw new InvalidLifecycleDeclarationError(
      LifecycleMessages.reservedDeclarationName(where, name),
    );
  }
}

/**
 * Whether the calls of a `start: 'call'` task with this name (`<name>#<n>`) would have the
 * reserved form `task#<number>` — the coordinator would refuse every one of them.
 *
 * @example
 * hasReservedCallNames('task'); // true: its calls would be task#1, task#2, …
 */
export function hasReservedCallNames(name: string): boolean {
  return GENERATED_NAME.test(`${name}#1`);
}

/**
 * `dependsOn`: a fresh array of valid names (any iterable is read once), empty when absent.
 *
 * @example
 * checkDeclarationDependencies(where, ['db-pool']); // ['db-pool']
 */
export function checkDeclarationDependencies(where: string, value: unknown): string[] {
  return inDeclaration(where, () => checkTaskNames('dependsOn', value));
}

/**
 * Whether `name` is a method of the instance's class or of a class it extends — an own function
 * property counts too — and not `constructor` nor something every object inherits from
 * `Object.prototype` (`toString`, `hasOwnProperty`, …): those pass a `typeof` check and then fail,
 * or do nothing useful, on every call.
 *
 * @example
 * isClassMethod(new LockService(), 'unlock'); // true
 * isClassMethod(new LockService(), 'constructor'); // false
 */
export function isClassMethod(instance: object, name: string): boolean {
  if (name === 'constructor') return false;
  for (
    let holder: object | null = instance;
    holder !== null && holder !== Object.prototype;
    holder = Object.getPrototypeOf(holder) as object | null
  ) {
    if (Object.prototype.hasOwnProperty.call(holder, name)) {
      return typeof (instance as Record<string, unknown>)[name] === 'function';
    }
  }
  return false;
}

/**
 * A `cleanup` option: `undefined` when absent, else a method name of the class (see
 * {@link isClassMethod}) or a function.
 *
 * @example
 * checkCleanup(where, site, 'unlock'); // 'unlock'
 * checkCleanup(where, site, 'nope'); // throws: … cleanup "nope" is not a method of LockService
 */
export function checkCleanup(
  where: string,
  site: MethodSite,
  value: unknown,
): CleanupReference | undefined {
  if (value === undefined || typeof value === 'function') {
    return value as CleanupReference | undefined;
  }
  if (typeof value !== 'string') {
    throw invalidOption(where, 'cleanup', value, 'a method name or a function');
  }
  if (!isClassMethod(site.instance, value)) {
    throw new InvalidLifecycleDeclarationError(
      LifecycleMessages.missingCleanupMethod(where, value, site.className),
    );
  }
  return value;
}
