// Structured logs: pino writes one JSON object per line to stdout (pretty-printed only when stdout
// is a terminal), with every field that could carry a secret redacted as a second line of defence.
import { pino, stdSerializers, stdTimeFunctions, type Logger as PinoLogger } from 'pino';
import type { Config } from '../config/env.js';

export type Logger = PinoLogger;

/** Field names that hold credentials wherever they appear; we never log them on purpose. */
const SECRET_FIELDS = [
  'authorization', 'cookie', 'set-cookie', 'password', 'client_secret', 'clientSecret', 'secret',
  'token', 'access_token', 'refresh_token', 'id_token', 'code', 'device_code', 'user_code', 'code_verifier',
  'client_assertion', 'csrf', 'signing_secret', 'signingSecret',
];

const REDACT_PATHS = [
  ...SECRET_FIELDS.map((field) => `["${field}"]`),
  ...SECRET_FIELDS.map((field) => `*["${field}"]`),
  ...SECRET_FIELDS.map((field) => `*.headers["${field}"]`),
];

export function createLogger(level: Config['logLevel'], destination: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout): Logger {
  const options = {
    level,
    base: undefined,
    timestamp: stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: stdSerializers.err },
  };
  if (destination === process.stdout && process.stdout.isTTY) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } });
  }
  return pino(options, destination);
}
