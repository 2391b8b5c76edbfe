// The benchmark scenarios: what each one sends, to either server, and what counts as its answer.
import { API_RESOURCE, API_SCOPE, CHECK_JWT_RESOURCE, CHECK_JWT_SCOPE, CHECK_KEY_PATH, benchUser } from './fixtures.js';
import { runAutocannon, runLoop, type LoadResult, type RequestPlan } from './load.js';
import { basic, clientCredentialsToken, deviceCode, type Target } from './targets.js';
import { loginFlow } from './login-flow.js';
import { runSignedCheck } from './signed-check.js';

export type ScenarioName = 'cc-opaque' | 'cc-jwt' | 'introspection' | 'refresh' | 'auth-code-flow' | 'device-poll' | 'check-apikey' | 'check-jwt' | 'check-opaque' | 'check-signed';

export interface Scenario {
  name: ScenarioName;
  label: string;
  /** Runs against the benchmark API registered with JWT access tokens. */
  jwt: boolean;
  /** Runs against the ceiling too (flows need our pages, which the bare provider lacks). */
  ceiling: boolean;
  /**
   * Gets unmeasured load first (bench.ts --warm-up), so JIT compilation and empty caches are not
   * counted; false where a run uses up fixtures (the refresh-token pool, a device code) or is slow.
   */
  warmUp: boolean;
  run(target: Target, connections: number, seconds: number): Promise<LoadResult>;
}

const form = (values: Record<string, string>) => new URLSearchParams(values).toString();

function clientCredentialsPlan(target: Target): RequestPlan {
  return {
    method: 'POST',
    path: '/token',
    headers: { authorization: basic(target.credentials.job) },
    body: form({ grant_type: 'client_credentials', scope: API_SCOPE }),
  };
}

/** Refresh tokens rotate: each answer's new token goes back into the pool the next request draws from. */
function refreshPlan(target: Target): RequestPlan {
  const pool = target.refreshTokens;
  return {
    method: 'POST',
    path: '/token',
    body: () => {
      const token = pool.shift();
      return token === undefined ? null : form({ grant_type: 'refresh_token', refresh_token: token, client_id: target.credentials.spa.client_id });
    },
    onResponse: (status, body) => {
      if (status !== 200) return;
      const rotated = (JSON.parse(body) as { refresh_token?: string }).refresh_token;
      if (rotated) pool.push(rotated);
    },
  };
}

async function introspectionPlan(target: Target): Promise<RequestPlan> {
  return {
    method: 'POST',
    path: '/token/introspection',
    headers: { authorization: basic(target.credentials.job) },
    body: form({ token: await clientCredentialsToken(target) }),
  };
}

type CheckCredentials = (target: Target, checks: NonNullable<Target['checks']>) => Promise<Record<string, string>>;

/**
 * A gateway check (nginx auth_request dialect) at Gatehouse, compared with what the ceiling can do
 * for an API that asks about a token: introspect it. The ceiling has no check to ask.
 */
function checkScenario(name: ScenarioName, label: string, url: string, credentials: CheckCredentials): Scenario {
  return {
    name, label, jwt: false, ceiling: true, warmUp: true,
    run: async (target, connections, seconds) => {
      if (!target.checks) return runAutocannon(target.url, await introspectionPlan(target), connections, seconds);
      return runAutocannon(target.url, {
        method: 'GET',
        path: '/api/authz/auth-request',
        headers: { 'x-original-method': 'GET', 'x-original-url': url, ...(await credentials(target, target.checks)) },
      }, connections, seconds);
    },
  };
}

const bearer = (resource: string, scope: string): CheckCredentials => async (target, checks) => ({
  authorization: `Bearer ${await clientCredentialsToken(target, checks.client, { resource, scope })}`,
});

export const SCENARIOS: Scenario[] = [
  {
    name: 'cc-opaque', label: 'client_credentials (opaque)', jwt: false, ceiling: true, warmUp: true,
    run: (target, connections, seconds) => runAutocannon(target.url, clientCredentialsPlan(target), connections, seconds),
  },
  {
    name: 'cc-jwt', label: 'client_credentials (JWT ES256)', jwt: true, ceiling: true, warmUp: true,
    run: (target, connections, seconds) => runAutocannon(target.url, clientCredentialsPlan(target), connections, seconds),
  },
  {
    name: 'introspection', label: 'introspection', jwt: false, ceiling: true, warmUp: true,
    run: async (target, connections, seconds) => runAutocannon(target.url, await introspectionPlan(target), connections, seconds),
  },
  checkScenario('check-apikey', 'gateway check: API key (vs ceiling introspection)', `${API_RESOURCE}${CHECK_KEY_PATH}/items/42`, async (_target, checks) => ({ 'x-api-key': checks.apiKey })),
  checkScenario('check-jwt', 'gateway check: JWT (vs ceiling introspection)', `${CHECK_JWT_RESOURCE}/items/42`, bearer(CHECK_JWT_RESOURCE, CHECK_JWT_SCOPE)),
  checkScenario('check-opaque', 'gateway check: opaque token (vs ceiling introspection)', `${API_RESOURCE}/items/42`, bearer(API_RESOURCE, API_SCOPE)),
  {
    name: 'refresh', label: 'refresh_token rotation', jwt: false, ceiling: true, warmUp: false,
    run: (target, connections, seconds) => runAutocannon(target.url, refreshPlan(target), connections, seconds),
  },
  {
    name: 'device-poll', label: 'device_code polling', jwt: false, ceiling: true, warmUp: false,
    run: async (target, connections, seconds) => {
      const code = await deviceCode(target);
      return runAutocannon(target.url, {
        method: 'POST',
        path: '/token',
        body: form({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: code, client_id: target.credentials.tv.client_id }),
        // authorization_pending (and slow_down from Gatehouse's throttle) are the correct answers.
        expect: [400],
      }, connections, seconds);
    },
  },
  {
    name: 'auth-code-flow', label: 'full authorization-code flows', jwt: false, ceiling: false, warmUp: false,
    run: (target, connections, seconds) => runLoop((worker) => loginFlow(target.url, target.credentials.spa.client_id, 'openid', benchUser(worker)), connections, seconds),
  },
  {
    name: 'check-signed', label: 'gateway check, signed request (RFC 9421)', jwt: false, ceiling: false, warmUp: true,
    run: runSignedCheck,
  },
];

