import type { Provider } from '@nestjs/common';
import { ASYNC_LIFECYCLE_OPTIONS } from '../async-lifecycle.module-definition.js';
import { resolveModuleOptions } from './module-options.validator.js';

/** Token of the module's options after validation (`ResolvedModuleOptions`). */
export const RESOLVED_MODULE_OPTIONS = Symbol('RESOLVED_MODULE_OPTIONS');

/**
 * Validates the options once, first: every other provider of the module reads these, so a bad
 * option (even `forRoot(null)`) fails bootstrap with a message naming it.
 */
export const moduleOptionsProvider: Provider = {
  provide: RESOLVED_MODULE_OPTIONS,
  inject: [ASYNC_LIFECYCLE_OPTIONS],
  useFactory: (options: unknown) => resolveModuleOptions(options === undefined ? {} : options),
};
