// Types for oidc-provider's server challenge (the DPoP nonce scheme): the check issues and accepts
// the same nonces as the token endpoint, so a client needs one nonce, not one per endpoint.
declare module 'oidc-provider/lib/helpers/challenge.js' {
  export const CHALLENGE_OK_WINDOW: number;
  export default class ServerChallenge {
    constructor(secret: Buffer, info: string);
    nextChallenge(): string;
    checkChallenge(challenge: string): boolean;
  }
}
