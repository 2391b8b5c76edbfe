// Loads the interaction a request belongs to and the facts every page needs about it, checking that
// the uid in the address is the one oidc-provider's interaction cookie points at.
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { PageError, sessionExpired } from './errors.js';

export type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

export interface InteractionView {
  interaction: Interaction;
  clientName: string;
  /** The code shown on the user's device when this interaction continues a device flow. */
  userCode: string | undefined;
}

const UID = /^[A-Za-z0-9_-]{1,64}$/;

/** The :uid route parameter, refused early when it cannot be an interaction id. */
export function uidParam(ctx: Context & { params: Record<string, string> }): string {
  const uid = ctx.params.uid;
  if (!uid || !UID.test(uid)) throw sessionExpired();
  return uid;
}

export async function loadInteraction(provider: Provider, ctx: Context, uid: string): Promise<Interaction> {
  const interaction = await provider.interactionDetails(ctx.req, ctx.res);
  if (interaction.uid !== uid) throw sessionExpired();
  return interaction;
}

/** Stored user codes are normalised ("BCDFGHJK"); show them grouped as the device does ("BCDF-GHJK"). */
function displayUserCode(normalised: string): string {
  return normalised.match(/.{1,4}/g)?.join('-') ?? normalised;
}

async function deviceUserCode(provider: Provider, interaction: Interaction): Promise<string | undefined> {
  if (!interaction.deviceCode) return undefined;
  const code = await provider.DeviceCode.find(interaction.deviceCode, { ignoreExpiration: true });
  return code?.userCode ? displayUserCode(code.userCode) : undefined;
}

export async function describeInteraction(provider: Provider, interaction: Interaction): Promise<InteractionView> {
  const clientId = interaction.params.client_id;
  const client = typeof clientId === 'string' ? await provider.Client.find(clientId) : undefined;
  if (!client) {
    throw new PageError(400, 'invalid_client', 'The application that sent you here is not known. Go back to the application and try again.');
  }
  return {
    interaction,
    clientName: client.clientName || client.clientId,
    userCode: await deviceUserCode(provider, interaction),
  };
}
