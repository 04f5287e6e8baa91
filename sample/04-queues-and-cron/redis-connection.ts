/** The parts of `REDIS_URL` (`redis://[user:password@]host:port[/db]`) ioredis takes as options. */
export interface RedisConnection {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
}

/**
 * `REDIS_URL` as connection options, shared by BullMQ and the Redis transport (default
 * `redis://127.0.0.1:6379`).
 *
 * @example
 * redisConnection('redis://127.0.0.1:6380/2'); // { host: '127.0.0.1', port: 6380, db: 2 }
 */
export function redisConnection(
  url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
): RedisConnection {
  const parsed = new URL(url);
  if (parsed.protocol !== 'redis:') throw new Error(`REDIS_URL=${url}: expected redis://host:port`);
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : undefined;
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    ...(parsed.username === '' ? {} : { username: decodeURIComponent(parsed.username) }),
    ...(parsed.password === '' ? {} : { password: decodeURIComponent(parsed.password) }),
    ...(db === undefined ? {} : { db }),
  };
}
