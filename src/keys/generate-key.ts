// Generates one private signing JWK per algorithm Gatehouse signs with.
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';

export const SIGNING_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export async function generateSigningKey(alg: SigningAlgorithm): Promise<JWK & { kid: string }> {
  const { privateKey } = alg === 'RS256'
    ? await generateKeyPair('RS256', { modulusLength: 2048, extractable: true })
    : alg === 'ES256'
      ? await generateKeyPair('ES256', { extractable: true })
      : await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, alg, use: 'sig', kid: randomUUID() };
}
