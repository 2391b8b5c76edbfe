// Debian's nginx with auth_request in front of an API, asking Gatehouse's /api/authz/auth-request.
import { gatewayScenarios } from '../support/gateway-scenarios.js';
import { startNginx } from '../support/gateways.js';

gatewayScenarios('nginx', startNginx);
