// The signed-request step of a check (RFC 9421, hmac-sha256 under an API key's signing secret):
// the signature names its key by id, covers the method, authority, path and query (or the target
// URI) and, whenever the request has a body, Content-Digest; it was created within
// SIGNATURE_MAX_SKEW, has not expired, and its nonce was never seen before on any instance. The
// body itself is checked against Content-Digest only where the gateway forwards it; behind nginx
// auth_request or Caddy forward_auth the signature binds the header and the API checks the body.
import { isRefusal, type ApiKeyVerifier, type VerifiedApiKey } from '../apikeys/api-key-verifier.js';
import type { SigningSecrets } from '../apikeys/signing-secret.js';
import { declaredSha256, sha256Matches } from '../signatures/content-digest.js';
import { hmacSha256Matches, readSignatures, type MessageSignature } from '../signatures/message-signatures.js';
import type { NonceReplay } from '../signatures/nonce-replay.js';
import { SignatureError, signatureError } from '../signatures/signature-error.js';
import type { CallerIdentity } from './decide.js';
import type { OriginalRequest } from './original-request.js';
import { refuse } from './refusal.js';

export const SIGNATURE_ALGORITHM = 'hmac-sha256';
const NONCE_MAX_LENGTH = 256;
/** Methods whose requests carry a body in practice: signing them without Content-Digest is refused. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

const KEY_REFUSALS = {
  unknown: ['signature_unknown_key', 'the signature names an unknown key id'],
  malformed: ['signature_unknown_key', 'the signature names an unknown key id (not a Gatehouse API key id)'],
  revoked: ['signature_key_revoked', 'the signature is made with an API key that has been revoked'],
  expired: ['signature_key_expired', 'the signature is made with an API key that has expired'],
} as const;

export interface SignatureSettings {
  maxSkewSeconds: number;
}

/** Whether the original request has a body, from what the check can see of it. */
function hasBody(request: OriginalRequest): boolean {
  const length = Number(request.headers['content-length'] ?? 0);
  return BODY_METHODS.has(request.method) || length > 0 || request.headers['transfer-encoding'] !== undefined
    || request.headers['content-digest'] !== undefined || (request.body?.bytes.length ?? 0) > 0;
}

function requireCovered(signature: MessageSignature, request: OriginalRequest): void {
  const covered = new Set(signature.components);
  const missing = ['@method', '@authority'].filter((name) => !covered.has(name));
  if (!covered.has('@target-uri')) missing.push(...['@path', '@query'].filter((name) => !covered.has(name)));
  if (missing.length) {
    signatureError('signature_component_missing', `the signature must cover ${missing.join(', ')} (or @target-uri for the path and query)`);
  }
  if (!hasBody(request)) return;
  if (request.headers['content-digest'] === undefined) signatureError('digest_missing', 'the request has a body but no Content-Digest header (RFC 9530, sha-256)');
  if (!covered.has('content-digest')) signatureError('signature_component_missing', 'the signature must cover content-digest when the request has a body');
}

function requireFresh(signature: MessageSignature, maxSkewSeconds: number, nowSeconds: number): string {
  if (signature.created === undefined) signatureError('signature_created_missing', 'the signature has no created parameter');
  if (signature.created < nowSeconds - maxSkewSeconds) signatureError('signature_too_old', `the signature was created more than ${maxSkewSeconds} s ago`);
  if (signature.created > nowSeconds + maxSkewSeconds) signatureError('signature_in_future', `the signature's created time is more than ${maxSkewSeconds} s in the future`);
  if (signature.expires !== undefined && signature.expires <= nowSeconds) signatureError('signature_expired', 'the signature has expired (its expires parameter is past)');
  const { nonce } = signature;
  if (!nonce) signatureError('signature_nonce_missing', 'the signature has no nonce parameter; every signed request needs a fresh one');
  if (nonce.length > NONCE_MAX_LENGTH) signatureError('signature_malformed', `the signature's nonce is longer than ${NONCE_MAX_LENGTH} characters`);
  return nonce;
}

function requireBodyDigest(request: OriginalRequest): void {
  const header = request.headers['content-digest'];
  if (header === undefined) return;
  const declared = declaredSha256(Array.isArray(header) ? header.join(', ') : header);
  const { body } = request;
  if (!body) return;
  if (body.partial) signatureError('digest_unverifiable', 'the gateway forwarded only part of the body, so Content-Digest cannot be checked');
  if (!sha256Matches(declared, body.bytes)) signatureError('digest_mismatch', 'the body does not match its Content-Digest');
}

/** The first signature that names a key; a request may carry others (for other verifiers). */
function ours(signatures: MessageSignature[]): MessageSignature & { keyid: string } {
  if (signatures.length === 0) {
    signatureError('signature_missing', `a signed request is required: Signature-Input and Signature headers (RFC 9421, alg="${SIGNATURE_ALGORITHM}", keyid = the API key's id)`);
  }
  const named = signatures.find((signature): signature is MessageSignature & { keyid: string } => signature.keyid !== undefined);
  if (!named) signatureError('signature_malformed', 'no signature in Signature-Input has a keyid parameter');
  return named;
}

export class SignatureCheck {
  constructor(
    private readonly keys: Pick<ApiKeyVerifier, 'signer'>,
    private readonly secrets: SigningSecrets,
    private readonly nonces: NonceReplay,
    private readonly settings: SignatureSettings,
    private readonly observe: { refused(reason: string): void; error(error: unknown): void },
  ) {}

  async check(request: OriginalRequest, resource: string, identity: CallerIdentity): Promise<VerifiedApiKey> {
    try {
      return await this.verify(request, resource, identity);
    } catch (error) {
      if (!(error instanceof SignatureError)) throw error;
      this.observe.refused(error.reason);
      refuse({ status: 401, error: 'invalid_signature', description: error.description, challenge: 'Signature', reason: error.reason });
    }
  }

  private async verify(request: OriginalRequest, resource: string, identity: CallerIdentity): Promise<VerifiedApiKey> {
    const signature = ours(readSignatures(request.headers));
    if (signature.alg !== undefined && signature.alg !== SIGNATURE_ALGORITHM) {
      signatureError('signature_algorithm', `the signature's alg must be ${SIGNATURE_ALGORITHM}`);
    }
    const signer = await this.keys.signer(signature.keyid);
    if (isRefusal(signer)) {
      identity.apiKeyId = signer.id;
      identity.clientId = signer.clientId;
      const [reason, description] = KEY_REFUSALS[signer.refused];
      signatureError(reason, description);
    }
    identity.apiKeyId = signer.id;
    identity.clientId = signer.clientId;
    if (signer.resource !== resource) {
      this.observe.refused('signature_other_api');
      refuse({ status: 403, error: 'insufficient_scope', description: 'the signature is made with an API key for another API', challenge: 'Signature', reason: 'signature_other_api' });
    }
    if (signer.signingSecret === null) signatureError('signature_no_secret', 'this API key has no signing secret; rotate it to get one');
    requireCovered(signature, request);
    const nonce = requireFresh(signature, this.settings.maxSkewSeconds, Math.floor(Date.now() / 1000));
    if (!hmacSha256Matches(request, signature, this.openSecret(signer.id, signer.signingSecret))) {
      signatureError('signature_invalid', 'the signature does not match the request (method, URL or a covered header differs from what was signed, or another secret signed it)');
    }
    requireBodyDigest(request);
    // Last: only a request that is otherwise valid uses up its nonce.
    if (!(await this.nonces.firstUse(signer.id, nonce))) signatureError('signature_replayed', 'the signature\'s nonce was already used: this request is a replay');
    signer.markUsed();
    const { signingSecret: _secret, markUsed: _mark, ...key } = signer;
    return key;
  }

  private openSecret(keyId: string, stored: string): Buffer {
    try {
      return this.secrets.open(keyId, stored);
    } catch (error) {
      this.observe.error(error);
      return signatureError('signature_secret_unreadable', 'Gatehouse cannot read this key\'s signing secret (KEY_ENCRYPTION_SECRET is not the one it was stored under)');
    }
  }
}
