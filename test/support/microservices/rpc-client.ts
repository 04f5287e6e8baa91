import type { ClientProxy } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';

/** How one request ended, as the client saw it. */
export type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Sends a request and resolves with its outcome: a rejection is an outcome to assert on. */
export async function request(
  client: ClientProxy,
  pattern: string,
  data: unknown = {},
): Promise<Outcome> {
  try {
    return { ok: true, value: await lastValueFrom(client.send(pattern, data)) };
  } catch (error) {
    return { ok: false, error };
  }
}
