import { CoreMessages } from './core/lifecycle.messages.js';

/** Every user-facing message of the Nest layer, as small factories (the engine's: CoreMessages). */
export const LifecycleMessages = {
  where: (className: string, method: string, decorator: string) =>
    `@${decorator}() on ${className}.${method}`,
  invalidDecoratorOption: (where: string, option: string, value: unknown, expected: string) =>
    `${where}: ${CoreMessages.invalidOption(option, value, expected)}`,
  unknownDecoratorOption: (
    where: string,
    option: string,
    value: unknown,
    known: readonly string[],
  ) => `${where}: ${CoreMessages.unknownOption(option, value, known)}`,
  duplicateDeclaration: (name: string, first: string, second: string) =>
    CoreMessages.duplicateDeclaration(name, first, second),
  missingCleanupMethod: (where: string, cleanup: string, className: string) =>
    `${where}: cleanup "${cleanup}" is not a method of ${className}`,
  dependencyOnCallTask: (where: string, dependency: string) =>
    `${where}: cannot depend on "${dependency}": it names a start: 'call' method, whose calls come and go`,
  declarationProblem: (where: string, problem: string) => `${where}: ${problem}`,
  reservedDeclarationName: (where: string, name: string) =>
    `${where}: the name "${name}" has the form task#<number>, reserved for generated task names; choose another name`,
  reservedCallName: (where: string) =>
    `${where}: the name "task" would name its calls "task#<n>", the form reserved for generated task names; choose another name`,
  callNameTaken: (where: string, name: string, callSite: string) =>
    `${where}: the name "${name}" is the name of a call of ${callSite}; choose another name`,
  nonStaticProvider: (provider: string, method: string, decorator: string) =>
    `@${decorator}() on ${provider}.${method} is ignored: ${provider} is request-scoped or transient ` +
    '(one instance per request or per consumer); move it to a singleton provider',
  asyncContextOff: (where: string) =>
    `asyncContext is false: ${where} cannot see the managed task it runs in, so only a ` +
    'cancellation it throws itself triggers its cleanup',
  moduleMissing: () =>
    'enableLifecycleShutdown(app) needs AsyncLifecycleModule: import AsyncLifecycleModule.forRoot() in the root module',
  reportFileMissing: (path: string) => `No previous shutdown report at ${path} (first start?)`,
  reportFileUnreadable: (path: string, error: string) =>
    `The previous shutdown report at ${path} could not be read and is ignored: ${error}`,
  reportFileRead: (path: string, outcome: string, reason: string, startedAt: string) =>
    `Previous shutdown (${reason}, ${startedAt}) was ${outcome} — report read from ${path}`,
  reportFileUnwritable: (error: string) => `The shutdown report could not be saved: ${error}`,
  reportDirectoryUnusable: (path: string, directory: string, problem: string) =>
    `reportFile ${path}: its directory ${directory} ${problem}; the shutdown report will not be saved`,
  signalReceived: (signal: string) => `Received ${signal}: starting the phased shutdown`,
  signalDuringBootstrap: (signal: string) =>
    `Received ${signal} during bootstrap: the phased shutdown starts once bootstrap has finished`,
  bootstrapFailed: (signal: string, error: string) =>
    `Bootstrap failed after ${signal}: ${error}; shutting down what it started`,
  closedAfterSignal: (signal: string, code: number) =>
    `Application closed after ${signal}: exit code ${code}`,
  signalAfterClose: (signal: string, code: number) =>
    `Received ${signal} after the application closed: exiting now with code ${code}`,
  nestShutdownHooks: (signals: readonly string[]) =>
    `app.enableShutdownHooks() is on beside enableLifecycleShutdown(app): Nest's listeners for ` +
    `${signals.join(', ')} were removed, enableLifecycleShutdown handles them (Nest's would close ` +
    'the application a second time and re-raise the signal: exit 143 instead of 0). Remove the ' +
    'enableShutdownHooks() call.',
  signalEscalate: (signal: string, count: number) =>
    `Received ${signal} again (${count}): escalating to the next phase`,
  signalTerminate: (signal: string) => `Received ${signal} a third time: terminating now`,
  signalExitNow: (signal: string) => `Received ${signal} again: exiting now`,
  closeFailed: (error: string) => `app.close() failed: ${error}`,
  watchdog: (afterMs: number, lingering: string) =>
    `The process is still alive ${afterMs} ms after the shutdown; exiting. Still open: ${lingering || 'nothing Node reports'}`,
  bootstrapTimedOut: (afterMs: number, lingering: string) =>
    `Bootstrap has not finished ${afterMs} ms after the first signal; exiting without the phased shutdown. Still open: ${lingering || 'nothing Node reports'}`,
  closeTimedOut: (afterMs: number, lingering: string) =>
    `app.close() has not finished ${afterMs} ms after the first signal; exiting. Still open: ${lingering || 'nothing Node reports'}`,
} as const;
