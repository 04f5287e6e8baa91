import { safeText } from '../../core/describe.js';

/** The path of a request for its task name: short, and without bytes that could forge logs. */
export function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const query = url.indexOf('?');
  return safeText(query < 0 ? url : url.slice(0, query), 80);
}

/** Whether `url` is under one of the `exclude` prefixes (a prefix matches whole segments). */
export function isExcludedPath(url: string | undefined, exclude: readonly string[]): boolean {
  const path = pathOf(url);
  return exclude.some(
    (prefix) => path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`),
  );
}
