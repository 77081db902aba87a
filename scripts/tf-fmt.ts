import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatHcl } from './lib/hcl-format';

/**
 * `npm run tf:fmt`: lays out terraform/*.tf and the tfvars example as `terraform fmt` would.
 * `-- --check` lists the files that differ and fails instead (test/terraform runs the same check).
 */
export const terraformDir = 'terraform';
export const hclFiles = () =>
  readdirSync(terraformDir)
    .filter((name) => name.endsWith('.tf') || name.endsWith('.tfvars.example'))
    .sort()
    .map((name) => join(terraformDir, name));

if (require.main === module) {
  const check = process.argv.includes('--check');
  const differing = hclFiles().filter((file) => {
    const text = readFileSync(file, 'utf8');
    const formatted = formatHcl(text);
    if (formatted === text) return false;
    if (!check) writeFileSync(file, formatted);
    return true;
  });
  for (const file of differing) console.log(`${check ? 'not formatted' : 'formatted'}: ${file}`);
  if (check && differing.length > 0) process.exit(1);
}
