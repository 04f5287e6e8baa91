import { describe, expect, it } from '@jest/globals';
import { TaskPriority } from '../../../../lib/core/task-priority.enum.js';
import { resolveWebSocketIntakeOptions } from '../../../../lib/intake/websocket/websocket-intake.options.js';

describe('resolveWebSocketIntakeOptions', () => {
  const defaults = {
    priority: TaskPriority.HIGH,
    closeCode: 1001,
    closeReason: 'server shutting down',
    closeWindow: 0.5,
    closeWindowMs: undefined,
    closeIntervalMs: 10,
  };

  it('is on by default: HIGH priority, 1001 "server shutting down", half of GRACEFUL, 10 ms apart at most', () => {
    expect(resolveWebSocketIntakeOptions(undefined)).toEqual(defaults);
    expect(resolveWebSocketIntakeOptions(true)).toEqual(defaults);
    expect(resolveWebSocketIntakeOptions(false)).toBeUndefined();
  });

  it('keeps what is given', () => {
    expect(
      resolveWebSocketIntakeOptions({
        priority: TaskPriority.CRITICAL,
        closeCode: 4000,
        closeReason: 'deploying',
        closeWindowMs: 5000,
        closeIntervalMs: 50,
      }),
    ).toEqual({
      priority: TaskPriority.CRITICAL,
      closeCode: 4000,
      closeReason: 'deploying',
      closeWindow: 0.5,
      closeWindowMs: 5000,
      closeIntervalMs: 50,
    });
    expect(resolveWebSocketIntakeOptions({ closeWindow: 0.2 })).toMatchObject({ closeWindow: 0.2 });
  });

  it.each([
    ['yes', 'Invalid option websockets = "yes": expected a boolean or an object'],
    [{ priority: 9 }, 'Invalid option websockets.priority = 9: expected a TaskPriority'],
    [
      { code: 1001 },
      'Unknown option websockets.code = 1001; known options are: priority, closeCode, closeReason, closeWindow, closeWindowMs, closeIntervalMs',
    ],
    [
      { closeCode: 1006 },
      'Invalid option websockets.closeCode = 1006: expected a WebSocket close code',
    ],
    [{ closeCode: 1001.5 }, 'Invalid option websockets.closeCode = 1001.5'],
    [{ closeCode: 2000 }, 'Invalid option websockets.closeCode = 2000'],
    [{ closeReason: 'x'.repeat(124) }, 'expected a string of at most 123 bytes'],
    // 62 two-byte characters: 124 bytes, though only 62 characters.
    [{ closeReason: 'é'.repeat(62) }, 'expected a string of at most 123 bytes'],
    [{ closeWindow: 1.5 }, 'Invalid option websockets.closeWindow = 1.5: expected a share'],
    [{ closeWindow: Number.NaN }, 'Invalid option websockets.closeWindow = NaN'],
    [{ closeWindowMs: -1 }, 'Invalid option websockets.closeWindowMs = -1'],
    [
      { closeWindow: 0.5, closeWindowMs: 1000 },
      'Invalid option websockets.closeWindowMs = 1000: expected nothing when websockets.closeWindow is set',
    ],
    [{ closeIntervalMs: 'soon' }, 'Invalid option websockets.closeIntervalMs = "soon"'],
  ])('rejects %j naming the option and the value', (value, message) => {
    expect(() => resolveWebSocketIntakeOptions(value)).toThrow(message);
  });
});
