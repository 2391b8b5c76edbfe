// Signed requests (RFC 9421) through Caddy with forward_auth, which sends the check the original
// headers but never the body.
import { signedRequestScenarios } from '../support/signed-request-scenarios.js';
import { startCaddy } from '../support/gateways.js';

signedRequestScenarios('caddy', startCaddy);
