/** Which app is rolled, and how it shuts down: one row of the table. */
export interface RolloutRow {
  readonly id: string;
  readonly adapter: 'express' | 'fastify';
  /** `lifecycle`: this module; `plain`: `enableShutdownHooks()`; `terminus`: + Terminus' sleep. */
  readonly mode: 'lifecycle' | 'plain' | 'terminus';
  /** Module options (lifecycle mode). */
  readonly lifecycleOptions?: object;
  /** Terminus' `gracefulShutdownTimeoutMs` (terminus mode). */
  readonly terminusShutdownMs?: number;
}

/** HAProxy's active checks on `/health/ready` and its retries. */
export interface HaproxySetup {
  readonly proxy: 'haproxy';
  readonly id: string;
  /** `inter` and `fall`: a DOWN instance is noticed within about `interMs × fall`. */
  readonly interMs: number;
  readonly fall: number;
  readonly rise: number;
  /** `retries 3` + `option redispatch 1` (on) or `retries 0` (off). */
  readonly retries: boolean;
}

/** nginx with a fixed upstream (passive: it learns of a backend's state only from failures). */
export interface NginxSetup {
  readonly proxy: 'nginx';
  readonly id: string;
  /** `proxy_next_upstream`: nginx's default (`error timeout`) or `off`. */
  readonly nextUpstream: 'default' | 'off';
  /** `max_fails` of each upstream server; nginx's default is 1 (with `fail_timeout=10s`). */
  readonly maxFails?: number;
}

export type ProxySetup = HaproxySetup | NginxSetup;

/** The fixed drain, and the budgets of every lifecycle row. */
export const DRAIN_DELAY_MS = 1_000;
const PHASES = { gracefulMs: 5_000, forcefulMs: 1_000, terminateMs: 500 };
/** The measured drain: at least 0.5 s, then until 0.5 s without a new request, at most 5 s. */
export const MEASURED_DRAIN = { minMs: 500, quietMs: 500, maxMs: 5_000 };

const lifecycle = (adapter: RolloutRow['adapter'], drain: 'measured' | 'fixed'): RolloutRow => ({
  id: `lifecycle ${adapter} ${drain === 'measured' ? 'drain:{…}' : `drainDelayMs`}`,
  adapter,
  mode: 'lifecycle',
  lifecycleOptions:
    drain === 'measured'
      ? { drain: MEASURED_DRAIN, phases: PHASES }
      : { drainDelayMs: DRAIN_DELAY_MS, phases: PHASES },
});

/** Every row, this module first. */
export const ROWS: readonly RolloutRow[] = [
  lifecycle('express', 'measured'),
  lifecycle('express', 'fixed'),
  lifecycle('fastify', 'measured'),
  lifecycle('fastify', 'fixed'),
  { id: 'plain express', adapter: 'express', mode: 'plain' },
  { id: 'plain fastify', adapter: 'fastify', mode: 'plain' },
  {
    id: 'terminus express',
    adapter: 'express',
    mode: 'terminus',
    terminusShutdownMs: DRAIN_DELAY_MS,
  },
  {
    id: 'terminus fastify',
    adapter: 'fastify',
    mode: 'terminus',
    terminusShutdownMs: DRAIN_DELAY_MS,
  },
];

/** Checks faster than the fixed drain (noticed in 0.2–0.4 s) and slower (2–3 s). */
const FAST = { interMs: 200, fall: 2, rise: 2 };
const SLOW = { interMs: 1_000, fall: 3, rise: 2 };

/** Every configuration. */
export const SETUPS: readonly ProxySetup[] = [
  { proxy: 'haproxy', id: 'haproxy fast checks, retries', ...FAST, retries: true },
  { proxy: 'haproxy', id: 'haproxy fast checks, no retries', ...FAST, retries: false },
  { proxy: 'haproxy', id: 'haproxy slow checks, retries', ...SLOW, retries: true },
  { proxy: 'haproxy', id: 'haproxy slow checks, no retries', ...SLOW, retries: false },
  { proxy: 'nginx', id: 'nginx next_upstream default', nextUpstream: 'default' },
  { proxy: 'nginx', id: 'nginx next_upstream off', nextUpstream: 'off' },
  // The settings the README recommends: a failed attempt never takes a port out of rotation.
  {
    proxy: 'nginx',
    id: 'nginx next_upstream default, max_fails=0',
    nextUpstream: 'default',
    maxFails: 0,
  },
  { proxy: 'nginx', id: 'nginx next_upstream off, max_fails=0', nextUpstream: 'off', maxFails: 0 },
];

/**
 * `--quick` (about two minutes): the hardest configuration of each proxy, this module against
 * the strongest other row (plain Nest loses far more in both).
 */
export const QUICK = {
  setups: ['haproxy slow checks, no retries', 'nginx next_upstream off'],
  rows: ['lifecycle express drain:{…}', 'terminus express'],
};
