// Parses the durations and rates operators type on the command line (`24h`, `50/s`, `10000/day`),
// refusing anything else with a usage error rather than guessing.
import { usageError } from './output.js';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** `90s`, `15m`, `24h`, `7d` to seconds. */
export function parseDuration(option: string, raw: string, maxSeconds = 365 * 86_400): number {
  const match = /^(\d{1,9})([smhd])$/.exec(raw.trim());
  if (!match) throw usageError(`${option} must be a duration such as 90s, 15m, 24h or 7d, got "${raw}"`);
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2]];
  if (seconds > maxSeconds) throw usageError(`${option} must be at most ${maxSeconds} seconds, got "${raw}"`);
  return seconds;
}

/** `N/s` (or `N/day`): a positive whole number per that unit; `none` clears the setting. */
export function parseRate(option: string, raw: string, unit: 's' | 'day'): number | null {
  const value = raw.trim();
  if (value === 'none') return null;
  const match = new RegExp(`^(\\d{1,9})(?:/${unit})?$`).exec(value);
  const count = match ? Number(match[1]) : 0;
  if (!match || count < 1) throw usageError(`${option} must be a positive number per ${unit === 's' ? 'second (e.g. 50/s)' : 'day (e.g. 10000/day)'} or "none", got "${raw}"`);
  return count;
}
