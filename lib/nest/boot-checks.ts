import { basename } from 'node:path';
import { LifecycleMessages } from '../async-lifecycle.messages.js';

/** How this process was started, as far as it can tell (Linux: `/proc/<ppid>/cmdline`). */
export interface ProcessOrigin {
  readonly pid: number;
  readonly ppid: number;
  /** The parent's command line; `undefined` where it cannot be read (not Linux). */
  readonly parentArgv: readonly string[] | undefined;
  /** `npm_config_user_agent`: set by npm, yarn and pnpm for what they start. */
  readonly packageManagerAgent: string | undefined;
  /** Listeners for SIGTERM when the check runs. */
  readonly sigtermListeners: number;
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'ash', 'zsh', 'ksh', 'mksh', 'busybox']);
const MANAGER_SCRIPTS: Readonly<Record<string, string>> = {
  npm: 'npm',
  'npm-cli.js': 'npm',
  npx: 'npx',
  'npx-cli.js': 'npx',
  yarn: 'yarn',
  'yarn.js': 'yarn',
  'yarn.cjs': 'yarn',
  pnpm: 'pnpm',
  'pnpm.cjs': 'pnpm',
  'pnpm.mjs': 'pnpm',
  pnpx: 'pnpx',
};

/** `npm`, `yarn` … when `argv` is a package manager's (its binary, or node running its script). */
export function packageManagerOf(argv: readonly string[]): string | undefined {
  for (const arg of argv.slice(0, 2)) {
    const manager = MANAGER_SCRIPTS[basename(arg)];
    if (manager !== undefined) return manager;
  }
  return undefined;
}

/** The shell's name when `argv` is a shell running a command string (`sh -c '…'`). */
export function commandShellOf(argv: readonly string[]): string | undefined {
  const shell = argv.length > 0 ? basename(argv[0]) : '';
  return SHELLS.has(shell) && argv.includes('-c') ? shell : undefined;
}

function commandLine(argv: readonly string[]): string {
  const text = argv.join(' ');
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

/**
 * The process was started in a way that keeps the orchestrator's SIGTERM from the phased
 * shutdown: through a package manager (npm, yarn, pnpm — they may not pass the signal on, nor
 * wait for this process), through a shell that stayed as PID 1 (`sh -c` never forwards signals),
 * or as PID 1 itself with nothing handling SIGTERM (PID 1 has no default action: the signal is
 * ignored, the orchestrator waits for its grace period, then SIGKILLs). Returns the warning.
 *
 * @example
 * checkProcessOrigin({ pid: 7, ppid: 1, parentArgv: ['npm', 'start'], packageManagerAgent: 'npm/10.8.2', sigtermListeners: 1 });
 * // 'This process was started through npm (parent pid 1: npm start): …'
 */
export function checkProcessOrigin(origin: ProcessOrigin): string | undefined {
  const parent = origin.parentArgv;
  if (parent !== undefined) {
    const manager = packageManagerOf(parent);
    if (manager !== undefined) {
      return LifecycleMessages.startedThroughPackageManager(
        manager,
        origin.ppid,
        commandLine(parent),
      );
    }
    const shell = commandShellOf(parent);
    const agentManager = origin.packageManagerAgent?.split('/')[0];
    if (shell !== undefined && (origin.ppid === 1 || agentManager !== undefined)) {
      return LifecycleMessages.startedThroughShell(
        shell,
        origin.ppid,
        commandLine(parent),
        agentManager,
      );
    }
  }
  if (origin.pid === 1 && origin.sigtermListeners === 0) {
    return LifecycleMessages.pidOneWithoutHandler();
  }
  return undefined;
}

/**
 * The HTTP server closes idle keep-alive connections no later than the load balancer does: the
 * server may close one just as the load balancer sends a request on it, which then fails (a 502;
 * nodejs/node#20256, about 1 request in 20,000). `keepAliveTimeoutMs` 0 (keep-alive off) is fine.
 *
 * @example
 * checkKeepAlive(5_000, { name: 'AWS ALB', idleTimeoutMs: 60_000 });
 * // "The HTTP server's keepAliveTimeout (5000 ms) is not above AWS ALB's idle timeout (60000 ms) …"
 */
export function checkKeepAlive(
  keepAliveTimeoutMs: number | undefined,
  loadBalancer: { readonly name: string; readonly idleTimeoutMs: number } | undefined,
): string | undefined {
  if (loadBalancer === undefined || keepAliveTimeoutMs === undefined) return undefined;
  if (keepAliveTimeoutMs === 0 || keepAliveTimeoutMs > loadBalancer.idleTimeoutMs) return undefined;
  return LifecycleMessages.keepAliveNotAboveBalancer(
    keepAliveTimeoutMs,
    loadBalancer.name,
    loadBalancer.idleTimeoutMs,
  );
}

/**
 * With the HTTP intake on, something must serve readiness, or the load balancer learns of the
 * shutdown only when connections close. What is detectable at boot: whether any provider or
 * controller holds the `LifecycleHealthIndicator` (a Terminus readiness route does). A route
 * that reads `coordinator.state` itself cannot be told apart; it silences the check.
 *
 * @example
 * checkReadiness({ httpServer: true, indicatorInjected: false }); // the warning
 */
export function checkReadiness(facts: {
  readonly httpServer: boolean;
  readonly indicatorInjected: boolean;
}): string | undefined {
  return facts.httpServer && !facts.indicatorInjected
    ? LifecycleMessages.readinessNotWired()
    : undefined;
}
