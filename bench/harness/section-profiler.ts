import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';

let target: string | undefined;
let session: Session | undefined;

/**
 * Makes the next timed section (see `measure`) record a CPU profile into `file` (a
 * `.cpuprofile`, for Chrome DevTools or a script): unlike `node --cpu-prof`, setup and warm-up
 * stay out of it.
 *
 * @example
 * profileNextSection('/tmp/shutdown.cpuprofile');
 */
export function profileNextSection(file: string): void {
  target = file;
}

/**
 * Starts the profiler when a section profile was asked for.
 *
 * @example
 * await startSectionProfile();
 */
export async function startSectionProfile(): Promise<void> {
  if (target === undefined) return;
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
}

/**
 * Stops the profiler started by {@link startSectionProfile} and writes the profile.
 *
 * @example
 * await stopSectionProfile();
 */
export async function stopSectionProfile(): Promise<void> {
  if (session === undefined || target === undefined) return;
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  session = undefined;
  await writeFile(target, JSON.stringify(profile));
  target = undefined;
}
