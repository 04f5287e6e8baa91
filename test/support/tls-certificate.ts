import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestCertificate as HttpsCredentials } from './http-intake-app.js';

/** A self-signed certificate for `localhost`, in a temporary folder the test removes. */
export interface TestCertificate {
  readonly keyPath: string;
  readonly certPath: string;
  readonly key: Buffer;
  readonly cert: Buffer;
  remove(): void;
}

/**
 * Makes a throwaway key and certificate with the system's `openssl` (valid one day, for
 * `localhost` and 127.0.0.1): no key is committed, clients trust it by passing `cert` as `ca`.
 */
export function createTestCertificate(): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'nestjs-async-lifecycle-tls-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  const subject = [
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ];
  const output = ['-keyout', keyPath, '-out', certPath];
  const request = 'req -x509 -newkey rsa:2048 -nodes -sha256 -days 1'.split(' ');
  execFileSync('openssl', [...request, ...subject, ...output], {
    stdio: 'ignore',
    timeout: 10_000,
  });
  return {
    keyPath,
    certPath,
    key: readFileSync(keyPath),
    cert: readFileSync(certPath),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The same certificate as PEM strings, its temporary folder already removed. */
export function selfSignedCertificate(): Promise<HttpsCredentials> {
  const made = createTestCertificate();
  try {
    return Promise.resolve({ key: made.key.toString('utf8'), cert: made.cert.toString('utf8') });
  } finally {
    made.remove();
  }
}
