// Every Prometheus metric Gatehouse exports, on a registry of its own so a process could host two
// servers (tests, benchmarks) without their counts mixing.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Seconds; fine at the low end where token requests live, coarse above a second. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const QUERY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5];

export type SignInResult = 'success' | 'invalid_credentials' | 'incomplete_form' | 'invalid_factor';

export class Metrics {
  readonly registry = new Registry();

  readonly tokensIssued = new Counter({
    name: 'gatehouse_tokens_issued_total',
    help: 'Successful token endpoint responses, by grant type and client',
    labelNames: ['grant_type', 'client_id'] as const,
    registers: [this.registry],
  });

  readonly oauthErrors = new Counter({
    name: 'gatehouse_oauth_errors_total',
    help: 'OAuth errors answered, by endpoint and error code',
    labelNames: ['endpoint', 'error'] as const,
    registers: [this.registry],
  });

  readonly signIns = new Counter({
    name: 'gatehouse_sign_ins_total',
    help: 'Sign-in attempts on the login page, by result',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly accountChanges = new Counter({
    name: 'gatehouse_account_changes_total',
    help: 'Changes people make to their own accounts (password, reset, email verification, sign-up, revoked apps, ended sessions), by change',
    labelNames: ['change'] as const,
    registers: [this.registry],
  });

  readonly mfaFactorChanges = new Counter({
    name: 'gatehouse_mfa_factor_changes_total',
    help: 'Changes to users\' second factors, by factor (totp, recovery_codes, passkey, all) and change',
    labelNames: ['factor', 'change'] as const,
    registers: [this.registry],
  });

  readonly refreshTokenReuse = new Counter({
    name: 'gatehouse_refresh_token_reuse_total',
    help: 'Already-rotated refresh tokens presented again (the grant is revoked each time)',
    registers: [this.registry],
  });

  readonly rateLimitHits = new Counter({
    name: 'gatehouse_rate_limit_hits_total',
    help: 'Requests refused or slowed by a rate limit, by limiter',
    labelNames: ['limiter'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'gatehouse_http_request_duration_seconds',
    help: 'HTTP request latency, by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly queryDuration = new Histogram({
    name: 'gatehouse_db_query_duration_seconds',
    help: 'Database query latency (Prisma queries and hot-path statements), by model (table) and operation',
    labelNames: ['model', 'operation'] as const,
    buckets: QUERY_BUCKETS,
    registers: [this.registry],
  });

  readonly apiChecks = new Counter({
    name: 'gatehouse_api_checks_total',
    help: 'Gateway checks answered, by API (resource identifier, "none" when no API covers the URL) and outcome',
    labelNames: ['resource', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly apiSignatureRefusals = new Counter({
    name: 'gatehouse_api_signature_refusals_total',
    help: 'Signed requests (RFC 9421) the gateway check refused, by reason (signature_invalid, signature_replayed, digest_missing...)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly apiCheckDuration = new Histogram({
    name: 'gatehouse_api_check_duration_seconds',
    help: 'Gateway check latency inside Gatehouse, by outcome',
    labelNames: ['outcome'] as const,
    buckets: QUERY_BUCKETS,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}
