/** A promise many tasks wait on, opened once by the bench. */
export interface Gate {
  readonly promise: Promise<void>;
  readonly open: () => void;
}

/**
 * A closed gate.
 *
 * @example
 * const gate = createGate();
 * void gate.promise.then(() => console.log('open'));
 * gate.open();
 */
export function createGate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}
