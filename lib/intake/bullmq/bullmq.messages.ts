/** Every message of the BullMQ intake, as small factories. */
export const BullmqMessages = {
  paused: (workers: number, queues: string, inFlight: number) =>
    `BullMQ: ${workers} worker(s) stopped fetching (${queues}); ${inFlight} job(s) in flight drain in their wave`,
  pauseFailed: (queue: string, error: string) =>
    `BullMQ: the worker of queue "${queue}" could not be paused: ${error}`,
  handedBack: (job: string, why: string) =>
    `BullMQ: job ${job} handed back to its queue, for another worker to take now: ${why}`,
  refused: (job: string) =>
    `BullMQ: job ${job} was fetched after the shutdown began; handed back to its queue unprocessed`,
  handBackFailed: (job: string, error: string) =>
    `BullMQ: job ${job} could not be handed back (${error}); BullMQ's stalled-job check will return it to its queue`,
  notManaged: (job: string, error: string) =>
    `BullMQ: job ${job} runs without a managed task (${error}); the shutdown will not wait for it`,
  notManagedAtStart: (queue: string, ids: string[]) =>
    `BullMQ: ${ids.length} job(s) of queue "${queue}" started before the intake attached to its worker ` +
    `(other modules' onModuleInit still ran): the shutdown does not manage them; the worker's close() waits for them ` +
    `(ids ${ids.slice(0, 10).join(', ')}${ids.length > 10 ? ', …' : ''})`,
  otherApplication: (queue: string) =>
    `BullMQ: the worker of queue "${queue}" is already drained by another application's coordinator; left to it`,
  importFailed: (error: string) =>
    `BullMQ: could not import bullmq for its WaitingError (${error}); using an error of that name, which BullMQ also recognises`,
  notAWorker: 'a BullMQ Worker (an object with callProcessJob, pause, isPaused and name)',
  uninitialisedProcessor: (processor: string) =>
    `BullMQ: ${processor} has no worker yet (manualRegistration?); once BullRegistrar.register() created it, hand it over with manageBullmqWorker(coordinator, ${processor}.worker)`,
} as const;
