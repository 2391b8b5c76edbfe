// Turns oidc-provider's events into log lines and metrics: tokens issued, OAuth errors per
// endpoint, refresh-token reuse, revoked grants and server errors. Listeners only read the event;
// other subscribers (such as an audit trail) attach to the same provider independently.
import type { EventEmitter } from 'node:events';
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from '../logging/logger.js';
import type { Metrics } from '../metrics/metrics.js';

/** Events oidc-provider emits as `(ctx, error)` for a handled error, mapped to the endpoint name. */
const ERROR_EVENTS = {
  'authorization.error': 'authorization',
  'grant.error': 'token',
  'introspection.error': 'introspection',
  'revocation.error': 'revocation',
  'userinfo.error': 'userinfo',
  'device_authorization.error': 'device_authorization',
  'code_verification.error': 'code_verification',
  'device_resume.error': 'device_resume',
  'end_session.error': 'end_session',
  'end_session_confirm.error': 'end_session_confirm',
  'end_session_success.error': 'end_session_success',
  'discovery.error': 'discovery',
  'jwks.error': 'jwks',
  'pushed_authorization_request.error': 'pushed_authorization_request',
} as const;

const REFRESH_TOKEN_REUSED = 'refresh token already used';

/** Answers a polling device gets every few seconds by design: counted, but logged only at debug. */
const ROUTINE_ERRORS: ReadonlySet<string> = new Set(['authorization_pending', 'slow_down']);

interface OAuthErrorLike {
  error?: string;
  error_description?: string;
  error_detail?: string;
  status?: number;
}

const clientIdOf = (ctx: KoaContextWithOIDC | undefined) => ctx?.oidc?.client?.clientId;

export function observeProviderEvents(provider: Provider, log: Logger, metrics: Metrics): void {
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const grantType = String(ctx.oidc.params?.grant_type ?? 'unknown');
    const clientId = clientIdOf(ctx) ?? 'unknown';
    metrics.tokensIssued.inc({ grant_type: grantType, client_id: clientId });
    log.debug({ event: 'grant.success', grantType, clientId }, 'tokens issued');
  });

  // The typings list each event separately; these share one listener shape, so subscribe untyped.
  const emitter = provider as unknown as EventEmitter;
  for (const [event, endpoint] of Object.entries(ERROR_EVENTS)) {
    emitter.on(event, (ctx: KoaContextWithOIDC | undefined, error: OAuthErrorLike) => {
      const code = error?.error ?? 'server_error';
      metrics.oauthErrors.inc({ endpoint, error: code });
      const reused = event === 'grant.error' && code === 'invalid_grant' && error.error_detail === REFRESH_TOKEN_REUSED;
      if (reused) {
        metrics.refreshTokenReuse.inc();
        log.warn({ event, endpoint, error: code, clientId: clientIdOf(ctx) }, 'refresh token reuse detected: grant revoked');
        return;
      }
      const fields = { event, endpoint, error: code, description: error?.error_description, clientId: clientIdOf(ctx) };
      if (ROUTINE_ERRORS.has(code)) log.debug(fields, 'oauth error');
      else log.info(fields, 'oauth error');
    });
  }

  provider.on('server_error', (ctx: KoaContextWithOIDC | undefined, error: Error) => {
    metrics.oauthErrors.inc({ endpoint: ctx?.oidc?.route ?? 'unknown', error: 'server_error' });
    log.error({ event: 'server_error', route: ctx?.oidc?.route, err: error }, 'oidc-provider server_error');
  });

  provider.on('grant.revoked', (ctx: KoaContextWithOIDC | undefined, grantId: string) => {
    log.info({ event: 'grant.revoked', grantId, clientId: clientIdOf(ctx) }, 'grant revoked');
  });

  provider.on('authorization.success', (ctx: KoaContextWithOIDC) => {
    log.debug({ event: 'authorization.success', clientId: clientIdOf(ctx) }, 'authorization granted');
  });

  provider.on('end_session.success', (ctx: KoaContextWithOIDC) => {
    log.debug({ event: 'end_session.success', clientId: clientIdOf(ctx) }, 'session ended');
  });
}
