// Signed requests (RFC 9421) through Debian's nginx with auth_request, which sends the check the
// original headers but never the body.
import { signedRequestScenarios } from '../support/signed-request-scenarios.js';
import { startNginx } from '../support/gateways.js';

signedRequestScenarios('nginx', startNginx);
