/** What the schedule intake logs. */
export const ScheduleMessages = {
  stopFailed: (what: string, name: string) =>
    `Could not stop ${what} "${name}" at the start of the shutdown`,
  untracked: (job: string) => `A run of ${job} could not become a managed task; it runs untracked`,
  noLayer: (method: string) =>
    `${method} is scheduled, but its ticks cannot be managed tasks (a provider made by useFactory?): ` +
    'its schedule still stops when the shutdown begins',
};
