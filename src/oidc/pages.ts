// The pages oidc-provider renders itself (errors, device flow, logout), drawn with our EJS views so
// they match the sign-in pages, carry no inline script and never show internal error details.
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { renderPage } from '../http/render.js';

type DeviceFlow = NonNullable<NonNullable<Configuration['features']>['deviceFlow']>;
type Logout = NonNullable<NonNullable<Configuration['features']>['rpInitiatedLogout']>;

/** The per-request secret oidc-provider checks on device and logout form posts. */
function xsrfOf(ctx: KoaContextWithOIDC): string {
  const state = ctx.oidc.session?.state as { secret?: string } | undefined;
  return state?.secret ?? '';
}

function clientName(client: { clientName?: string; clientId: string } | undefined): string | undefined {
  return client ? client.clientName || client.clientId : undefined;
}

export const renderError: NonNullable<Configuration['renderError']> = async (ctx, out) => {
  await renderPage(ctx, 'error', {
    title: 'Something went wrong',
    error: out.error,
    description: out.error_description ?? 'The request could not be completed.',
  }, ctx.status >= 400 ? ctx.status : 400);
};

export const userCodeInputSource: NonNullable<DeviceFlow['userCodeInputSource']> = async (ctx, _form, _out, err) => {
  let errorMessage: string | undefined;
  if (err && ('userCode' in err || err.name === 'NoCodeError')) {
    errorMessage = 'That code is not valid. Check the code on your device and try again.';
  } else if (err?.name === 'AbortedError') {
    errorMessage = 'The request was cancelled. Your device was not connected.';
  } else if (err) {
    errorMessage = 'The request could not be completed. Start again on your device.';
  }
  const prefill = (ctx.state as { prefilledUserCode?: string }).prefilledUserCode;
  await renderPage(ctx, 'device-code', {
    title: 'Connect a device',
    action: ctx.oidc.urlFor('code_verification'),
    xsrf: xsrfOf(ctx),
    userCode: prefill ?? '',
    errorMessage,
  }, err ? 400 : 200);
};

export const userCodeConfirmSource: NonNullable<DeviceFlow['userCodeConfirmSource']> = async (ctx, _form, client, _info, userCode) => {
  await renderPage(ctx, 'device-confirm', {
    title: 'Confirm your device',
    action: ctx.oidc.urlFor('code_verification'),
    xsrf: xsrfOf(ctx),
    userCode,
    clientName: clientName(client),
  });
};

export const deviceSuccessSource: NonNullable<DeviceFlow['successSource']> = async (ctx) => {
  await renderPage(ctx, 'device-done', {
    title: 'Device connected',
    clientName: clientName(ctx.oidc.client),
  });
};

export const logoutSource: NonNullable<Logout['logoutSource']> = async (ctx) => {
  await renderPage(ctx, 'logout', {
    title: 'Sign out',
    action: ctx.oidc.urlFor('end_session_confirm'),
    xsrf: xsrfOf(ctx),
    clientName: clientName(ctx.oidc.client),
  });
};

export const postLogoutSuccessSource: NonNullable<Logout['postLogoutSuccessSource']> = async (ctx) => {
  await renderPage(ctx, 'logout-done', {
    title: 'Signed out',
    clientName: clientName(ctx.oidc.client),
  });
};
