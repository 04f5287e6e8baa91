import { execFileSync } from 'node:child_process';
import os from 'node:os';

/** Where and on what the figures were measured. */
export interface MachineInfo {
  /** The Node version of the measured children (the `--node` binary). */
  readonly node: string;
  readonly nodePath: string;
  readonly v8: string;
  readonly platform: string;
  readonly arch: string;
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly totalMemoryMiB: number;
}

/**
 * The Node version of the binary `node` (by running it), and this machine's CPU and memory.
 *
 * @example
 * console.log(machineInfo().node); // this process's Node
 */
export function machineInfo(node: string = process.execPath): MachineInfo {
  const cpus = os.cpus();
  const [version, v8] = execFileSync(node, ['-p', 'process.version + " " + process.versions.v8'], {
    encoding: 'utf8',
  })
    .trim()
    .split(' ');
  return {
    node: version,
    nodePath: node,
    v8,
    platform: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpuCount: cpus.length,
    totalMemoryMiB: Math.round(os.totalmem() / 2 ** 20),
  };
}

/**
 * The 1-minute load average now: the machine is shared, and figures taken under load spread more.
 *
 * @example
 * const load = loadAverage(); // 1.7
 */
export function loadAverage(): number {
  return Math.round(os.loadavg()[0] * 100) / 100;
}
