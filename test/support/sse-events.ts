/** One server-sent event as a client parses it: its fields, last value wins (`data` joined). */
export type ParsedSseEvent = Partial<Record<'id' | 'event' | 'data' | 'retry', string>>;

/**
 * Parses an event stream body into its events (blank-line separated); comment lines and the
 * leading blank line Nest sends are skipped.
 */
export function parseSseEvents(body: string): ParsedSseEvent[] {
  const events: ParsedSseEvent[] = [];
  for (const block of body.split('\n\n')) {
    const event: ParsedSseEvent = {};
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = (colon < 0 ? line : line.slice(0, colon)) as keyof ParsedSseEvent;
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      event[field] =
        field === 'data' && event.data !== undefined ? `${event.data}\n${value}` : value;
    }
    if (Object.keys(event).length > 0) events.push(event);
  }
  return events;
}
