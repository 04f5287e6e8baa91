import { describeError } from '../core/describe.js';

/**
 * A task group failed: `errors` holds the real failures of its tasks (and of its body), in the
 * order they happened — never the cancellations they caused in their siblings.
 *
 * @example
 * try {
 *   await TaskGroup.run(async (group) => { group.spawn(a); group.spawn(b); });
 * } catch (error) {
 *   if ((error as TaskGroupError).isTaskGroupError) for (const e of (error as TaskGroupError).errors) log(e);
 * }
 */
export class TaskGroupError extends Error {
  readonly isTaskGroupError = true as const;
  override readonly name: string = 'TaskGroupError';

  constructor(readonly errors: readonly unknown[]) {
    super(
      `${errors.length} task(s) of the group failed` +
        (errors.length > 0 ? `; first: ${describeError(errors[0])}` : ''),
      { cause: errors[0] },
    );
  }
}
