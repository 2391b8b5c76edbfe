// Which JWS algorithms the server can sign with, so an API configured for an algorithm without a
// key (e.g. an operator JWKS with RSA keys only) is refused with an OAuth error, not a crash.

type KeyLike = { alg?: unknown; kty?: unknown; crv?: unknown; use?: unknown };

function algorithmOf(key: KeyLike): string | undefined {
  if (typeof key.alg === 'string') return key.alg;
  if (key.kty === 'RSA') return 'RS256';
  if (key.kty === 'EC' && key.crv === 'P-256') return 'ES256';
  if (key.kty === 'OKP' && key.crv === 'Ed25519') return 'EdDSA';
  return undefined;
}

export function signingAlgorithms(jwks: { keys: object[] }): Set<string> {
  const algs = new Set<string>();
  for (const key of jwks.keys as KeyLike[]) {
    const alg = key.use === 'enc' ? undefined : algorithmOf(key);
    if (alg) algs.add(alg);
  }
  return algs;
}
