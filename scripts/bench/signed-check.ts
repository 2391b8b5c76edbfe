// The gateway check answering signed requests (RFC 9421 hmac-sha256): every call carries a fresh
// nonce and signature, so it costs the signature check, the key lookup (cached) and one shared
// nonce write, as in production. Asked in nginx's auth_request dialect. Gatehouse only: the bare
// provider has no gateway check to compare with.
import { signRequest } from '../../test/support/http-signature-signer.js';
import { runAutocannon, type LoadResult } from './load.js';
import { cli, type Target } from './targets.js';

const SIGNED_API = 'https://signed.bench.invalid';
const SIGNED_SCOPE = 'signed:read';
const ORIGINAL_URL = `${SIGNED_API}/orders/42?expand=items`;

interface SignedSetup {
  id: string;
  signing_secret: string;
}

const setups = new WeakMap<Target, Promise<SignedSetup>>();

/** One API requiring signatures and one key, made once per server with the real CLI. */
async function setUp(target: Target): Promise<SignedSetup> {
  await cli(target.env, ['resource', 'create', '--identifier', SIGNED_API, '--scope', SIGNED_SCOPE, '--require', 'signature']);
  const client = JSON.parse(await cli(target.env, ['client', 'create', '--name', 'Bench signer', '--grant', 'client_credentials', '--scope', SIGNED_SCOPE])) as { client_id: string };
  return JSON.parse(await cli(target.env, ['apikey', 'create', '--client', client.client_id, '--resource', SIGNED_API])) as SignedSetup;
}

export async function runSignedCheck(target: Target, connections: number, seconds: number): Promise<LoadResult> {
  let setup = setups.get(target);
  if (!setup) {
    setup = setUp(target);
    setups.set(target, setup);
  }
  const key = await setup;
  const signing = { id: key.id, secret: key.signing_secret };
  return runAutocannon(target.url, {
    method: 'GET',
    path: '/api/authz/auth-request',
    headers: { 'x-original-method': 'GET', 'x-original-url': ORIGINAL_URL },
    // The signer gives every call a fresh random nonce and the current time, as a client does.
    perRequestHeaders: () => signRequest(signing, { method: 'GET', url: ORIGINAL_URL }),
  }, connections, seconds);
}
