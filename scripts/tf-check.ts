import { checkTerraform, parseTerraform, readRepoFacts, readTerraformFiles } from './lib/terraform-checks';

/** `npm run tf:check`: the consistency checks of test/terraform, for ops before `terraform apply`. */
async function main(): Promise<void> {
  const problems = checkTerraform(await parseTerraform(readTerraformFiles()), await readRepoFacts());
  for (const problem of problems) console.log(`✗ ${problem}`);
  if (problems.length > 0) process.exit(1);
  console.log(
    'terraform/ matches the code: functions, environment, queues, triggers, gateway, roles, secrets, variables, format',
  );
}

void main();
