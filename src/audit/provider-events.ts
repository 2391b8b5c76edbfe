// Feeds oidc-provider's events into the audit trail and the usage meter. Kept apart from any other
// listener (logs, metrics) so each concern subscribes on its own.
import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { AuditLog } from './audit-log.js';
import { requestOrigin } from './request-context.js';
import type { UsageMeter } from '../usage/usage-meter.js';

const REFRESH_TOKEN_REUSED = 'refresh token already used';

export function wireProviderEvents(provider: Provider, audit: AuditLog, usage: UsageMeter): void {
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const clientId = ctx.oidc.client?.clientId;
    const grantType = ctx.oidc.params?.grant_type;
    if (clientId && typeof grantType === 'string') usage.count(clientId, grantType);
  });

  provider.on('grant.error', (ctx: KoaContextWithOIDC, error: { error_detail?: string }) => {
    if (error.error_detail !== REFRESH_TOKEN_REUSED) return;
    void audit.record({
      type: 'refresh_token.reuse',
      clientId: ctx.oidc.client?.clientId,
      accountId: ctx.oidc.account?.accountId,
      ...requestOrigin(ctx),
    });
  });

  provider.on('grant.revoked', (ctx: KoaContextWithOIDC, grantId: string) => {
    void audit.record({
      type: 'grant.revoked',
      clientId: ctx.oidc.client?.clientId,
      accountId: ctx.oidc.account?.accountId ?? ctx.oidc.session?.accountId,
      ...requestOrigin(ctx),
      detail: { grant_id: grantId, route: String(ctx.oidc.route) },
    });
  });
}
