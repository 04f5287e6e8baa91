import type { Provider } from '@nestjs/common';
import { ASYNC_LIFECYCLE_OPTIONS } from '../async-lifecycle.module-definition.js';
import { resolveModuleOptions } from './module-options.validator.js';
import { RESOLVED_MODULE_OPTIONS } from './resolved-module-options.interface.js';

/**
 * Validates the options once, first: every other provider of the module reads these, so a bad
 * option (even `forRoot(null)`) fails bootstrap with a message naming it.
 */
export const moduleOptionsProvider: Provider = {
  provide: RESOLVED_MODULE_OPTIONS,
  inject: [ASYNC_LIFECYCLE_OPTIONS],
  useFactory: (options: unknown) => resolveModuleOptions(options === undefined ? {} : options),
};
