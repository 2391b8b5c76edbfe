// Reads `Authorization: Basic` client credentials the way oidc-provider does (RFC 6749 section
// 2.3.1: each part form-urlencoded before base64), for the middlewares that must know the client
// before the provider has authenticated it.

export interface BasicCredentials {
  clientId: string;
  /** Empty when the header carries no password, as some public clients send it. */
  secret: string;
}

function formDecode(part: string): string {
  const decoded = decodeURIComponent(part.replace(/\+/g, '%20'));
  // RFC 6749 appendix A: client ids and secrets are visible ASCII and spaces only.
  if (/[^\x20-\x7E]/.test(decoded)) throw new URIError('not a client credential character');
  return decoded;
}

/** The client id and secret of a well-formed Basic header; undefined for anything else. */
export function basicCredentials(header: string | undefined): BasicCredentials | undefined {
  const match = /^basic\s+([A-Za-z0-9+/]+={0,2})$/i.exec(header?.trim() ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  try {
    return { clientId: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}
