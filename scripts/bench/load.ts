// Load generation: autocannon for single-request scenarios, and a closed loop of complete
// authorization-code flows for the login scenario. Both report the same figures.
import autocannon from 'autocannon';

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  total: number;
}

export interface RequestPlan {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  /** Headers made afresh for each request (a signature with its own nonce), added to `headers`. */
  perRequestHeaders?: () => Record<string, string>;
  /** A fixed form body, or a function building each request's body (null: nothing left to send). */
  body?: string | (() => string | null);
  /** Sees each answer, e.g. to take the rotated refresh token back into the pool. */
  onResponse?: (status: number, body: string) => void;
  /** Statuses that count as the expected answer (default 200). */
  expect?: number[];
}

export async function runAutocannon(baseUrl: string, plan: RequestPlan, connections: number, seconds: number): Promise<LoadResult> {
  const headers = { 'content-type': 'application/x-www-form-urlencoded', ...plan.headers };
  const body = plan.body;
  const dynamic = typeof body === 'function';
  const result = await autocannon({
    url: baseUrl,
    connections,
    duration: seconds,
    requests: [{
      method: plan.method,
      path: plan.path,
      headers,
      ...(dynamic ? {} : { body: body as string | undefined }),
      ...(dynamic || plan.perRequestHeaders ? {
        setupRequest: (request: autocannon.Request) => {
          const fresh = plan.perRequestHeaders ? { headers: { ...request.headers, ...plan.perRequestHeaders() } } : {};
          if (!dynamic) return { ...request, ...fresh };
          const next = body();
          return { ...request, ...fresh, body: next ?? 'exhausted=1' };
        },
      } : {}),
      ...(plan.onResponse ? { onResponse: (status: number, responseBody: string) => plan.onResponse!(status, responseBody) } : {}),
    }],
  });
  const expected = new Set(plan.expect ?? [200]);
  const stats = result.statusCodeStats as unknown as Record<string, { count: number }>;
  const unexpected = Object.entries(stats).filter(([code]) => !expected.has(Number(code))).reduce((sum, [, s]) => sum + s.count, 0);
  return {
    rps: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + unexpected,
    total: result.requests.total,
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Runs `task` in `concurrency` closed loops for `seconds`; each completed call is one unit and is told its loop's number. */
export async function runLoop(task: (worker: number) => Promise<unknown>, concurrency: number, seconds: number): Promise<LoadResult> {
  const durations: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(Array.from({ length: concurrency }, async (_, worker) => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        await task(worker);
        durations.push(performance.now() - t0);
      } catch {
        errors += 1;
      }
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  durations.sort((a, b) => a - b);
  return { rps: durations.length / elapsed, p50: percentile(durations, 50), p99: percentile(durations, 99), errors, total: durations.length };
}
