// Caddy with forward_auth in front of an API, asking Gatehouse's /api/authz/forward-auth.
import { gatewayScenarios } from '../support/gateway-scenarios.js';
import { startCaddy } from '../support/gateways.js';

gatewayScenarios('Caddy', startCaddy);
