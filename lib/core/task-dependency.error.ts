import { CoreMessages } from './lifecycle.messages.js';

/**
 * A name was registered twice among live tasks and shutdown hooks, or uses the reserved
 * generated-name form `task#<number>`.
 *
 * @example
 * coordinator.createTask(poll, { name: 'poller' });
 * coordinator.createTask(poll, { name: 'poller' }); // throws DuplicateTaskNameError
 */
export class DuplicateTaskNameError extends Error {
  readonly isDuplicateTaskNameError = true as const;
  override readonly name: string = 'DuplicateTaskNameError';

  constructor(
    readonly taskName: string,
    reserved = false,
  ) {
    super(reserved ? CoreMessages.reservedName(taskName) : CoreMessages.duplicateName(taskName));
  }
}

/**
 * `dependsOn` names something that is neither a live task nor a registered shutdown hook.
 *
 * @example
 * coordinator.createTask(consume, { name: 'consumer', dependsOn: ['db'] });
 * // UnknownDependencyError: "consumer" depends on "db", but no live task or shutdown hook has that name
 */
export class UnknownDependencyError extends Error {
  readonly isUnknownDependencyError = true as const;
  override readonly name: string = 'UnknownDependencyError';

  constructor(
    readonly taskName: string,
    readonly dependency: string,
  ) {
    super(CoreMessages.unknownDependency(taskName, dependency));
  }
}

/**
 * Dependencies loop back on themselves; `cycle` lists the names along the loop, the first name
 * repeated at the end.
 *
 * @example
 * // DependencyCycleError: Dependency cycle: "a" → "b" → "a"
 */
export class DependencyCycleError extends Error {
  readonly isDependencyCycleError = true as const;
  override readonly name: string = 'DependencyCycleError';

  constructor(readonly cycle: readonly string[]) {
    super(CoreMessages.dependencyCycle(cycle));
  }
}
