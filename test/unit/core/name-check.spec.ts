import { describe, expect, it } from '@jest/globals';
import { checkTaskName, checkTaskNames } from '../../../lib/core/name-check.js';

describe('checkTaskName', () => {
  it.each([
    ['an empty string', ''],
    ['a number', 7],
    ['a newline', 'a\nINFO forged'],
    ['an ANSI escape', 'a\u001b[31m'],
    ['a line separator', 'a\u2028b'],
    ['a name that is too long', 'x'.repeat(201)],
  ])('refuses %s, naming the option', (_label, value) => {
    expect(() => checkTaskName('name', value)).toThrow(/^Invalid option name = /);
  });

  it('accepts an ordinary name', () => {
    expect(checkTaskName('name', 'GET /orders#1')).toBe('GET /orders#1');
  });
});

describe('checkTaskNames', () => {
  it('reads any iterable once, into a fresh array', () => {
    function* names() {
      yield 'a';
      yield 'b';
    }
    expect(checkTaskNames('dependsOn', names())).toEqual(['a', 'b']);
    expect(checkTaskNames('dependsOn', undefined)).toEqual([]);
  });

  it.each([
    ['a string', 'db'],
    ['a number', 1],
    ['a bad element', ['ok', '']],
  ])('refuses %s', (_label, value) => {
    expect(() => checkTaskNames('dependsOn', value)).toThrow(/Invalid option dependsOn/);
  });
});
