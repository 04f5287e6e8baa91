/** What a report or a log line shows for a value that cannot be described at all. */
const UNPRINTABLE = '[unprintable value]';

/** Longest description a log line or a report field carries. */
const MAX_LENGTH = 500;

/** How many `cause` links a description follows before it stops (cycles end there too). */
const MAX_CAUSES = 3;

// C0/C1 control characters, ANSI escapes and the Unicode line separators: a user-supplied text
// containing them could forge log lines or break the timeline's columns.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

function escapeControl(char: string): string {
  if (char === '\n') return '\\n';
  if (char === '\r') return '\\r';
  if (char === '\t') return '\\t';
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * A user-supplied text made safe for one log line: control characters and escapes shown
 * escaped, cut to `max` characters.
 *
 * @example
 * safeText('evil\nINFO forged line'); // 'evil\\nINFO forged line'
 */
export function safeText(text: string, max = MAX_LENGTH): string {
  const clean = text.replace(CONTROL, escapeControl);
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

/** Reads `key` from `value`; a throwing getter or Proxy trap reads as `undefined`. */
function read(value: object, key: string): unknown {
  try {
    return (value as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

function stringOf(value: unknown): string | undefined {
  try {
    const text: unknown = String(value);
    return typeof text === 'string' ? text : undefined;
  } catch {
    return undefined;
  }
}

function tagOf(value: object): string {
  try {
    return Object.prototype.toString.call(value);
  } catch {
    return UNPRINTABLE; // a revoked Proxy throws even here
  }
}

function describeOnce(error: unknown): string {
  if (typeof error === 'string') return error;
  if (typeof error !== 'object' || error === null) {
    if (typeof error === 'function') {
      const name = read(error, 'name');
      return `[function ${typeof name === 'string' && name !== '' ? name : 'anonymous'}]`;
    }
    return stringOf(error) ?? UNPRINTABLE;
  }
  const name = read(error, 'name');
  const message = read(error, 'message');
  if (typeof message === 'string') {
    return typeof name === 'string' && name !== '' ? `${name}: ${message}` : message;
  }
  const text = stringOf(error);
  // `[object Object]` says nothing: show the kind of object instead.
  if (text !== undefined && !/^\[object \w+\]$/.test(text)) return text;
  return tagOf(error);
}

/**
 * One line describing anything that was thrown or rejected — an `Error`, a string, a plain
 * object, a Proxy whose traps throw, an object whose `message` getter or `toString` throws, a
 * `cause` cycle — that never throws itself. `Name: message`, then up to three causes
 * (`← caused by …`), control characters escaped, at most 500 characters.
 *
 * @example
 * describeError(new TypeError('bad', { cause: new Error('root') }));
 * // 'TypeError: bad ← caused by Error: root'
 * describeError(new Proxy({}, { get() { throw new Error('trap'); } }));
 * // '[object Object]'
 */
export function describeError(error: unknown): string {
  try {
    let text = describeOnce(error);
    const seen = new Set<unknown>([error]);
    let current: unknown = error;
    for (let depth = 0; depth < MAX_CAUSES; depth++) {
      if (typeof current !== 'object' || current === null) break;
      const cause = read(current, 'cause');
      if (cause === undefined || seen.has(cause)) break;
      seen.add(cause);
      text += ` ← caused by ${describeOnce(cause)}`;
      current = cause;
    }
    return safeText(text);
  } catch {
    return UNPRINTABLE;
  }
}

/**
 * The stack of a thrown value for a log line, when it has a readable string one.
 *
 * @example
 * logger.error(describeError(error), stackOf(error));
 */
export function stackOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const stack = read(error, 'stack');
  return typeof stack === 'string' ? stack : undefined;
}

/**
 * Renders a user-supplied option value for an error message: short, and never throws.
 *
 * @example
 * describeValue({ gracefulMs: '10s' }); // '{"gracefulMs":"10s"}'
 */
export function describeValue(value: unknown): string {
  try {
    if (typeof value === 'string') return safeText(JSON.stringify(value), 80);
    if (typeof value === 'function' || typeof value !== 'object' || value === null) {
      return typeof value === 'bigint' ? `${value}n` : describeOnce(value);
    }
    // Functions inside an object would vanish from JSON ({} for a half-written logger).
    const json = JSON.stringify(value, (_key, inner: unknown) =>
      typeof inner === 'function' ? describeOnce(inner) : inner,
    );
    return typeof json === 'string' ? safeText(json, 80) : tagOf(value);
  } catch {
    return typeof value === 'object' && value !== null ? tagOf(value) : UNPRINTABLE;
  }
}
