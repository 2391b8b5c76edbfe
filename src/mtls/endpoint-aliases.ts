// RFC 8705 §5: where the endpoints a client reaches with its certificate live on another host
// (one whose proxy asks for client certificates, while the issuer's host serves browsers without
// asking), discovery names them there. The same Gatehouse answers on both hosts; the paths are
// oidc-provider's default routes.
const MTLS_ROUTES = {
  token_endpoint: '/token',
  revocation_endpoint: '/token/revocation',
  introspection_endpoint: '/token/introspection',
  pushed_authorization_request_endpoint: '/request',
  device_authorization_endpoint: '/device/auth',
  userinfo_endpoint: '/me',
} as const;

export function mtlsEndpointAliases(baseUrl: string): Record<keyof typeof MTLS_ROUTES, string> {
  return Object.fromEntries(Object.entries(MTLS_ROUTES).map(([name, path]) => [name, baseUrl + path])) as Record<keyof typeof MTLS_ROUTES, string>;
}
