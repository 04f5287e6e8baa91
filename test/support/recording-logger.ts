import type { LifecycleLogger } from '../../lib/core/lifecycle-logger.interface.js';

/** A logger that keeps every line, to assert on messages and their order. */
export class RecordingLogger implements LifecycleLogger {
  readonly lines: { level: string; message: string }[] = [];

  log(message: string): void {
    this.lines.push({ level: 'log', message });
  }
  warn(message: string): void {
    this.lines.push({ level: 'warn', message });
  }
  error(message: string): void {
    this.lines.push({ level: 'error', message });
  }
  debug(message: string): void {
    this.lines.push({ level: 'debug', message });
  }

  messages(level?: string): string[] {
    return this.lines.filter((l) => level === undefined || l.level === level).map((l) => l.message);
  }
}
