// Turns what an operator (or a client registering itself) asks for into oidc-provider client
// metadata, refusing anything an OAuth 2.1 authorization server should not accept. The rules are
// stricter than oidc-provider's own schema, and the metadata produced must also pass that schema,
// which applies its own redirect URI rules per application_type (lib/helpers/client_schema.js).
import { createPublicKey, X509Certificate, type JsonWebKey } from 'node:crypto';
import { SCOPES } from '../oidc/scopes.js';
import { DistinguishedNameError, parseDistinguishedName } from '../mtls/distinguished-name.js';
import { sanProblem, type SanKind } from '../mtls/subject-alternative-names.js';

export class ClientInputError extends Error {
  override name = 'ClientInputError';
}

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials', DEVICE_CODE_GRANT] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

/** Short names people type for the long URN grants. */
const GRANT_ALIASES = new Map<string, GrantType>([['device_code', DEVICE_CODE_GRANT]]);

/** Grants OAuth 2.1 removed, named so the error says why rather than just "unknown". */
const REMOVED_GRANTS = new Map([
  ['implicit', 'the implicit grant is not supported (OAuth 2.1 removed it; use authorization_code with PKCE)'],
  ['password', 'the password grant is not supported (OAuth 2.1 removed it; use authorization_code or device_code)'],
]);

/** Exactly the hosts oidc-provider treats as loopback for native clients; other 127/8 addresses it rejects. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** The OpenID scopes: each describes a user, so none means anything to a client acting for itself. */
const USER_SCOPES: ReadonlySet<string> = new Set(SCOPES);

const MAX_NAME_LENGTH = 200;
const MAX_URI_LENGTH = 2000;

export interface ClientRequest {
  name: string;
  /** A public client has no secret: browser apps, native apps, devices. */
  public: boolean;
  grantTypes: string[];
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  /** Space-separated; absent means the default for the client's grants. */
  scope?: string;
  /** How a confidential client authenticates; defaults to client_secret_basic (private_key_jwt with keys). */
  authMethod?: string;
  /** The client's public keys for private_key_jwt, by URL or inline. */
  jwksUri?: string;
  jwks?: unknown;
  /** Access tokens must be DPoP-bound (RFC 9449). */
  requireDpop?: boolean;
  /** Authorization requests must be pushed first (RFC 9126). */
  requirePar?: boolean;
  /** Every sign-in for this client needs a second factor (`--require-mfa`). */
  requireMfa?: boolean;
  /** Where logout tokens are POSTed when the user signs out (OpenID Back-Channel Logout). */
  backchannelLogoutUri?: string;
  /** tls_client_auth: the one certificate subject (DN or SAN) the client's certificate must carry. */
  tlsSubject?: TlsSubject;
  /** Access tokens (and a public client's refresh tokens) bound to the client certificate (RFC 8705 §3). */
  certificateBoundTokens?: boolean;
}

/** RFC 8705 §2.1.2: how a tls_client_auth client's certificate is recognised, by metadata name. */
export const TLS_SUBJECT_FIELDS = [
  'tls_client_auth_subject_dn', 'tls_client_auth_san_dns', 'tls_client_auth_san_uri', 'tls_client_auth_san_ip', 'tls_client_auth_san_email',
] as const;
export type TlsSubjectField = (typeof TLS_SUBJECT_FIELDS)[number];
export type TlsSubject = Partial<Record<TlsSubjectField, string>>;

export const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth', 'none'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

/** oidc-provider client metadata, without client_id and client_secret. */
export interface ClientProfile {
  client_name: string;
  application_type: 'web' | 'native';
  grant_types: GrantType[];
  response_types: string[];
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  token_endpoint_auth_method: AuthMethod;
  /** The OpenID scopes; absent when the client may ask for none: oidc-provider rejects an empty string. */
  scope?: string;
  /**
   * The API (resource server) scopes the client may ask for. Kept apart from `scope` because
   * oidc-provider only accepts its static OpenID scopes there, while APIs are added at run time.
   */
  api_scope?: string;
  jwks_uri?: string;
  jwks?: { keys: Record<string, unknown>[] };
  dpop_bound_access_tokens?: boolean;
  require_pushed_authorization_requests?: boolean;
  /** Gatehouse's own: sign-ins for this client need a second factor. */
  require_mfa?: boolean;
  backchannel_logout_uri?: string;
  backchannel_logout_session_required?: boolean;
  tls_client_auth_subject_dn?: string;
  tls_client_auth_san_dns?: string;
  tls_client_auth_san_uri?: string;
  tls_client_auth_san_ip?: string;
  tls_client_auth_san_email?: string;
  tls_client_certificate_bound_access_tokens?: boolean;
}

type UriKind = 'https' | 'loopback' | 'private-use';

function normaliseGrants(requested: string[]): GrantType[] {
  if (requested.length === 0) throw new ClientInputError('at least one grant type is required');
  const grants = new Set<GrantType>();
  for (const raw of requested) {
    const name = raw.trim();
    const removed = REMOVED_GRANTS.get(name);
    if (removed) throw new ClientInputError(removed);
    const grant = GRANT_ALIASES.get(name) ?? GRANT_TYPES.find((known) => known === name);
    if (!grant) {
      throw new ClientInputError(`unknown grant type "${raw}" (supported: authorization_code, refresh_token, client_credentials, device_code)`);
    }
    grants.add(grant);
  }
  // A fixed order keeps stored metadata stable whatever order the grants were given in.
  return GRANT_TYPES.filter((grant) => grants.has(grant));
}

function classifyUri(uri: string, label: string): UriKind {
  if (uri.length > MAX_URI_LENGTH) throw new ClientInputError(`${label} must be at most ${MAX_URI_LENGTH} characters`);
  // URL parsing silently drops tabs and newlines, so the stored string would differ from what it checked.
  if (/[\s\u0000-\u001f\u007f]/.test(uri)) throw new ClientInputError(`${label} ${JSON.stringify(uri)} must not contain spaces or control characters`);
  const parsed = URL.parse(uri);
  if (!parsed) throw new ClientInputError(`${label} "${uri}" is not an absolute URI`);
  // Fragments would be lost or abused when the code is appended (RFC 6749 §3.1.2).
  if (uri.includes('#')) throw new ClientInputError(`${label} "${uri}" must not contain a fragment`);
  if (parsed.username || parsed.password) throw new ClientInputError(`${label} "${uri}" must not contain credentials`);

  if (parsed.protocol === 'https:' || parsed.protocol === 'http:') {
    // WHATWG URLs repair "https:/cb" into "https://cb/"; the operator almost certainly meant something else.
    if (!/^https?:\/\/[^/]/i.test(uri)) throw new ClientInputError(`${label} "${uri}" is not an absolute URI`);
    // Redirect URIs match exactly; a "*" would never match and suggests wildcards work.
    if (parsed.hostname.includes('*')) throw new ClientInputError(`${label} "${uri}" must not contain wildcards`);
    if (parsed.protocol === 'https:') return 'https';
    if (LOOPBACK_HOSTS.has(parsed.hostname)) return 'loopback';
    throw new ClientInputError(
      `${label} "${uri}" must use https (http is only allowed on loopback: 127.0.0.1, [::1], localhost)`,
    );
  }
  // RFC 8252 §7.1: a native app's private-use scheme is a reverse domain name it controls.
  const scheme = parsed.protocol.slice(0, -1);
  if (/^[a-z][a-z0-9+\-]*(\.[a-z0-9+\-]+)+$/i.test(scheme)) return 'private-use';
  throw new ClientInputError(
    `${label} "${uri}" must use https, http on loopback, or a reverse-domain private-use scheme such as com.example.app:/callback`,
  );
}

function uniqueTrimmed(values: string[] | undefined): string[] {
  return [...new Set((values ?? []).map((value) => value.trim()).filter(Boolean))];
}

interface ResolvedScope {
  scope?: string;
  apiScope?: string;
}

function resolveScope(requested: string | undefined, grants: GrantType[], apiScopes: ReadonlySet<string>): ResolvedScope {
  const actsForUsers = grants.some((grant) => grant !== 'client_credentials');
  const refreshes = grants.includes('refresh_token');
  if (requested === undefined) {
    if (!actsForUsers) return {};
    return { scope: refreshes ? 'openid profile email offline_access' : 'openid profile email' };
  }
  const scopes = [...new Set(requested.split(/\s+/).filter(Boolean))];
  if (scopes.length === 0) {
    if (actsForUsers) throw new ClientInputError('scope must name at least one scope for a client that signs users in');
    return {};
  }
  for (const scope of scopes) {
    if (!USER_SCOPES.has(scope) && !apiScopes.has(scope)) {
      throw new ClientInputError(`unknown scope "${scope}" (supported: ${[...USER_SCOPES, ...apiScopes].join(' ')})`);
    }
  }
  const userScopes = scopes.filter((scope) => USER_SCOPES.has(scope));
  if (!actsForUsers && userScopes.length > 0) {
    throw new ClientInputError(`scope "${userScopes.join(' ')}" describes a user, but a client_credentials client acts only for itself`);
  }
  if (scopes.includes('offline_access') && !refreshes) {
    throw new ClientInputError('scope offline_access needs the refresh_token grant');
  }
  const api = scopes.filter((scope) => !USER_SCOPES.has(scope));
  return {
    ...(userScopes.length ? { scope: userScopes.join(' ') } : {}),
    ...(api.length ? { apiScope: api.join(' ') } : {}),
  };
}

/** https anywhere, http only on loopback: for URLs Gatehouse itself calls (keys, logout). */
function serverUrl(uri: string, label: string): string {
  const kind = classifyUri(uri.trim(), label);
  if (kind === 'private-use') throw new ClientInputError(`${label} "${uri}" must use https (http only on loopback)`);
  return uri.trim();
}

function clientJwks(value: unknown): { keys: Record<string, unknown>[] } {
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (typeof value !== 'object' || !Array.isArray(keys) || keys.length === 0) {
    throw new ClientInputError('jwks must be a JSON Web Key Set ({"keys":[...]}) with at least one key');
  }
  for (const key of keys) {
    if (typeof key !== 'object' || key === null || typeof (key as { kty?: unknown }).kty !== 'string') {
      throw new ClientInputError('every key in jwks needs a "kty"');
    }
    if ('d' in key || 'k' in key) throw new ClientInputError('jwks must hold public keys only: a private or symmetric key was given');
  }
  return { keys: keys as Record<string, unknown>[] };
}

/** Methods that prove the client with keys it registered: a signed assertion, or a self-signed certificate. */
const KEY_METHODS: readonly AuthMethod[] = ['private_key_jwt', 'self_signed_tls_client_auth'];

function resolveAuthMethod(request: ClientRequest): AuthMethod {
  const hasKeys = request.jwks !== undefined || request.jwksUri !== undefined;
  if (request.jwks !== undefined && request.jwksUri !== undefined) throw new ClientInputError('give either jwks or jwks_uri, not both');
  if (request.public && hasKeys) throw new ClientInputError('a public client does not authenticate, so it takes no keys (jwks, jwks_uri)');
  const fallback: AuthMethod = request.public ? 'none' : hasKeys ? 'private_key_jwt' : 'client_secret_basic';
  const method = request.authMethod === undefined ? fallback : AUTH_METHODS.find((m) => m === request.authMethod);
  if (!method) {
    throw new ClientInputError(`token_endpoint_auth_method "${request.authMethod}" is not supported (supported: ${AUTH_METHODS.join(', ')})`);
  }
  if (request.public && method !== 'none') throw new ClientInputError('a public client authenticates with "none"');
  if (KEY_METHODS.includes(method) && !hasKeys) throw new ClientInputError(`${method} needs the client's public keys (jwks or jwks_uri)`);
  if (!KEY_METHODS.includes(method) && hasKeys) throw new ClientInputError('client keys (jwks, jwks_uri) are only used with private_key_jwt and self_signed_tls_client_auth');
  return method;
}

/** Exactly one certificate subject for tls_client_auth, and none for any other method. */
function resolveTlsSubject(request: ClientRequest, method: AuthMethod): TlsSubject {
  const given = TLS_SUBJECT_FIELDS.filter((field) => request.tlsSubject?.[field] !== undefined);
  if (method !== 'tls_client_auth') {
    if (given.length) throw new ClientInputError(`${given.join(', ')} only applies to clients authenticating with tls_client_auth`);
    return {};
  }
  if (given.length !== 1) {
    throw new ClientInputError('tls_client_auth needs exactly one certificate subject: tls_client_auth_subject_dn (--tls-subject-dn) or one tls_client_auth_san_* value');
  }
  const field = given[0];
  const value = (request.tlsSubject?.[field] ?? '').trim();
  if (field === 'tls_client_auth_subject_dn') {
    try {
      parseDistinguishedName(value);
    } catch (error) {
      if (error instanceof DistinguishedNameError) throw new ClientInputError(`tls_client_auth_subject_dn "${value}" is not an RFC 4514 DN such as "CN=svc,O=Example": ${error.message}`);
      throw error;
    }
  } else {
    const problem = sanProblem(field.replace('tls_client_auth_san_', '') as SanKind, value);
    if (problem) throw new ClientInputError(`${field} "${value}" ${problem}`);
  }
  return { [field]: value };
}

/**
 * A self-signed client is recognised by its certificate, so its registered keys carry it: x5c[0]
 * is the certificate (base64 DER), holding the very public key of the JWK (RFC 8705 §2.2.2).
 */
function checkSelfSignedCertificates(jwks: { keys: Record<string, unknown>[] }): void {
  const withCertificates = jwks.keys.filter((key) => Array.isArray(key.x5c) && key.x5c.length > 0);
  if (withCertificates.length === 0) {
    throw new ClientInputError('self_signed_tls_client_auth needs the client certificate in jwks: a key whose "x5c" holds it (base64 DER)');
  }
  for (const key of withCertificates) {
    const first = (key.x5c as unknown[])[0];
    let certificate: X509Certificate;
    try {
      if (typeof first !== 'string') throw new TypeError('not a string');
      certificate = new X509Certificate(Buffer.from(first, 'base64'));
    } catch {
      throw new ClientInputError('x5c[0] of a key in jwks is not a base64 DER certificate');
    }
    let same: boolean;
    try {
      const jwkKey = createPublicKey({ key: key as JsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'der' });
      same = jwkKey.equals(certificate.publicKey.export({ type: 'spki', format: 'der' }));
    } catch {
      throw new ClientInputError('a key in jwks is not a valid public JWK');
    }
    if (!same) throw new ClientInputError('the certificate in x5c[0] holds another public key than its JWK');
  }
}

export interface ClientPolicy {
  /**
   * Scopes of APIs (resource servers) the provider is configured with, beyond the user scopes.
   * Only scopes the provider knows may be registered: oidc-provider refuses to load a client whose
   * metadata names any other.
   */
  apiScopes?: readonly string[];
}

export function validateClientRequest(request: ClientRequest, policy: ClientPolicy = {}): ClientProfile {
  const name = request.name.trim();
  if (!name) throw new ClientInputError('client name must not be empty');
  if (name.length > MAX_NAME_LENGTH) throw new ClientInputError(`client name must be at most ${MAX_NAME_LENGTH} characters`);
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new ClientInputError('client name must not contain control characters');

  const grants = normaliseGrants(request.grantTypes);
  const codeFlow = grants.includes('authorization_code');
  const deviceFlow = grants.includes(DEVICE_CODE_GRANT);

  // A public client cannot authenticate, so it cannot prove it is the client it claims to be when
  // acting for itself.
  if (request.public && grants.includes('client_credentials')) {
    throw new ClientInputError('a public client cannot use the client_credentials grant; create a confidential client');
  }
  if (grants.includes('refresh_token') && !codeFlow && !deviceFlow) {
    throw new ClientInputError('the refresh_token grant needs authorization_code or device_code to obtain a first refresh token');
  }

  const redirectUris = uniqueTrimmed(request.redirectUris);
  const postLogoutRedirectUris = uniqueTrimmed(request.postLogoutRedirectUris);
  if (codeFlow && redirectUris.length === 0) {
    throw new ClientInputError('the authorization_code grant needs at least one redirect URI');
  }
  if (!codeFlow && redirectUris.length > 0) {
    throw new ClientInputError('redirect URIs are only used by the authorization_code grant');
  }
  if (!codeFlow && postLogoutRedirectUris.length > 0) {
    throw new ClientInputError('post-logout redirect URIs are only used by clients with the authorization_code grant');
  }

  const kinds = [
    ...redirectUris.map((uri) => [uri, classifyUri(uri, 'redirect URI')] as const),
    ...postLogoutRedirectUris.map((uri) => [uri, classifyUri(uri, 'post-logout redirect URI')] as const),
  ];
  // oidc-provider treats native clients as RFC 8252 asks: any port on a loopback redirect URI, and
  // user interaction on every authorization, since nothing proves which app receives the code.
  // That fits a public client. A confidential client on loopback (typically a web app being
  // developed) proves who it is with its secret, so it stays a web client: exact redirect URI
  // matching, and silent sign-in (prompt=none) keeps working. Private-use schemes are native only.
  const native = kinds.some(([, kind]) => kind === 'private-use' || (kind === 'loopback' && request.public));
  if (native) {
    // oidc-provider's native rules reject claimed https URIs on loopback hosts.
    const loopbackHttps = kinds.find(([uri, kind]) => kind === 'https' && LOOPBACK_HOSTS.has(new URL(uri).hostname));
    if (loopbackHttps) {
      throw new ClientInputError(
        `redirect URI "${loopbackHttps[0]}" cannot be combined with loopback http or private-use redirect URIs; use a separate client`,
      );
    }
  }

  const { scope, apiScope } = resolveScope(request.scope, grants, new Set(policy.apiScopes ?? []));
  const authMethod = resolveAuthMethod(request);
  const tlsSubject = resolveTlsSubject(request, authMethod);
  const jwks = request.jwks === undefined ? undefined : clientJwks(request.jwks);
  if (jwks && authMethod === 'self_signed_tls_client_auth') checkSelfSignedCertificates(jwks);
  if (request.requirePar && !codeFlow) throw new ClientInputError('require PAR only applies to clients with the authorization_code grant');
  const backchannel = request.backchannelLogoutUri?.trim();
  if (backchannel && !codeFlow) throw new ClientInputError('back-channel logout only applies to clients with the authorization_code grant');
  return {
    client_name: name,
    application_type: native ? 'native' : 'web',
    grant_types: grants,
    response_types: codeFlow ? ['code'] : [],
    redirect_uris: redirectUris,
    post_logout_redirect_uris: postLogoutRedirectUris,
    token_endpoint_auth_method: authMethod,
    ...(scope === undefined ? {} : { scope }),
    ...(apiScope === undefined ? {} : { api_scope: apiScope }),
    ...(request.jwksUri === undefined ? {} : { jwks_uri: serverUrl(request.jwksUri, 'jwks_uri') }),
    ...(jwks === undefined ? {} : { jwks }),
    ...(request.requireDpop ? { dpop_bound_access_tokens: true } : {}),
    ...(request.requirePar ? { require_pushed_authorization_requests: true } : {}),
    ...(request.requireMfa ? { require_mfa: true } : {}),
    // With the session id in logout tokens (and ID tokens) a client can end exactly that session.
    ...(backchannel ? { backchannel_logout_uri: serverUrl(backchannel, 'backchannel_logout_uri'), backchannel_logout_session_required: true } : {}),
    ...tlsSubject,
    ...(request.certificateBoundTokens ? { tls_client_certificate_bound_access_tokens: true } : {}),
  };
}
