import { describe, expect, it } from '@jest/globals';
import { isCancellation, rethrowIfCancellation } from '../../../lib/core/cancellation.js';
import { CancelledError } from '../../../lib/core/cancelled.error.js';
import { ShutdownInProgressError } from '../../../lib/core/shutdown-in-progress.error.js';
import { ShutdownPhase } from '../../../lib/core/shutdown-phase.enum.js';
import { TimeoutError } from '../../../lib/core/timeout.error.js';
import { hostileValues } from '../primitives/support/hostile-values.js';

describe('isCancellation', () => {
  it('recognises CancelledError, by brand too (another copy of the library)', () => {
    expect(isCancellation(new CancelledError())).toBe(true);
    expect(isCancellation({ isCancelledError: true })).toBe(true);
  });

  it('recognises the AbortError of AbortController.abort() and of platform APIs', () => {
    const controller = new AbortController();
    controller.abort();
    expect(isCancellation(controller.signal.reason)).toBe(true);
    expect(isCancellation(new DOMException('aborted', 'AbortError'))).toBe(true);
  });

  it('follows the cause chain, and stops on a self-referencing cause', () => {
    const wrapped = new Error('query failed', {
      cause: new Error('io', { cause: new CancelledError() }),
    });
    expect(isCancellation(wrapped)).toBe(true);
    const loop = new Error('loop') as Error & { cause?: unknown };
    loop.cause = loop;
    expect(isCancellation(loop)).toBe(false);
  });

  it('does not take timeouts, other errors or non-errors for cancellations', () => {
    expect(isCancellation(new TimeoutError(100))).toBe(false);
    expect(isCancellation(new DOMException('slow', 'TimeoutError'))).toBe(false);
    expect(isCancellation(new ShutdownInProgressError())).toBe(false);
    expect(isCancellation(new Error('boom'))).toBe(false);
    expect(isCancellation('AbortError')).toBe(false);
    expect(isCancellation(undefined)).toBe(false);
  });

  it.each(hostileValues)(
    'never throws for %s: a value it cannot read is not a cancellation',
    (_label, make) => {
      const value = make();
      expect(isCancellation(value)).toBe(false);
      expect(() => rethrowIfCancellation(value)).not.toThrow();
    },
  );

  it('still recognises a cancellation found before a link it cannot read', () => {
    const hostileCause = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
        has() {
          throw new Error('trap');
        },
      },
    );
    expect(isCancellation(new CancelledError('stop', { cause: hostileCause }))).toBe(true);
    expect(isCancellation(new Error('wrapped', { cause: hostileCause }))).toBe(false);
    const brandThrows = Object.defineProperty(
      new DOMException('x', 'AbortError'),
      'isCancelledError',
      {
        get() {
          throw new Error('brand');
        },
      },
    );
    expect(isCancellation(brandThrows)).toBe(true);
  });

  it('rethrowIfCancellation rethrows cancellations only', () => {
    const cancelled = new CancelledError();
    expect(() => rethrowIfCancellation(cancelled)).toThrow(cancelled);
    expect(() => rethrowIfCancellation(new Error('x'))).not.toThrow();
  });
});

describe('errors', () => {
  it('carry brands, names and clear messages', () => {
    expect(
      new CancelledError(undefined, { phase: ShutdownPhase.FORCEFUL, reason: 'SIGTERM' }),
    ).toMatchObject({
      isCancelledError: true,
      name: 'CancelledError',
      phase: 'forceful',
      reason: 'SIGTERM',
      message: 'The task was cancelled: shutdown (SIGTERM) is in its forceful phase',
    });
    expect(new TimeoutError(250, 'fetch of /users')).toMatchObject({
      isTimeoutError: true,
      name: 'TimeoutError',
      timeoutMs: 250,
      message: 'fetch of /users timed out after 250 ms',
    });
    expect(new ShutdownInProgressError()).toMatchObject({
      isShutdownInProgressError: true,
      name: 'ShutdownInProgressError',
    });
    expect(new CancelledError('x', { cause: 'why' }).cause).toBe('why');
  });
});
