import { get } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

/** One `GET url` on a fresh connection: its status, or `undefined` if it failed. */
function probeOnce(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const request = get(url, { agent: false, timeout: 1_000 }, (response) => {
      response.resume();
      response.once('end', () => resolve(response.statusCode));
    });
    request.once('timeout', () => request.destroy());
    request.once('error', () => resolve(undefined));
  });
}

/**
 * Probes `url` until it answers 200 (a proxy that just started has no event to wait for: its
 * answer is the event); rejects after `withinMs`.
 *
 * @example
 * await probeUntilOk('http://127.0.0.1:8080/health/ready', 10_000);
 */
export async function probeUntilOk(url: string, withinMs: number): Promise<void> {
  const giveUpAt = performance.now() + withinMs;
  let last: number | undefined;
  while (performance.now() < giveUpAt) {
    last = await probeOnce(url);
    if (last === 200) return;
    await sleep(20);
  }
  throw new Error(`${url} did not answer 200 within ${withinMs} ms (last: ${last ?? 'no answer'})`);
}
