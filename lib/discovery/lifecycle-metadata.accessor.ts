import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  CANCELLATION_SAFE_METADATA,
  MANAGED_TASK_METADATA,
  ON_SHUTDOWN_METADATA,
} from '../async-lifecycle.constants.js';
import type { CancellationSafeMetadata } from '../decorators/cancellation-safe.decorator.js';
import type { ManagedTaskOptions } from '../decorators/managed-task.decorator.js';
import type { OnShutdownOptions } from '../decorators/on-shutdown.decorator.js';

/** Reads what the decorators recorded on a method. */
@Injectable()
export class LifecycleMetadataAccessor {
  constructor(private readonly reflector: Reflector) {}

  getManagedTask(target: object): ManagedTaskOptions | undefined {
    return this.reflector.get<ManagedTaskOptions | undefined>(
      MANAGED_TASK_METADATA,
      target as () => void,
    );
  }

  getCancellationSafe(target: object): CancellationSafeMetadata | undefined {
    return this.reflector.get<CancellationSafeMetadata | undefined>(
      CANCELLATION_SAFE_METADATA,
      target as () => void,
    );
  }

  getOnShutdown(target: object): OnShutdownOptions | undefined {
    return this.reflector.get<OnShutdownOptions | undefined>(
      ON_SHUTDOWN_METADATA,
      target as () => void,
    );
  }
}
