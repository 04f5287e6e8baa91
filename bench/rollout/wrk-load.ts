import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SpawnedProcess } from './spawned-process.js';

/** What wrk saw, as its Lua `done()` hook printed it. */
export interface WrkResult {
  /** Responses received (any status). */
  requests: number;
  durationMs: number;
  maxLatencyMs: number;
  /** Socket errors: connect, read, write; `timeout`: no response within wrk's timeout. */
  errors: { connect: number; read: number; write: number; timeout: number };
  /** Responses by status. */
  statuses: Record<string, number>;
}

// Each request gets a unique query (`?r=<thread>-<n>`) so that the proxies' logs and the
// server's ledger name the same request; `/fast` and 300 ms `/slow` are drawn 50/50.
const SCRIPT = `
local threads = {}
function setup(thread) thread:set("tid", #threads + 1); table.insert(threads, thread) end
function init(args) statuses = {}; n = 0; tid = wrk.thread:get("tid") end
function request()
  n = n + 1
  local route = math.random() < 0.5 and "/fast" or "/slow"
  return wrk.format("GET", route .. "?r=" .. tid .. "-" .. n)
end
function response(status, headers, body)
  local k = tostring(status); statuses[k] = (statuses[k] or 0) + 1
end
function done(summary, latency, requests)
  local merged = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do merged[k] = (merged[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(merged) do table.insert(parts, string.format('"%s":%d', k, v)) end
  local e = summary.errors
  io.write(string.format('WRK {"requests":%d,"durationMs":%d,"maxLatencyMs":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},"statuses":{%s}}\\n',
    summary.requests, summary.duration / 1000, latency.max / 1000,
    e.connect, e.read, e.write, e.timeout, table.concat(parts, ",")))
end
`;

/**
 * A bounded keep-alive load through the proxy: wrk with `connections` connections on 2 threads,
 * for at most `maxSeconds`, stopped earlier by `stop()` (SIGINT: wrk then reports).
 *
 * @example
 * const load = await WrkLoad.start(url, dir, 24, 120);
 * const result = await load.stop();
 */
export class WrkLoad {
  private constructor(private readonly process: SpawnedProcess) {}

  static async start(
    url: string,
    dir: string,
    connections: number,
    maxSeconds: number,
  ): Promise<WrkLoad> {
    const script = path.join(dir, 'load.lua');
    await writeFile(script, SCRIPT);
    const args = [
      '-t2',
      `-c${connections}`,
      `-d${maxSeconds}s`,
      '--timeout',
      '10s',
      '-s',
      script,
      url,
    ];
    return new WrkLoad(SpawnedProcess.start('wrk', args));
  }

  async stop(): Promise<WrkResult> {
    await this.process.stop('SIGINT', 15_000);
    const line = this.process.lines.find((l) => l.startsWith('WRK '));
    if (line === undefined) {
      throw new Error(
        `wrk printed no result:\n${this.process.lines.join('\n')}\n${this.process.errorOutput}`,
      );
    }
    return JSON.parse(line.slice(4)) as WrkResult;
  }

  /** Ends it without a result (on failure). */
  kill(): Promise<void> {
    return this.process.kill();
  }
}
