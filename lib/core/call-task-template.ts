import { InvalidLifecycleOptionError } from './invalid-option.error.js';
import { checkDuration, checkPriority } from './lifecycle-options.validator.js';
import { checkTaskName, checkTaskNames, MAX_NAME_LENGTH } from './name-check.js';
import { TaskPriority } from './task-priority.enum.js';
import type { StopMode, TaskOptions } from './task.interface.js';

/** The longest `#<n>` a call adds to the template's name. */
const CALL_SUFFIX_LENGTH = `#${Number.MAX_SAFE_INTEGER}`.length;

/** The number of the last call named `<name>#<n>`; shared by the templates of one name. */
export interface CallCounter {
  calls: number;
}

/** What a template is made from: `TaskOptions` without `name`, plus the name its calls share. */
export interface CallTaskTemplateOptions {
  readonly name: string;
  readonly priority?: TaskPriority;
  readonly dependsOn?: Iterable<string>;
  readonly cleanup?: TaskOptions['cleanup'];
  readonly cleanupTimeoutMs?: number;
  readonly onError?: TaskOptions['onError'];
  readonly stop?: StopMode;
}

/**
 * A task shape validated once and created many times — a `@ManagedTask({ start: 'call' })`
 * method, whose every call is a task named `<name>#<n>`. `createTask()` validates and resolves
 * its options at each call (3–5 µs a call, profiled); a template does that work when it is made,
 * so a call pays only for its name and its record (see `createCallTask`).
 *
 * @example
 * const template = new CallTaskTemplate({ name: 'Jobs.process', stop: 'drain' });
 * const task = createCallTask(coordinator, template, () => jobs.process(job)); // "Jobs.process#1"
 */
export class CallTaskTemplate {
  readonly name: string;
  readonly priority: TaskPriority;
  readonly stop: StopMode;
  /** Names of what each call depends on; those not registered at the call are skipped. */
  readonly dependsOn: readonly string[];
  /** The callbacks every call's record keeps (one object shared by all calls), or none. */
  readonly options: TaskOptions | undefined;
  #counter: CallCounter = { calls: 0 };
  /** Whose numbering `#counter` is (see `numberWith`). */
  #numberedBy: object | undefined;

  constructor(options: CallTaskTemplateOptions) {
    const name = checkTaskName('name', options.name);
    if (name.length > MAX_NAME_LENGTH - CALL_SUFFIX_LENGTH) {
      throw InvalidLifecycleOptionError.invalid(
        'name',
        name,
        `at most ${MAX_NAME_LENGTH - CALL_SUFFIX_LENGTH} characters (calls are named <name>#<n>)`,
      );
    }
    // `task#<n>` is the generated names' form: calls named so would collide with them.
    if (name === 'task') {
      throw InvalidLifecycleOptionError.invalid('name', name, 'a name other than "task"');
    }
    this.name = name;
    this.priority = checkPriority('priority', options.priority, TaskPriority.NORMAL);
    this.dependsOn = checkTaskNames('dependsOn', options.dependsOn);
    const stop = options.stop ?? 'drain';
    if (stop !== 'abort' && stop !== 'drain') {
      throw InvalidLifecycleOptionError.invalid('stop', stop, `'abort' or 'drain'`);
    }
    this.stop = stop;
    const { cleanup, onError, cleanupTimeoutMs } = options;
    if (cleanup !== undefined && typeof cleanup !== 'function') {
      throw InvalidLifecycleOptionError.invalid('cleanup', cleanup, 'a function');
    }
    if (onError !== undefined && typeof onError !== 'function') {
      throw InvalidLifecycleOptionError.invalid('onError', onError, 'a function');
    }
    checkDuration('cleanupTimeoutMs', cleanupTimeoutMs, 0);
    this.options =
      cleanup === undefined && onError === undefined
        ? undefined
        : { cleanup, onError, cleanupTimeoutMs };
  }

  /** Numbered by `owner` (a coordinator's registry) already: `numberWith` need not run. */
  isNumberedBy(owner: object): boolean {
    return this.#numberedBy === owner;
  }

  /**
   * Numbers the calls with `counter` from now on: `owner`'s numbering of this name, shared by
   * every template of that name there, so that no two calls there get the same name.
   */
  numberWith(owner: object, counter: CallCounter): void {
    this.#numberedBy = owner;
    this.#counter = counter;
  }

  /** The next call's name, `<name>#<n>`; numbered from 1, a refused call uses its number. */
  nextName(): string {
    return `${this.name}#${++this.#counter.calls}`;
  }
}
