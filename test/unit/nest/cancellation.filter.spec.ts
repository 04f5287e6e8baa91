import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { FILTER_CATCH_EXCEPTIONS } from '@nestjs/common/constants.js';
import type { HttpAdapterHost } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { CancelledError } from '../../../lib/core/cancelled.error.js';
import { LifecycleCoordinator } from '../../../lib/core/lifecycle-coordinator.js';
import { CancellationFilter } from '../../../lib/nest/cancellation.filter.js';
import { hostileValues } from '../primitives/support/hostile-values.js';

/*
 * The parts of CancellationFilter that no transport in this repository exercises: the WebSocket
 * context (the gateway intake is built elsewhere; its end-to-end test goes with it), and the
 * choice Nest makes of a filter — `instanceof` against the @Catch() types, the same for HTTP, RPC
 * and WebSocket — over everything a handler may throw. HTTP and RPC: the e2e spec.
 */

/** The types Nest matches a thrown value against, with `instanceof`, to pick this filter. */
const catches = Reflect.getMetadata(
  FILTER_CATCH_EXCEPTIONS,
  CancellationFilter,
) as (new () => unknown)[];

function picked(value: unknown): boolean {
  return catches.some((type) => value instanceof type);
}

function filter(state: 'running' | 'draining' = 'running'): CancellationFilter {
  const coordinator = new LifecycleCoordinator({ logger: false });
  if (state === 'draining') void coordinator.shutdown();
  return new CancellationFilter(coordinator, {} as HttpAdapterHost);
}

describe('CancellationFilter', () => {
  it('is picked for cancellations only: a CancelledError, an AbortError, an error they caused', () => {
    expect(catches).toHaveLength(1);
    expect(picked(new CancelledError())).toBe(true);
    expect(picked(new DOMException('aborted', 'AbortError'))).toBe(true);
    expect(picked(new Error('wrapped', { cause: new CancelledError() }))).toBe(true);
    expect(picked(new Error('a real failure'))).toBe(false);
    expect(picked(new DOMException('timed out', 'TimeoutError'))).toBe(false);
    expect(picked('a string')).toBe(false);
    expect(picked(undefined)).toBe(false);
  });

  it.each(hostileValues)('is not picked for %s, and choosing does not throw', (_label, make) => {
    const value = make();
    expect(() => picked(value)).not.toThrow();
    expect(picked(value)).toBe(false);
  });

  it("WebSocket: emits a retryable error as the gateway's exception event", () => {
    const emitted: unknown[][] = [];
    const client = { emit: (...args: unknown[]) => void emitted.push(args) };
    const host = new ExecutionContextHost([client, { order: 1 }, 'orders']);
    host.setType('ws');
    expect(filter('draining').catch(new CancelledError(), host)).toBeUndefined();
    expect(emitted).toEqual([
      [
        'exception',
        {
          status: 'error',
          statusCode: 503,
          error: 'Service Unavailable',
          code: 14,
          message: 'The service is shutting down: retry the request on another instance',
          retryable: true,
        },
      ],
    ]);
  });

  it('another context (GraphQL …): hands the cancellation back as it is', () => {
    const host = new ExecutionContextHost([{}, {}, {}, {}]);
    host.setType('graphql');
    const cancellation = new CancelledError();
    expect(filter().catch(cancellation, host)).toBe(cancellation);
  });
});
