// A check's negative answer before it is written out: status, OAuth-style error, and which
// challenge tells the caller what to present.

export type Challenge = 'Bearer' | 'DPoP' | 'ApiKey' | 'Signature';

export interface CheckRefusal {
  status: 400 | 401 | 403;
  error: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'use_dpop_nonce' | 'invalid_dpop_proof' | 'invalid_signature';
  description: string;
  /** The scheme of the WWW-Authenticate challenge; none for a malformed gateway request. */
  challenge?: Challenge | undefined;
  /** Scopes the call needs, for the challenge's scope parameter. */
  scope?: string | undefined;
  /** A fresh DPoP nonce the caller must put in its next proof (RFC 9449 §8). */
  dpopNonce?: string | undefined;
  /** Why, in a word, for metrics and the audit trail (never a credential). */
  reason: string;
}

export class CheckRefused extends Error {
  constructor(readonly refusal: CheckRefusal) {
    super(refusal.description);
  }
}

export function refuse(refusal: CheckRefusal): never {
  throw new CheckRefused(refusal);
}
