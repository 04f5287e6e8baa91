import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { AsyncLifecycleOptions } from './async-lifecycle-options.interface.js';

export const {
  ConfigurableModuleClass: ConfigurableAsyncLifecycleModule,
  MODULE_OPTIONS_TOKEN: ASYNC_LIFECYCLE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<AsyncLifecycleOptions>({ moduleName: 'AsyncLifecycle' })
  .setClassMethodName('forRoot')
  // One coordinator per application, injectable everywhere.
  .setExtras({}, (definition) => ({ ...definition, global: true }))
  .build();
