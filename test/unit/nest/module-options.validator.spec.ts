import { describe, expect, it } from '@jest/globals';
import { InvalidLifecycleOptionError } from '../../../lib/core/invalid-option.error.js';
import { COORDINATOR_OPTION_KEYS } from '../../../lib/core/lifecycle-options.validator.js';
import { INTAKE_INSTALLERS } from '../../../lib/intake/intake-installers.js';
import { resolveModuleOptions } from '../../../lib/nest/module-options.validator.js';

/** Every key the module knows: the engine's, then each intake's in installation order. */
const KNOWN = [
  ...COORDINATOR_OPTION_KEYS,
  ...INTAKE_INSTALLERS.map((installer) => installer.option),
  'reportFile',
].join(', ');

describe('resolveModuleOptions', () => {
  it('splits the options by owner: the engine, each intake, the report file', () => {
    const resolved = resolveModuleOptions({
      phases: { gracefulMs: 5_000 },
      http: { exclude: ['/metrics'] },
      reportFile: '/tmp/report.json',
    });
    expect(resolved.coordinator).toEqual({ phases: { gracefulMs: 5_000 } });
    expect(resolved.intakes.get('http')).toMatchObject({ exclude: ['/metrics'] });
    expect(resolved.reportFile).toBe('/tmp/report.json');
  });

  it('turns an intake off with false', () => {
    expect(resolveModuleOptions({ http: false }).intakes.has('http')).toBe(false);
    expect(resolveModuleOptions({}).intakes.has('http')).toBe(true);
  });

  it.each([
    [null, 'Invalid option options = null: expected a plain object'],
    [[], 'Invalid option options = []: expected a plain object'],
    [{ gracefulMs: 5 }, `Unknown option gracefulMs = 5; known options are: ${KNOWN}`],
    [{ phases: { gracefulMs: -1 } }, 'Invalid option phases.gracefulMs = -1'],
    [{ http: 'yes' }, 'Invalid option http = "yes": expected a boolean or an object'],
    [{ reportFile: '' }, 'Invalid option reportFile = "": expected a non-empty file path'],
  ])('rejects %j naming the option and the value', (options, message) => {
    expect(() => resolveModuleOptions(options)).toThrow(InvalidLifecycleOptionError);
    expect(() => resolveModuleOptions(options)).toThrow(message);
  });
});
