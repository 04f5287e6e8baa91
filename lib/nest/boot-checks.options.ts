import { InvalidLifecycleOptionError } from '../core/invalid-option.error.js';
import { checkDuration, checkKeys, isPlainObject } from '../core/lifecycle-options.validator.js';

/**
 * Load balancers whose idle timeout for connections to the backend is known:
 * - `aws-alb`: AWS Application Load Balancer, idle timeout 60 s by default (its
 *   `idle_timeout.timeout_seconds` attribute);
 * - `gcp`: Google Cloud application load balancers, a backend keep-alive of 600 s that cannot be
 *   changed (Google asks backends for more than 600 s);
 * - `nginx`: nginx `proxy_pass` to an `upstream` with `keepalive`, whose `keepalive_timeout`
 *   defaults to 60 s.
 * Anything else (HAProxy, Envoy, a changed default): state it as `{ idleTimeoutMs }`.
 *
 * @example
 * AsyncLifecycleModule.forRoot({ loadBalancer: 'aws-alb' });
 */
export type LoadBalancerPreset = 'aws-alb' | 'gcp' | 'nginx';

/**
 * The load balancer in front of the HTTP server: a preset, or how long it keeps an idle
 * connection to this server open (`name` shows in the warning).
 *
 * @example
 * AsyncLifecycleModule.forRoot({ loadBalancer: { name: 'haproxy', idleTimeoutMs: 30_000 } });
 */
export type LoadBalancerOption = LoadBalancerPreset | { idleTimeoutMs: number; name?: string };

/**
 * Which boot-time checks run; each is on unless set to `false` (`bootChecks: false` turns all
 * off). The budget check against `gracePeriodMs` runs whenever `gracePeriodMs` is set.
 *
 * @example
 * AsyncLifecycleModule.forRoot({ bootChecks: { readiness: false } });
 */
export interface BootChecksOptions {
  /** The HTTP server's `keepAliveTimeout` is above the load balancer's idle timeout. */
  keepAlive?: boolean;
  /** The process is not started through npm / yarn / pnpm or a shell, nor PID 1 without a handler. */
  signals?: boolean;
  /** Something injects `LifecycleHealthIndicator` (readiness can reach a route). */
  readiness?: boolean;
}

/** The boot checks after validation. */
export interface ResolvedBootChecks {
  readonly keepAlive: boolean;
  readonly signals: boolean;
  readonly readiness: boolean;
  /** Stated by `loadBalancer`; the keep-alive check needs it. */
  readonly loadBalancer: { readonly name: string; readonly idleTimeoutMs: number } | undefined;
}

/** The presets' idle timeouts. */
export const LOAD_BALANCER_PRESETS: Readonly<
  Record<LoadBalancerPreset, { readonly name: string; readonly idleTimeoutMs: number }>
> = {
  'aws-alb': { name: 'AWS ALB', idleTimeoutMs: 60_000 },
  gcp: { name: 'Google Cloud load balancer', idleTimeoutMs: 600_000 },
  nginx: { name: 'nginx (upstream keepalive_timeout)', idleTimeoutMs: 60_000 },
};

const CHECK_KEYS = ['keepAlive', 'signals', 'readiness'];

function resolveLoadBalancer(value: unknown): ResolvedBootChecks['loadBalancer'] {
  if (value === undefined) return undefined;
  if (typeof value === 'string') {
    if (Object.hasOwn(LOAD_BALANCER_PRESETS, value)) {
      return LOAD_BALANCER_PRESETS[value as LoadBalancerPreset];
    }
  } else if (isPlainObject(value)) {
    checkKeys('loadBalancer.', value, ['idleTimeoutMs', 'name']);
    if (value.idleTimeoutMs === undefined) {
      throw InvalidLifecycleOptionError.invalid(
        'loadBalancer.idleTimeoutMs',
        undefined,
        'a number of milliseconds',
      );
    }
    const idleTimeoutMs = checkDuration('loadBalancer.idleTimeoutMs', value.idleTimeoutMs, 0, 1);
    if (value.name !== undefined && (typeof value.name !== 'string' || value.name === '')) {
      throw InvalidLifecycleOptionError.invalid(
        'loadBalancer.name',
        value.name,
        'a non-empty string',
      );
    }
    return { name: value.name ?? 'the load balancer', idleTimeoutMs };
  }
  throw InvalidLifecycleOptionError.invalid(
    'loadBalancer',
    value,
    `one of ${Object.keys(LOAD_BALANCER_PRESETS)
      .map((preset) => `'${preset}'`)
      .join(', ')} or { idleTimeoutMs }`,
  );
}

/**
 * Validates `bootChecks` and `loadBalancer`.
 *
 * @example
 * resolveBootChecks({ signals: false }, 'aws-alb');
 * // { keepAlive: true, signals: false, readiness: true, loadBalancer: { name: 'AWS ALB', idleTimeoutMs: 60000 } }
 */
export function resolveBootChecks(bootChecks: unknown, loadBalancer: unknown): ResolvedBootChecks {
  const resolvedBalancer = resolveLoadBalancer(loadBalancer);
  if (bootChecks === undefined || typeof bootChecks === 'boolean') {
    const on = bootChecks !== false;
    return { keepAlive: on, signals: on, readiness: on, loadBalancer: resolvedBalancer };
  }
  if (!isPlainObject(bootChecks)) {
    throw InvalidLifecycleOptionError.invalid(
      'bootChecks',
      bootChecks,
      'a boolean or { keepAlive?, signals?, readiness? }',
    );
  }
  checkKeys('bootChecks.', bootChecks, CHECK_KEYS);
  const flag = (key: string): boolean => {
    const value = bootChecks[key];
    if (value === undefined) return true;
    if (typeof value !== 'boolean') {
      throw InvalidLifecycleOptionError.invalid(`bootChecks.${key}`, value, 'a boolean');
    }
    return value;
  };
  return {
    keepAlive: flag('keepAlive'),
    signals: flag('signals'),
    readiness: flag('readiness'),
    loadBalancer: resolvedBalancer,
  };
}
