import { describe, expect, it } from '@jest/globals';
import {
  isRetryableRpcError,
  retryableRpcError,
} from '../../../../lib/intake/microservices/retryable-rpc-error.js';
import { hostileValues } from '../../primitives/support/hostile-values.js';

describe('isRetryableRpcError', () => {
  it('recognises what a shutting-down server answers, after a JSON round trip', () => {
    for (const when of ['refused', 'handed-back'] as const) {
      const sent = retryableRpcError(when);
      expect(isRetryableRpcError(sent)).toBe(true);
      expect(isRetryableRpcError(JSON.parse(JSON.stringify(sent)))).toBe(true);
      expect(sent).toMatchObject({ status: 'error', retryable: true });
    }
  });

  it("is false for Nest's own errors and anything else", () => {
    expect(isRetryableRpcError({ status: 'error', message: 'Internal server error' })).toBe(false);
    expect(isRetryableRpcError({ code: 'SERVICE_SHUTTING_DOWN' })).toBe(false);
    expect(isRetryableRpcError(new Error('Connection closed'))).toBe(false);
    expect(isRetryableRpcError(undefined)).toBe(false);
    expect(isRetryableRpcError('SERVICE_SHUTTING_DOWN')).toBe(false);
  });

  it.each(hostileValues)('never throws, whatever the value: %s', (_name, make) => {
    expect(isRetryableRpcError(make())).toBe(false);
  });
});
