import { describe, expect, it } from '@jest/globals';
import { AbortLink } from '../../../lib/core/abort-link.js';
import { expectNoAbortListeners } from '../../support/leak-checks.js';

describe('AbortLink', () => {
  it('aborts with the reason of whichever source aborts first', () => {
    const a = new AbortController();
    const b = new AbortController();
    const link = new AbortLink(a.signal, undefined, b.signal);
    b.abort('b first');
    a.abort('a later');
    expect(link.signal.reason).toBe('b first');
    expectNoAbortListeners(a.signal);
  });

  it('starts aborted when a source already is', () => {
    const a = new AbortController();
    a.abort('early');
    expect(new AbortLink(a.signal).signal.reason).toBe('early');
  });

  it('removes its listeners on dispose, and leaves the sources untouched by its own abort', () => {
    const source = new AbortController();
    const link = new AbortLink(source.signal);
    link.dispose();
    expectNoAbortListeners(source.signal);
    source.abort();
    expect(link.signal.aborted).toBe(false);
    const other = new AbortLink(source.signal);
    expect(other.signal.aborted).toBe(true);
    const fresh = new AbortController();
    const own = new AbortLink(fresh.signal);
    own.abort('mine');
    expect(fresh.signal.aborted).toBe(false);
    expectNoAbortListeners(fresh.signal);
  });

  it('does not accumulate listeners on a long-lived signal over many calls', () => {
    const longLived = new AbortController();
    for (let i = 0; i < 1000; i++) {
      using link = new AbortLink(longLived.signal);
      expect(link.signal.aborted).toBe(false);
    }
    expectNoAbortListeners(longLived.signal);
  });
});
