import { describe, expect, it } from '@jest/globals';
import {
  checkKeepAlive,
  checkProcessOrigin,
  checkReadiness,
  commandShellOf,
  packageManagerOf,
  type ProcessOrigin,
} from '../../../lib/nest/boot-checks.js';
import { LOAD_BALANCER_PRESETS, resolveBootChecks } from '../../../lib/nest/boot-checks.options.js';

const alb = LOAD_BALANCER_PRESETS['aws-alb'];

function origin(overrides: Partial<ProcessOrigin>): ProcessOrigin {
  return {
    pid: 42,
    ppid: 7,
    parentArgv: ['/usr/local/bin/node', 'dist/cluster.js'],
    packageManagerAgent: undefined,
    sigtermListeners: 1,
    ...overrides,
  };
}

describe('checkKeepAlive', () => {
  it("warns when the server's keep-alive is not above the load balancer's idle timeout", () => {
    expect(checkKeepAlive(5_000, alb)).toContain(
      "keepAliveTimeout (5000 ms) is not above AWS ALB's idle timeout (60000 ms)",
    );
    expect(checkKeepAlive(60_000, alb)).toContain('keepAliveTimeout = 65000');
  });

  it('is quiet above it, with keep-alive off, without a stated load balancer or a timeout', () => {
    expect(checkKeepAlive(65_000, alb)).toBeUndefined();
    expect(checkKeepAlive(0, alb)).toBeUndefined();
    expect(checkKeepAlive(5_000, undefined)).toBeUndefined();
    expect(checkKeepAlive(undefined, alb)).toBeUndefined();
  });

  it("Fastify's default (72 s) is fine behind an ALB, not behind Google's 600 s", () => {
    expect(checkKeepAlive(72_000, alb)).toBeUndefined();
    expect(checkKeepAlive(72_000, LOAD_BALANCER_PRESETS.gcp)).toContain(
      "not above Google Cloud load balancer's idle timeout (600000 ms)",
    );
  });
});

describe('checkProcessOrigin', () => {
  it('names a package manager parent, as a binary or as node running its script', () => {
    expect(packageManagerOf(['npm', 'start'])).toBe('npm');
    expect(
      packageManagerOf(['node', '/usr/lib/node_modules/npm/bin/npm-cli.js', 'run', 'start']),
    ).toBe('npm');
    expect(packageManagerOf(['node', '/opt/yarn/bin/yarn.js', 'start'])).toBe('yarn');
    expect(packageManagerOf(['/usr/bin/pnpm', 'start'])).toBe('pnpm');
    expect(packageManagerOf(['node', 'dist/main.js'])).toBeUndefined();
    expect(checkProcessOrigin(origin({ ppid: 1, parentArgv: ['npm', 'start'] }))).toContain(
      'This process was started through npm (parent pid 1: npm start)',
    );
  });

  it('a shell running a command string, as PID 1 or under a package manager, is named', () => {
    expect(commandShellOf(['/bin/sh', '-c', 'node dist/main.js'])).toBe('sh');
    expect(commandShellOf(['bash'])).toBeUndefined();
    expect(
      checkProcessOrigin(origin({ ppid: 1, parentArgv: ['/bin/sh', '-c', 'node main.js'] })),
    ).toContain('a shell that stayed its parent (sh, pid 1: /bin/sh -c node main.js)');
    expect(
      checkProcessOrigin(
        origin({
          parentArgv: ['sh', '-c', 'node main.js'],
          packageManagerAgent: 'yarn/1.22.22 npm/? node/v22',
        }),
      ),
    ).toContain('(sh, pid 7, run by yarn: sh -c node main.js)');
  });

  it('an interactive shell, a supervisor or an init is no problem', () => {
    expect(checkProcessOrigin(origin({ parentArgv: ['-bash'] }))).toBeUndefined();
    expect(
      checkProcessOrigin(origin({ parentArgv: ['sh', '-c', 'node main.js'] })),
    ).toBeUndefined();
    expect(
      checkProcessOrigin(origin({ ppid: 1, parentArgv: ['/sbin/tini', '--', 'node', 'main.js'] })),
    ).toBeUndefined();
    expect(checkProcessOrigin(origin({ parentArgv: undefined }))).toBeUndefined();
  });

  it('PID 1 is a problem only when nothing handles SIGTERM', () => {
    expect(
      checkProcessOrigin(origin({ pid: 1, ppid: 0, parentArgv: [], sigtermListeners: 0 })),
    ).toContain('runs as PID 1 and nothing handles SIGTERM');
    expect(
      checkProcessOrigin(origin({ pid: 1, ppid: 0, parentArgv: [], sigtermListeners: 1 })),
    ).toBeUndefined();
  });
});

describe('checkReadiness', () => {
  it('warns when an HTTP server runs and nothing holds the health indicator', () => {
    expect(checkReadiness({ httpServer: true, indicatorInjected: false })).toContain(
      'nothing injects LifecycleHealthIndicator',
    );
    expect(checkReadiness({ httpServer: true, indicatorInjected: true })).toBeUndefined();
    expect(checkReadiness({ httpServer: false, indicatorInjected: false })).toBeUndefined();
  });
});

describe('resolveBootChecks', () => {
  it('every check on by default; false turns all off; each can be silenced alone', () => {
    expect(resolveBootChecks(undefined, undefined)).toEqual({
      keepAlive: true,
      signals: true,
      readiness: true,
      loadBalancer: undefined,
    });
    expect(resolveBootChecks(false, 'nginx')).toEqual({
      keepAlive: false,
      signals: false,
      readiness: false,
      loadBalancer: { name: 'nginx (upstream keepalive_timeout)', idleTimeoutMs: 60_000 },
    });
    expect(
      resolveBootChecks({ readiness: false }, { idleTimeoutMs: 30_000, name: 'haproxy' }),
    ).toEqual({
      keepAlive: true,
      signals: true,
      readiness: false,
      loadBalancer: { name: 'haproxy', idleTimeoutMs: 30_000 },
    });
  });

  it.each<[unknown, unknown, string]>([
    [
      { readyness: false },
      undefined,
      'Unknown option bootChecks.readyness = false; known options are: keepAlive, signals, readiness',
    ],
    [{ signals: 'no' }, undefined, 'Invalid option bootChecks.signals = "no": expected a boolean'],
    [
      'on',
      undefined,
      'Invalid option bootChecks = "on": expected a boolean or { keepAlive?, signals?, readiness? }',
    ],
    [
      undefined,
      'aws-elb',
      `Invalid option loadBalancer = "aws-elb": expected one of 'aws-alb', 'gcp', 'nginx' or { idleTimeoutMs }`,
    ],
    [
      undefined,
      {},
      'Invalid option loadBalancer.idleTimeoutMs = undefined: expected a number of milliseconds',
    ],
    [
      undefined,
      { idleTimeoutMs: -1 },
      'Invalid option loadBalancer.idleTimeoutMs = -1: expected a finite number of milliseconds between 1 and 2147483647',
    ],
    [
      undefined,
      { idleTimeoutMs: 1000, name: '' },
      'Invalid option loadBalancer.name = "": expected a non-empty string',
    ],
  ])(
    'rejects bootChecks %p / loadBalancer %p naming the option',
    (bootChecks, loadBalancer, message) => {
      expect(() => resolveBootChecks(bootChecks, loadBalancer)).toThrow(message);
    },
  );
});
