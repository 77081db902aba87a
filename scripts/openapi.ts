import { writeFileSync } from 'node:fs';
import { openApiDocument } from '../lib/api/openapi';
import { routes } from '../lib/api/routes';

/** `npm run openapi`: regenerates openapi/ticket-api.json from the route table (a test checks it is current). */
export const openApiPath = 'openapi/ticket-api.json';
export const renderOpenApi = () => `${JSON.stringify(openApiDocument(routes), null, 2)}\n`;

if (require.main === module) {
  writeFileSync(openApiPath, renderOpenApi());
  console.log(`wrote ${openApiPath} (${routes.length} operations)`);
}
