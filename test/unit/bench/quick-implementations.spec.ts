import { describe, expect, it } from '@jest/globals';
import {
  findScenario,
  implementationsOf,
  quickImplementationsOf,
  SCENARIOS,
} from '../../../bench/scenarios/scenario-catalog.js';

describe('quickImplementationsOf (bench --quick)', () => {
  it.each(SCENARIOS.map((scenario) => [scenario.id, scenario] as const))(
    '%s: ours and every baseline a verdict reads, in the table order',
    (_id, scenario) => {
      const quick = quickImplementationsOf(scenario);
      const all = implementationsOf(scenario);
      expect(quick[0]).toBe('ours');
      expect(all.filter((name) => quick.includes(name))).toEqual(quick);
      for (const target of [
        ...scenario.targets,
        ...(scenario.secondary ?? []).flatMap((row) => row.targets),
      ]) {
        if (target.kind !== 'value') expect(quick).toContain(target.against);
      }
      if (scenario.subtract !== undefined) expect(quick).toContain(scenario.subtract);
    },
  );

  it('leaves out the baselines no target checks', () => {
    expect(quickImplementationsOf(findScenario('sigterm-first-abort'))).toEqual(['ours']);
    expect(quickImplementationsOf(findScenario('shutdown-honouring-signal'))).not.toContain(
      'naive-raw',
    );
    expect(implementationsOf(findScenario('shutdown-honouring-signal'))).toContain('naive-raw');
  });
});
