// The oidc-provider configuration: OAuth 2.1 profile (code + PKCE S256 only, no implicit, no
// password grant), client credentials, refresh rotation, device flow, introspection, revocation,
// APIs with JWT access tokens, DPoP, mutual TLS, PAR, dynamic registration and back-channel logout.
import { errors, type Adapter, type Configuration, type FindAccount } from 'oidc-provider';
import type { Config } from '../config/env.js';
import type { PrivateJwks } from '../keys/signing-keys.js';
import { CLAIMS_BY_SCOPE, SCOPES } from './scopes.js';
import * as pages from './pages.js';
import { clientBasedCORS, introspectionAllowed, rotateRefreshTokenPolicy } from './policies.js';
import { generateClientSecret } from './client-secrets.js';
import { newClientId } from '../clients/clients.js';
import type { ResourceCatalog } from '../resources/resources.js';
import { resourceIndicators } from '../resources/resource-indicators.js';
import { ClientCertificateSource } from '../mtls/certificate-source.js';
import { TrustedIssuers } from '../mtls/trusted-issuers.js';
import { mtlsFeature } from '../mtls/mtls-feature.js';
import { mtlsEndpointAliases } from '../mtls/endpoint-aliases.js';
import { addGrantIdClaim } from '../jwt-revocation/grant-id-claim.js';
import { accountClientMetadata, loadExistingGrant } from '../account/account-client.js';
import { ACR_VALUES } from '../mfa/authentication-methods.js';
import { REQUIRE_MFA_METADATA } from '../mfa/policy.js';
import { interactionPolicyWithMfa } from '../mfa/sign-in/login-check.js';

export interface ProviderDependencies {
  config: Config;
  adapter: (name: string) => Adapter;
  findAccount: FindAccount;
  jwks: PrivateJwks;
  cookieKeys: string[];
  resources: ResourceCatalog;
  /** Algorithms the JWKS holds signing keys for. */
  signingAlgs: ReadonlySet<string>;
  dpopNonceSecret: Buffer;
  /** Whether an account has a second factor, for reusing a session only when it was signed in with one. */
  hasSecondFactor?: ((accountId: string) => Promise<boolean>) | undefined;
}

const SIGNING_ALGS = ['RS256', 'ES256', 'EdDSA'] as const;

/** DPoP proof algorithms and nonce policy; the gateway check validates proofs to the same rules. */
export const DPOP_SIGNING_ALGS = ['ES256', 'EdDSA', 'RS256', 'PS256'] as const;
export const DPOP_REQUIRES_NONCE = true;

/** Client metadata beyond the standard: the API scopes a client may ask for (see validate-client.ts). */
const extraClientMetadata: Configuration['extraClientMetadata'] = {
  properties: ['api_scope', REQUIRE_MFA_METADATA],
  validator(_ctx, key, value) {
    if (key === 'api_scope' && value !== undefined && (typeof value !== 'string' || !/^\S+( \S+)*$/.test(value))) {
      throw new errors.InvalidClientMetadata('api_scope must be a space-separated list of scopes');
    }
    if (key === REQUIRE_MFA_METADATA && value !== undefined && typeof value !== 'boolean') {
      throw new errors.InvalidClientMetadata(`${REQUIRE_MFA_METADATA} must be true or false`);
    }
  },
};

/**
 * oidc-provider passes a dispatcher that refuses loopback and private addresses (SSRF protection);
 * dropping it lets a deployment on a private network, or a test, reach its clients' URLs.
 */
const fetchWithoutAddressCheck: NonNullable<Configuration['fetch']> = (url, options) => {
  const { dispatcher: _addressCheck, ...rest } = options as RequestInit & { dispatcher?: unknown };
  return globalThis.fetch(url, rest);
};

export function buildConfiguration({
  config, adapter, findAccount, jwks, cookieKeys, resources, signingAlgs, dpopNonceSecret, hasSecondFactor,
}: ProviderDependencies): Configuration {
  const { ttl } = config;
  const certificates = new ClientCertificateSource(config.mtls.certificateHeader);
  return {
    adapter,
    findAccount,
    // The account page's own client (src/account/account-client.ts); every other client is stored.
    clients: [accountClientMetadata(config.issuer)],
    loadExistingGrant: loadExistingGrant as Configuration['loadExistingGrant'],
    jwks: jwks as Configuration['jwks'],
    cookies: {
      keys: cookieKeys,
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    // acr and amr (RFC 8176) say how the user signed in: every ID token carries them, not only
    // those whose request asked for them by acr_values or the claims parameter.
    claims: { ...CLAIMS_BY_SCOPE, openid: [...CLAIMS_BY_SCOPE.openid, 'acr', 'amr'] } as unknown as Configuration['claims'],
    acrValues: [...ACR_VALUES],
    scopes: [...SCOPES],
    extraClientMetadata,
    responseTypes: ['code'],
    pkce: { required: () => true },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth', 'none'],
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      id_token_signed_response_alg: 'RS256',
      token_endpoint_auth_method: 'client_secret_basic',
    },
    enabledJWA: {
      idTokenSigningAlgValues: SIGNING_ALGS,
      userinfoSigningAlgValues: SIGNING_ALGS,
      introspectionSigningAlgValues: SIGNING_ALGS,
      clientAuthSigningAlgValues: ['RS256', 'PS256', 'ES256', 'EdDSA'] as const,
      requestObjectSigningAlgValues: SIGNING_ALGS,
      authorizationSigningAlgValues: SIGNING_ALGS,
      dPoPSigningAlgValues: DPOP_SIGNING_ALGS,
    },
    clientBasedCORS,
    ...(config.mtls.baseUrl ? { discovery: { mtls_endpoint_aliases: mtlsEndpointAliases(config.mtls.baseUrl) } } : {}),
    ...(config.allowPrivateNetworkFetch ? { fetch: fetchWithoutAddressCheck } : {}),
    features: {
      devInteractions: { enabled: false },
      // RFC 9126; a client registered with require_pushed_authorization_requests must use it.
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: false, allowUnregisteredRedirectUris: false },
      // RFC 9449, with server nonces on every DPoP request and no proof accepted twice; a client
      // registered with dpop_bound_access_tokens must send proofs.
      dPoP: { enabled: true, nonceSecret: dpopNonceSecret, requireNonce: () => DPOP_REQUIRES_NONCE, allowReplay: false },
      resourceIndicators: resourceIndicators(resources, signingAlgs),
      registration: {
        enabled: true,
        initialAccessToken: !config.openRegistration,
        idFactory: () => newClientId(),
        secretFactory: () => generateClientSecret(),
        issueRegistrationAccessToken: true,
      },
      registrationManagement: { enabled: true, rotateRegistrationAccessToken: true },
      backchannelLogout: { enabled: true },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: introspectionAllowed(certificates) },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      // RFC 8705: certificate-authenticated clients and certificate-bound tokens (src/mtls).
      mTLS: mtlsFeature(certificates, new TrustedIssuers(config.mtls.clientCaPems)),
      deviceFlow: {
        enabled: true,
        charset: 'base-20',
        mask: '****-****',
        userCodeInputSource: pages.userCodeInputSource,
        userCodeConfirmSource: pages.userCodeConfirmSource,
        successSource: pages.deviceSuccessSource,
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: pages.logoutSource,
        postLogoutSuccessSource: pages.postLogoutSuccessSource,
      },
    },
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
      policy: interactionPolicyWithMfa({ serverRequiresMfa: config.mfaRequired, hasSecondFactor: hasSecondFactor ?? (async () => false) }),
    },
    renderError: pages.renderError,
    formats: { customizers: { jwt: addGrantIdClaim } },
    rotateRefreshToken: rotateRefreshTokenPolicy(config.rotateConfidentialRefreshTokens),
    ttl: {
      // An API's own lifetime (gatehouse resource create --ttl) wins over the server-wide one.
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? ttl.accessToken,
      AuthorizationCode: ttl.authorizationCode,
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? ttl.clientCredentials,
      DeviceCode: ttl.deviceCode,
      IdToken: ttl.idToken,
      RefreshToken: ttl.refreshToken,
      Interaction: ttl.interaction,
      Session: ttl.session,
      Grant: ttl.grant,
    },
  };
}
