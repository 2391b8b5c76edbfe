// An access token the check has found valid (signature or stored row, issuer, expiry), before it
// asks whether it is for this API, bound to this caller and carries the scopes.

export interface VerifiedAccessToken {
  clientId: string;
  /** The user the token acts for; undefined for a client's own token (client credentials). */
  subject: string | undefined;
  scopes: string[];
  audiences: string[];
  /** JWK thumbprint of the DPoP key the token is bound to (RFC 9449 cnf.jkt). */
  jkt: string | undefined;
  /** SHA-256 thumbprint of the client certificate it is bound to (RFC 8705 cnf.x5t#S256). */
  certificateThumbprint: string | undefined;
}

export function scopeList(raw: unknown): string[] {
  return typeof raw === 'string' ? raw.split(' ').filter(Boolean) : [];
}

export function audienceList(raw: unknown): string[] {
  if (typeof raw === 'string') return [raw];
  return Array.isArray(raw) ? raw.filter((value): value is string => typeof value === 'string') : [];
}
