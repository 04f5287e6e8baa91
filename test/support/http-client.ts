import { request, type Agent } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';

/** A response read in full. */
export interface HttpResult {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * GET over a fresh connection (no agent, no keep-alive): nothing stays open after the test.
 * With `agent`, over that agent's kept-alive connection instead (the caller destroys it).
 */
export function httpGet(url: string, agent?: Agent): Promise<HttpResult> {
  const options =
    agent === undefined ? { agent: false as const, headers: { connection: 'close' } } : { agent };
  return new Promise((resolve, reject) => {
    const req = request(url, options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * GET over HTTPS trusting `ca` (a self-signed test certificate): over a fresh connection, or
 * over `agent`'s kept-alive one (the caller destroys it).
 */
export function httpsGet(url: string, ca: string, agent?: HttpsAgent): Promise<HttpResult> {
  const options =
    agent === undefined
      ? { agent: false as const, ca, headers: { connection: 'close' } }
      : { agent, ca };
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
