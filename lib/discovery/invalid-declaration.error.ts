/**
 * A lifecycle decorator is used wrongly: a cleanup method that does not exist, a bad option, an
 * unknown dependency, a cycle, a duplicate name. Thrown by `app.init()`; the message names the
 * class, the method and the offending value.
 *
 * @example
 * // InvalidLifecycleDeclarationError: @CancellationSafe() on OrdersService.rebuild: cleanup "nope" is not a method of OrdersService
 */
export class InvalidLifecycleDeclarationError extends Error {
  readonly isInvalidLifecycleDeclarationError = true as const;
  override readonly name: string = 'InvalidLifecycleDeclarationError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
