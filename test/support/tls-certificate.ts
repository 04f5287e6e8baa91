import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A self-signed certificate for `localhost`, in a temporary folder the test removes. */
export interface TestCertificate {
  readonly keyPath: string;
  readonly certPath: string;
  readonly key: Buffer;
  readonly cert: Buffer;
  remove(): void;
}

/** Makes a throwaway key and certificate with `openssl` (valid one day, for `localhost`). */
export function createTestCertificate(): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'nestjs-async-lifecycle-tls-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  const subject = ['-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'];
  const output = ['-keyout', keyPath, '-out', certPath];
  const request = 'req -x509 -newkey rsa:2048 -nodes -sha256 -days 1'.split(' ');
  execFileSync('openssl', [...request, ...subject, ...output], { stdio: 'ignore' });
  return {
    keyPath,
    certPath,
    key: readFileSync(keyPath),
    cert: readFileSync(certPath),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
