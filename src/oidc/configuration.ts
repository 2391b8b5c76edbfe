// The oidc-provider configuration: OAuth 2.1 profile (code + PKCE S256 only, no implicit, no
// password grant), client credentials, refresh rotation, device flow, introspection, revocation.
import type { Adapter, Configuration, FindAccount } from 'oidc-provider';
import type { Config } from '../config/env.js';
import type { PrivateJwks } from '../keys/signing-keys.js';
import { CLAIMS_BY_SCOPE, SCOPES } from './scopes.js';
import * as pages from './pages.js';
import { apiResourceFeature } from './api-resource.js';
import { clientBasedCORS, introspectionAllowed, rotateRefreshTokenPolicy } from './policies.js';

export interface ProviderDependencies {
  config: Config;
  adapter: (name: string) => Adapter;
  findAccount: FindAccount;
  jwks: PrivateJwks;
  cookieKeys: string[];
}

const SIGNING_ALGS = ['RS256', 'ES256', 'EdDSA'] as const;

export function buildConfiguration({ config, adapter, findAccount, jwks, cookieKeys }: ProviderDependencies): Configuration {
  const { ttl } = config;
  return {
    adapter,
    findAccount,
    jwks: jwks as Configuration['jwks'],
    cookies: {
      keys: cookieKeys,
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    claims: { ...CLAIMS_BY_SCOPE } as unknown as Configuration['claims'],
    scopes: [...SCOPES, ...config.apiScopes],
    responseTypes: ['code'],
    pkce: { required: () => true },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
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
    },
    clientBasedCORS,
    features: {
      devInteractions: { enabled: false },
      // Off until they are configured and tested on purpose, so discovery only lists what we support.
      pushedAuthorizationRequests: { enabled: false },
      dPoP: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: introspectionAllowed },
      revocation: { enabled: true },
      resourceIndicators: apiResourceFeature(config),
      userinfo: { enabled: true },
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
    },
    renderError: pages.renderError,
    rotateRefreshToken: rotateRefreshTokenPolicy(config.rotateConfidentialRefreshTokens),
    ttl: {
      AccessToken: ttl.accessToken,
      AuthorizationCode: ttl.authorizationCode,
      ClientCredentials: ttl.clientCredentials,
      DeviceCode: ttl.deviceCode,
      IdToken: ttl.idToken,
      RefreshToken: ttl.refreshToken,
      Interaction: ttl.interaction,
      Session: ttl.session,
      Grant: ttl.grant,
    },
  };
}
