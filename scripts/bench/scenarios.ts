// The benchmark scenarios: what each one sends, to either server, and what counts as its answer.
import { API_SCOPE, benchUser } from './fixtures.js';
import { runAutocannon, runLoop, type LoadResult, type RequestPlan } from './load.js';
import { basic, clientCredentialsToken, deviceCode, type Target } from './targets.js';
import { loginFlow } from './login-flow.js';
import { runSignedCheck } from './signed-check.js';

export type ScenarioName = 'cc-opaque' | 'cc-jwt' | 'introspection' | 'refresh' | 'auth-code-flow' | 'device-poll' | 'check-signed';

export interface Scenario {
  name: ScenarioName;
  label: string;
  /** Runs against the benchmark API registered with JWT access tokens. */
  jwt: boolean;
  /** Runs against the ceiling too (flows need our pages, which the bare provider lacks). */
  ceiling: boolean;
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

export const SCENARIOS: Scenario[] = [
  {
    name: 'cc-opaque', label: 'client_credentials (opaque)', jwt: false, ceiling: true,
    run: (target, connections, seconds) => runAutocannon(target.url, clientCredentialsPlan(target), connections, seconds),
  },
  {
    name: 'cc-jwt', label: 'client_credentials (JWT ES256)', jwt: true, ceiling: true,
    run: (target, connections, seconds) => runAutocannon(target.url, clientCredentialsPlan(target), connections, seconds),
  },
  {
    name: 'introspection', label: 'introspection', jwt: false, ceiling: true,
    run: async (target, connections, seconds) => {
      const token = await clientCredentialsToken(target);
      return runAutocannon(target.url, {
        method: 'POST',
        path: '/token/introspection',
        headers: { authorization: basic(target.credentials.job) },
        body: form({ token }),
      }, connections, seconds);
    },
  },
  {
    name: 'refresh', label: 'refresh_token rotation', jwt: false, ceiling: true,
    run: (target, connections, seconds) => runAutocannon(target.url, refreshPlan(target), connections, seconds),
  },
  {
    name: 'device-poll', label: 'device_code polling', jwt: false, ceiling: true,
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
    name: 'auth-code-flow', label: 'full authorization-code flows', jwt: false, ceiling: false,
    run: (target, connections, seconds) => runLoop((worker) => loginFlow(target.url, target.credentials.spa.client_id, 'openid', benchUser(worker)), connections, seconds),
  },
  {
    name: 'check-signed', label: 'gateway check, signed request (RFC 9421)', jwt: false, ceiling: false,
    run: runSignedCheck,
  },
];

