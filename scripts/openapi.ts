import { writeFileSync } from 'node:fs';
import { gatewaySpecTemplate } from '../lib/api/gateway-spec';
import { openApiDocument } from '../lib/api/openapi';
import { routes } from '../lib/api/routes';

/**
 * `npm run openapi`: regenerates openapi/ticket-api.json from the route table and, from it, the API
 * Gateway's spec template for Terraform (tests check both are current).
 */
export const openApiPath = 'openapi/ticket-api.json';
export const gatewayTemplatePath = 'terraform/templates/api-gateway.json.tftpl';
export const renderOpenApi = () => `${JSON.stringify(openApiDocument(routes), null, 2)}\n`;
export const renderGatewayTemplate = () =>
  `${JSON.stringify(gatewaySpecTemplate(openApiDocument(routes)), null, 2)}\n`;

if (require.main === module) {
  writeFileSync(openApiPath, renderOpenApi());
  writeFileSync(gatewayTemplatePath, renderGatewayTemplate());
  console.log(`wrote ${openApiPath} (${routes.length} operations) and ${gatewayTemplatePath}`);
}
