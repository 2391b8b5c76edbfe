// The benchmark's speed ceiling: a bare oidc-provider with its own in-memory adapter (on a larger
// store, so nothing is evicted mid-run) and Gatehouse's protocol configuration (same grants,
// features, lifetimes and key types), without database, pages or defences. It prints one READY line
// with refresh tokens minted for the refresh scenario.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import Provider, { type ClientMetadata } from 'oidc-provider';
import LRU from 'oidc-provider/lib/helpers/lru.js';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import { loadConfig } from '../../src/config/env.js';
import { buildConfiguration } from '../../src/oidc/configuration.js';
import { generateSigningKey, SIGNING_ALGORITHMS } from '../../src/keys/generate-key.js';
import { signingAlgorithms } from '../../src/keys/signing-algorithms.js';
import type { Resource, ResourceCatalog } from '../../src/resources/resources.js';
import { API_RESOURCE, API_SCOPE, BENCH_CLIENTS, REFRESH_SCOPE, benchResourceFormat } from './fixtures.js';

const ACCOUNT = 'bench-user';

/** The one benchmark API, as Gatehouse stores it after `gatehouse resource create`, kept in memory. */
function fixedCatalog(resource: Resource): ResourceCatalog {
  return {
    list: async () => [resource],
    allScopes: async () => [...resource.scopes],
  };
}
/** Room for every token a benchmark run issues, so nothing is evicted while still in use. */
const STORE_ENTRIES = 5_000_000;

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const jwks = { keys: await Promise.all(SIGNING_ALGORITHMS.map((alg) => generateSigningKey(alg))) };
  const store = new LRU({ maxSize: STORE_ENTRIES });
  const configuration = buildConfiguration({
    config,
    adapter: (model) => new MemoryAdapter(model, store),
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    jwks,
    cookieKeys: ['ceiling-cookie-key-0123456789abcdef0123'],
    resources: fixedCatalog({
      identifier: API_RESOURCE, scopes: [API_SCOPE], format: benchResourceFormat(process.env), ttl: undefined, alg: 'ES256', createdAt: new Date(),
    }),
    signingAlgs: signingAlgorithms(jwks),
    dpopNonceSecret: randomBytes(32),
  });
  configuration.clients = Object.values(BENCH_CLIENTS).map((client) => client.metadata as ClientMetadata);
  const provider = new Provider(config.issuer, configuration);

  const spa = await provider.Client.find(BENCH_CLIENTS.spa.metadata.client_id);
  if (!spa) throw new Error('the SPA client is missing');
  const refreshTokens: string[] = [];
  for (let i = 0; i < Number(process.env.BENCH_REFRESH_TOKENS ?? 200); i += 1) {
    const grant = new provider.Grant({ accountId: ACCOUNT, clientId: spa.clientId });
    grant.addOIDCScope(REFRESH_SCOPE);
    const grantId = await grant.save();
    const token = new provider.RefreshToken({
      accountId: ACCOUNT, client: spa, grantId, scope: REFRESH_SCOPE, gty: 'authorization_code', authTime: Math.floor(Date.now() / 1000),
    });
    refreshTokens.push(await token.save());
  }

  const server = createServer(provider.callback());
  server.listen(config.port, '127.0.0.1', () => {
    process.stdout.write(`READY ${JSON.stringify({ refreshTokens })}\n`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

main().catch((error) => {
  process.stderr.write(`ceiling failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
