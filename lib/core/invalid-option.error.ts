import { CoreMessages } from './lifecycle.messages.js';

/**
 * An option of `AsyncLifecycleModule.forRoot()` / `new LifecycleCoordinator()` is unknown or has
 * a value of the wrong kind; the message names the option and the value.
 *
 * @example
 * new LifecycleCoordinator({ phases: { gracefulMs: -1 } });
 * // InvalidLifecycleOptionError: Invalid option phases.gracefulMs = -1: expected a finite number >= 0
 */
export class InvalidLifecycleOptionError extends Error {
  readonly isInvalidLifecycleOptionError = true as const;
  override readonly name: string = 'InvalidLifecycleOptionError';

  constructor(
    readonly option: string,
    readonly value: unknown,
    message: string,
  ) {
    super(message);
  }

  static invalid(option: string, value: unknown, expected: string): InvalidLifecycleOptionError {
    return new InvalidLifecycleOptionError(
      option,
      value,
      CoreMessages.invalidOption(option, value, expected),
    );
  }

  static unknown(
    option: string,
    value: unknown,
    known: readonly string[],
  ): InvalidLifecycleOptionError {
    return new InvalidLifecycleOptionError(
      option,
      value,
      CoreMessages.unknownOption(option, value, known),
    );
  }
}
