// The consent step: shows which application asks for what, in plain words, and records the user's
// answer as a Grant (allow) or ends the request with access_denied for the application (deny).
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { renderPage } from '../http/render.js';
import type { AuditLog } from '../audit/audit-log.js';
import { requestOrigin } from '../audit/request-context.js';
import { describeScope } from '../oidc/scopes.js';
import { assertCsrf, csrfToken } from './csrf.js';
import { PageError, sessionExpired } from './errors.js';
import { readForm } from './form-body.js';
import { describeInteraction, loadInteraction, type Interaction } from './interaction.js';

export interface ConsentDeps {
  provider: Provider;
  csrfKey: string;
  audit: AuditLog;
}

export interface ScopeLine {
  scope: string;
  description: string;
}

/** Every scope the application asked for, in request order, each once. */
export function requestedScopes(interaction: Interaction): ScopeLine[] {
  const raw = interaction.params.scope;
  const scopes = typeof raw === 'string' ? new Set(raw.split(' ').filter(Boolean)) : new Set<string>();
  return [...scopes].map((scope) => ({ scope, description: describeScope(scope) }));
}

export async function showConsent(deps: ConsentDeps, ctx: Context, interaction: Interaction): Promise<void> {
  const { clientName, userCode } = await describeInteraction(deps.provider, interaction);
  await renderPage(ctx, 'consent', {
    title: `Allow ${clientName}?`,
    uid: interaction.uid,
    csrf: csrfToken(deps.csrfKey, interaction.uid),
    clientName,
    userCode,
    scopes: requestedScopes(interaction),
  });
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item: unknown) => typeof item === 'string');
}

/** Adds what the consent prompt found missing to the interaction's grant (or a new one) and saves it. */
async function grantMissing(provider: Provider, interaction: Interaction): Promise<string> {
  const accountId = interaction.session?.accountId;
  const clientId = interaction.params.client_id;
  if (!accountId || typeof clientId !== 'string') throw sessionExpired();

  const existing = interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined;
  const grant = existing ?? new provider.Grant({ accountId, clientId });

  const { details } = interaction.prompt;
  if (isStringList(details.missingOIDCScope)) grant.addOIDCScope(details.missingOIDCScope.join(' '));
  if (isStringList(details.missingOIDCClaims)) grant.addOIDCClaims(details.missingOIDCClaims);
  const resourceScopes: unknown = details.missingResourceScopes;
  if (resourceScopes && typeof resourceScopes === 'object') {
    for (const [indicator, scopes] of Object.entries(resourceScopes)) {
      if (isStringList(scopes)) grant.addResourceScope(indicator, scopes.join(' '));
    }
  }
  return grant.save();
}

export async function submitConsent(deps: ConsentDeps, ctx: Context, uid: string): Promise<void> {
  const form = await readForm(ctx);
  assertCsrf(deps.csrfKey, uid, form.get('csrf'));
  const decision = form.get('decision');
  if (decision !== 'allow' && decision !== 'deny') {
    throw new PageError(400, 'invalid_request', 'Choose Allow or Deny.');
  }
  const interaction = await loadInteraction(deps.provider, ctx, uid);
  if (interaction.prompt.name !== 'consent') {
    // A form resubmitted after this step was done (back button): show whatever step is current.
    ctx.status = 303;
    ctx.redirect(`/interaction/${uid}`);
    return;
  }

  const clientId = typeof interaction.params.client_id === 'string' ? interaction.params.client_id : undefined;
  const scope = typeof interaction.params.scope === 'string' ? interaction.params.scope : '';
  await deps.audit.record({
    type: decision === 'deny' ? 'consent.denied' : 'consent.granted',
    clientId,
    accountId: interaction.session?.accountId,
    ...requestOrigin(ctx),
    detail: { scope },
  });
  if (decision === 'deny') {
    await deps.provider.interactionFinished(ctx.req, ctx.res, {
      error: 'access_denied',
      error_description: 'End-User denied the authorization request',
    }, { mergeWithLastSubmission: false });
  } else {
    const grantId = await grantMissing(deps.provider, interaction);
    await deps.provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
  ctx.respond = false;
}
