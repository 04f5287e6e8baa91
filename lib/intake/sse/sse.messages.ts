/** Every user-facing message of the SSE and long-poll helpers, as small factories. */
export const SseMessages = {
  endFailed: (kind: string, error: string) => `Ending a long-lived ${kind} failed: ${error}`,
  answeredEarly: () =>
    'The long-poll answers early: the server stopped taking traffic (intake closed)',
  notACoordinator: (helper: string) =>
    `${helper} needs the application's LifecycleCoordinator (inject it: constructor(private readonly lifecycle: LifecycleCoordinator))`,
} as const;
