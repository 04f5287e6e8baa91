import { fileURLToPath } from 'node:url';
import type { LifecycleLogger } from '../core/lifecycle-logger.interface.js';
import {
  isPackageSpecifier,
  MissingDependencyError,
  missingDependencyMessage,
} from './missing-dependency.error.js';

/** Options of {@link guardedImport}. */
export interface GuardedImportOptions {
  /** Throw a {@link MissingDependencyError} instead of resolving to `undefined`. */
  required?: boolean;
  /** Where the warning about a missing optional package goes; `process.emitWarning` when absent. */
  logger?: Pick<LifecycleLogger, 'warn'>;
}

/** The `code` of the process warning about a missing optional package, for warning filters. */
const MISSING_PEER_WARNING_CODE = 'ASYNC_LIFECYCLE_MISSING_PEER';

const NOT_FOUND_CODES: ReadonlySet<unknown> = new Set(['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND']);

// Node: "Cannot find package 'x' imported from /importer"; CommonJS and Jest: "Cannot find
// module 'x' …". The quoted name is what is missing; the importer may be named after it.
const MISSING_NAME = /Cannot find (?:module|package) '([^']+)'/;

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`; paths and URLs stay as they are. */
function packageNameOf(specifier: string): string {
  if (!isPackageSpecifier(specifier)) return specifier;
  const segments = specifier.split('/');
  return specifier.startsWith('@') ? segments.slice(0, 2).join('/') : segments[0];
}

function filePathOf(specifier: string): string | undefined {
  try {
    return fileURLToPath(specifier);
  } catch {
    return undefined;
  }
}

/**
 * Whether `error` says that the module itself is missing — not one of its own imports (a broken
 * install, a missing transitive dependency), which the application must hear about unchanged.
 */
function isMissingModule(error: unknown, specifier: string, packageName: string): boolean {
  if (typeof error !== 'object' || error === null) return false;
  let code: unknown;
  let message: unknown;
  try {
    ({ code, message } = error as { code?: unknown; message?: unknown });
  } catch {
    // A module that threw a value we cannot read (a hostile Proxy) is there: rethrow it as it is.
    return false;
  }
  if (!NOT_FOUND_CODES.has(code) || typeof message !== 'string') return false;
  const missing = MISSING_NAME.exec(message)?.[1];
  return (
    missing !== undefined &&
    (missing === specifier || missing === packageName || missing === filePathOf(specifier))
  );
}

/**
 * Imports an optional package: resolves to its module namespace, or — when the package itself is
 * not installed — to `undefined` after a warning that names it and the `npm install` command
 * (through `options.logger`, else `process.emitWarning` with the code
 * `ASYNC_LIFECYCLE_MISSING_PEER`). With `required: true` a missing package rejects with a
 * {@link MissingDependencyError} instead. Every other failure — the package is there but throws
 * while loading, or one of its own imports is missing — is rethrown unchanged.
 *
 * Pass a package name or a subpath of one (`@scope/pkg/sub`), or an absolute `file:` URL; a
 * relative specifier would resolve against this library, not against the caller. Each call
 * warns again: wrap it in `asyncOnce` to import and warn once.
 *
 * @example
 * const redis = await guardedImport<typeof import('ioredis')>('ioredis', {
 *   logger,
 * });
 * if (redis === undefined) return; // logged: Optional dependency "ioredis" is not
 * //                                     installed; … Install it with: npm install ioredis
 * const client = new redis.default();
 */
export function guardedImport<T>(
  specifier: string,
  options: GuardedImportOptions & { required: true },
): Promise<T>;
export function guardedImport<T>(
  specifier: string,
  options?: GuardedImportOptions,
): Promise<T | undefined>;
export async function guardedImport<T>(
  specifier: string,
  options: GuardedImportOptions = {},
): Promise<T | undefined> {
  try {
    return (await import(specifier)) as T;
  } catch (error) {
    const packageName = packageNameOf(specifier);
    if (!isMissingModule(error, specifier, packageName)) throw error;
    if (options.required === true) {
      throw new MissingDependencyError(packageName, { specifier, cause: error });
    }
    const message = missingDependencyMessage(packageName, specifier, false);
    if (options.logger !== undefined) options.logger.warn(message);
    else process.emitWarning(message, { code: MISSING_PEER_WARNING_CODE });
    return undefined;
  }
}
