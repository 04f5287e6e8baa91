import { bullmqIntakeInstaller } from './bullmq/bullmq-intake.installer.js';
import { httpIntakeInstaller } from './http/http-intake.installer.js';
import { http2IntakeInstaller } from './http2/http2-intake.installer.js';
import { sseIntakeInstaller } from './sse/sse-intake.installer.js';
import type { IntakeInstaller } from './intake-installer.interface.js';
import { scheduleIntakeInstaller } from './schedule/schedule-intake.installer.js';
import { webSocketIntakeInstaller } from './websocket/websocket-intake.installer.js';
import { microservicesIntakeInstaller } from './microservices/microservices-intake.installer.js';

/**
 * Every intake the Nest module knows, installed at bootstrap in this order. Adding an intake is
 * a folder under `lib/intake/` and one line here.
 */
export const INTAKE_INSTALLERS: readonly IntakeInstaller[] = [
  httpIntakeInstaller,
  scheduleIntakeInstaller,
  webSocketIntakeInstaller,
  http2IntakeInstaller,
  sseIntakeInstaller,
  bullmqIntakeInstaller,
  microservicesIntakeInstaller,
];
