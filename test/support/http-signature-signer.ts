// A signer for RFC 9421 hmac-sha256 request signatures written from the RFC for the tests, with
// node:crypto and string building only: it shares no code with Gatehouse's verifier, so a test
// passes only when both read the RFC the same way. Options let a test sign wrongly on purpose.
import { createHash, createHmac, randomUUID } from 'node:crypto';

export interface SigningKey {
  /** The API key's id: the keyid parameter. */
  id: string;
  /** The signing secret as `apikey create` prints it: 64 hex digits. */
  secret: string;
}

export interface ToSign {
  method: string;
  url: string;
  body?: string | undefined;
  /** Default: @method @authority @path @query, and content-digest when there is a body. */
  components?: string[];
  /** Seconds since the epoch; default now. */
  created?: number | undefined;
  expires?: number | undefined;
  /** Default: a fresh UUID; null: none. */
  nonce?: string | null;
  /** Default: hmac-sha256; null: leave the parameter out. */
  alg?: string | null;
  /** Default: the key's id. */
  keyid?: string;
  /** Content-Digest to send (and sign) instead of the body's. */
  contentDigest?: string;
}

export function contentDigestOf(body: string): string {
  return `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;
}

function componentValue(name: string, message: { method: string; url: URL; headers: Record<string, string> }): string {
  switch (name) {
    case '@method': return message.method;
    case '@authority': return message.url.host;
    case '@path': return message.url.pathname;
    case '@query': return `?${message.url.search.replace(/^\?/, '')}`;
    case '@target-uri': return message.url.href;
    default: {
      const value = message.headers[name];
      if (value === undefined) throw new Error(`no ${name} header to sign`);
      return value;
    }
  }
}

/** The headers to add to the request: Signature-Input, Signature and, with a body, Content-Digest. */
export function signRequest(key: SigningKey, request: ToSign): Record<string, string> {
  const headers: Record<string, string> = {};
  if (request.contentDigest !== undefined) headers['content-digest'] = request.contentDigest;
  else if (request.body !== undefined) headers['content-digest'] = contentDigestOf(request.body);
  const components = request.components ?? ['@method', '@authority', '@path', '@query', ...(headers['content-digest'] ? ['content-digest'] : [])];
  const created = request.created ?? Math.floor(Date.now() / 1000);
  const nonce = request.nonce === undefined ? randomUUID() : request.nonce;
  const alg = request.alg === undefined ? 'hmac-sha256' : request.alg;
  const params = [
    `;created=${created}`,
    request.expires === undefined ? '' : `;expires=${request.expires}`,
    nonce === null ? '' : `;nonce="${nonce}"`,
    `;keyid="${request.keyid ?? key.id}"`,
    alg === null ? '' : `;alg="${alg}"`,
  ].join('');
  const signatureParams = `(${components.map((c) => `"${c}"`).join(' ')})${params}`;
  const message = { method: request.method, url: new URL(request.url), headers };
  const base = [...components.map((c) => `"${c}": ${componentValue(c, message)}`), `"@signature-params": ${signatureParams}`].join('\n');
  const signature = createHmac('sha256', Buffer.from(key.secret, 'hex')).update(base).digest('base64');
  return { ...headers, 'signature-input': `sig1=${signatureParams}`, signature: `sig1=:${signature}:` };
}
