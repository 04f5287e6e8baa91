/**
 * Whether `specifier` names a package (`pkg`, `@scope/pkg/sub`) rather than a path or a URL
 * (`./x`, `/x`, `file:…`, `C:\x`), for which there is nothing to install.
 *
 * @example
 * isPackageSpecifier('ioredis'); // true
 * isPackageSpecifier('file:///app/plugin.mjs'); // false
 */
export function isPackageSpecifier(specifier: string): boolean {
  return !/^[./\\]|^[a-zA-Z][a-zA-Z\d+.-]*:/.test(specifier);
}

/**
 * The message for a package that could not be imported because it is not installed: names the
 * package, the specifier when it differs, and the install command. Shared by the warning of
 * `guardedImport` and {@link MissingDependencyError}.
 *
 * @example
 * missingDependencyMessage('ioredis', 'ioredis', false);
 * // 'Optional dependency "ioredis" is not installed; the features that need it are
 * //  disabled. Install it with: npm install ioredis'
 */
export function missingDependencyMessage(
  packageName: string,
  specifier: string,
  required: boolean,
): string {
  const kind = required ? 'Required' : 'Optional';
  const consequence = required ? '' : '; the features that need it are disabled';
  if (!isPackageSpecifier(packageName)) {
    return `${kind} module "${specifier}" was not found${consequence}`;
  }
  const via = specifier === packageName ? '' : ` (for "${specifier}")`;
  return (
    `${kind} dependency "${packageName}"${via} is not installed${consequence}. ` +
    `Install it with: npm install ${packageName}`
  );
}

/**
 * A package that the application needs is not installed: thrown by
 * `guardedImport(specifier, { required: true })`. The message names the package and the install
 * command; `cause` holds the loader's original error.
 *
 * @example
 * const redis = await guardedImport<typeof import('ioredis')>('ioredis', {
 *   required: true,
 * });
 * // MissingDependencyError: Required dependency "ioredis" is not installed.
 * //   Install it with: npm install ioredis
 */
export class MissingDependencyError extends Error {
  /** Brand: survives realms and duplicated package copies where `instanceof` does not. */
  readonly isMissingDependencyError = true as const;
  override readonly name: string = 'MissingDependencyError';
  /** What was imported: the package name, or a subpath of it (`@scope/pkg/sub`). */
  readonly specifier: string;

  constructor(
    /** The package to install (`@scope/pkg` for `@scope/pkg/sub`). */
    readonly packageName: string,
    options?: { specifier?: string; cause?: unknown },
  ) {
    const specifier = options?.specifier ?? packageName;
    super(
      missingDependencyMessage(packageName, specifier, true),
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.specifier = specifier;
  }
}
