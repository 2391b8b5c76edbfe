// Why a signed request was refused: a reason code for metrics and the audit trail, and a
// description for the caller that names what is wrong and never a secret.
export class SignatureError extends Error {
  override name = 'SignatureError';

  constructor(readonly reason: string, readonly description: string) {
    super(description);
  }
}

export function signatureError(reason: string, description: string): never {
  throw new SignatureError(reason, description);
}
