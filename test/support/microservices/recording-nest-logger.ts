import type { LoggerService } from '@nestjs/common';
import { describeError } from '../../../lib/core/describe.js';

/** A Nest logger that keeps every line: a test asserts that a shutdown logged no error. */
export class RecordingNestLogger implements LoggerService {
  readonly lines: { level: string; text: string }[] = [];

  log(message: unknown, ...rest: unknown[]): void {
    this.push('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.push('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.push('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.push('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.push('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.push('fatal', message, rest);
  }

  /** The lines of `levels`, as text. */
  at(...levels: string[]): string[] {
    return this.lines.filter((l) => levels.includes(l.level)).map((l) => l.text);
  }

  private push(level: string, message: unknown, rest: unknown[]): void {
    const text = [message, ...rest]
      .map((part) => (typeof part === 'string' ? part : describeError(part)))
      .join(' ');
    this.lines.push({ level, text });
  }
}
