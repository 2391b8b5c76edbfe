// Tells "the database cannot be reached right now" apart from every other failure, so those requests
// are answered 503 (try again) rather than 500 (our bug), and the pool simply reconnects later.
const UNREACHABLE_CODES = new Set([
  // Prisma: can't reach server, timed out, closed the connection, pool timeout.
  'P1001', 'P1002', 'P1017', 'P2024',
  // Node sockets.
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND',
  // PostgreSQL: admin/crash shutdown, cannot connect now, too many connections.
  '57P01', '57P02', '57P03', '53300',
]);

const UNREACHABLE_MESSAGES = /ECONNREFUSED|ECONNRESET|Connection terminated|connection timeout|timeout exceeded when trying to connect|terminating connection due to administrator command|the database system is (shutting down|starting up|in recovery mode)|Can't reach database server|Server has closed the connection|Client has encountered a connection error|DatabaseNotReachable|ConnectionClosed|SocketTimeout/i;

function codesOf(error: unknown): unknown[] {
  const e = error as { code?: unknown; errno?: unknown; cause?: { code?: unknown; originalCode?: unknown; kind?: unknown } };
  return [e?.code, e?.errno, e?.cause?.code, e?.cause?.originalCode, e?.cause?.kind];
}

export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 4) return false;
  if (codesOf(error).some((code) => typeof code === 'string' && UNREACHABLE_CODES.has(code))) return true;
  if (error instanceof Error && UNREACHABLE_MESSAGES.test(error.message)) return true;
  return isDatabaseUnavailable((error as { cause?: unknown }).cause, depth + 1);
}
