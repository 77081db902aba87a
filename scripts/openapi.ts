import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatewaySpecTemplate } from '../lib/api/gateway-spec';
import { openApiDocument } from '../lib/api/openapi';
import { routes } from '../lib/api/routes';

/**
 * `npm run openapi`: regenerates openapi/ticket-api.json from the route table, the mini app's
 * TypeScript types from it (openapi/ticket-api.d.ts, by openapi-typescript, for openapi-fetch) and
 * the API Gateway's spec template for Terraform (tests check all three are current).
 */
export const openApiPath = 'openapi/ticket-api.json';
export const typesPath = 'openapi/ticket-api.d.ts';
export const gatewayTemplatePath = 'terraform/templates/api-gateway.json.tftpl';
/** Routes that answer HTML (the dashboard): in the gateway's spec, not in the OpenAPI document. */
const pageRoutes = routes.filter((route) => route.page);
export const renderOpenApi = () => `${JSON.stringify(openApiDocument(routes), null, 2)}\n`;
export const renderGatewayTemplate = () =>
  `${JSON.stringify(gatewaySpecTemplate(openApiDocument(routes), pageRoutes), null, 2)}\n`;

/**
 * openapi-typescript's types for the document. Its CLI in a child process: the package is ESM only,
 * which jest (CommonJS) cannot load, and the freshness test renders the types too.
 */
export function renderTypes(document = renderOpenApi()): string {
  const directory = mkdtempSync(join(tmpdir(), 'openapi-'));
  try {
    const input = join(directory, 'ticket-api.json');
    writeFileSync(input, document);
    const cli = join(__dirname, '../node_modules/openapi-typescript/bin/cli.js');
    return execFileSync(process.execPath, [cli, input], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

function main(): void {
  writeFileSync(openApiPath, renderOpenApi());
  writeFileSync(typesPath, renderTypes());
  writeFileSync(gatewayTemplatePath, renderGatewayTemplate());
  console.log(
    `wrote ${openApiPath} (${routes.length - pageRoutes.length} operations), ${typesPath} and ${gatewayTemplatePath} (and ${pageRoutes.length} pages)`,
  );
}

if (require.main === module) main();
