/**
 * The `code` of the error a shutting-down microservice answers with.
 *
 * @example
 * if (error?.code === SHUTTING_DOWN_CODE) metrics.increment('rpc.retried-on-shutdown');
 */
export const SHUTTING_DOWN_CODE = 'SERVICE_SHUTTING_DOWN';

/**
 * What a client receives instead of a reply when the server is shutting down and did not (or no
 * longer will) handle its request: the request was refused at arrival, or handed back at
 * FORCEFUL. Nothing of it was committed by this instance's reply; send it again (another
 * instance, or this one after its restart, takes it). Never Nest's "Internal server error".
 *
 * @example
 * // the error a ClientProxy's send() fails with
 * { status: 'error', code: 'SERVICE_SHUTTING_DOWN', retryable: true,
 *   message: 'The service is shutting down: send the request again' }
 */
export interface RetryableRpcError {
  readonly status: 'error';
  readonly code: typeof SHUTTING_DOWN_CODE;
  readonly retryable: true;
  readonly message: string;
}

/**
 * The error a shutting-down microservice answers a request with.
 *
 * @example
 * retryableRpcError('refused'); // { status: 'error', code: 'SERVICE_SHUTTING_DOWN', … }
 */
export function retryableRpcError(when: 'refused' | 'handed-back'): RetryableRpcError {
  return {
    status: 'error',
    code: SHUTTING_DOWN_CODE,
    retryable: true,
    message:
      when === 'refused'
        ? 'The service is shutting down and did not take this request: send it again'
        : 'The service is shutting down and stopped handling this request: send it again',
  };
}

/**
 * Whether a microservice client's error says "the server was shutting down: send it again" —
 * the request was refused or handed back, never half-answered. Total: never throws, whatever
 * the error is.
 *
 * @example
 * const total = await lastValueFrom(
 *   client.send('sum', [1, 2]).pipe(
 *     retry({ count: 5, delay: (error) => (isRetryableRpcError(error) ? timer(200) : throwError(() => error)) }),
 *   ),
 * );
 */
export function isRetryableRpcError(error: unknown): error is RetryableRpcError {
  if (typeof error !== 'object' || error === null) return false;
  try {
    const { code, retryable } = error as Partial<RetryableRpcError>;
    return code === SHUTTING_DOWN_CODE && retryable === true;
  } catch {
    // A hostile value (a throwing getter, a revoked Proxy) is not ours.
    return false;
  }
}
