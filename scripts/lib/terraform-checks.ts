import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { CALLBACK_PATH, functionIdVariable, SERVICE_ACCOUNT_VARIABLE } from '../../lib/api/gateway-spec';
import { configVariables, functionConfigSections, secretVariables } from '../../lib/config/schema';
import { queueConsumers, queueNames } from '../../lib/queue/port';
import { formatHcl } from './hcl-format';

/**
 * Consistency checks of terraform/ against the code, without a Terraform binary: the HCL is parsed
 * by @cdktf/hcl2json (expressions stay strings like "${local.x}", literals stay JSON). Each check
 * returns problems in words; none means the configuration matches what the code needs.
 */

type Json = Record<string, unknown>;
export type TerraformFiles = Record<string, string>;

export interface Terraform {
  files: TerraformFiles;
  resources: Record<string, Record<string, Json>>;
  locals: Json;
  variables: Record<string, Json>;
  data: Record<string, Record<string, Json>>;
}

export interface RepoFacts {
  /** Functions the build produces (functions/<name>/index.ts). */
  functionNames: string[];
  /** `METHOD path` of every operation in openapi/ticket-api.json. */
  apiOperations: string[];
  /** The gateway spec template (terraform/templates/api-gateway.json.tftpl). */
  gatewayTemplate: string;
  /** The variables terraform.tfvars.example sets. */
  exampleVariables: string[];
}

export function readTerraformFiles(dir = 'terraform'): TerraformFiles {
  const files: TerraformFiles = {};
  for (const name of readdirSync(dir).sort()) {
    if (name.endsWith('.tf') || name.endsWith('.tfvars.example'))
      files[name] = readFileSync(join(dir, name), 'utf8');
  }
  return files;
}

export async function parseTerraform(files: TerraformFiles): Promise<Terraform> {
  const terraform: Terraform = { files, resources: {}, locals: {}, variables: {}, data: {} };
  for (const [name, text] of Object.entries(files)) {
    if (!name.endsWith('.tf')) continue;
    const parsed = (await parse(name, text)) as Json;
    for (const [type, named] of Object.entries((parsed.resource ?? {}) as Json)) {
      for (const [resourceName, bodies] of Object.entries(named as Json)) {
        terraform.resources[type] ??= {};
        (terraform.resources[type] as Record<string, Json>)[resourceName] = (bodies as Json[])[0] as Json;
      }
    }
    for (const [type, named] of Object.entries((parsed.data ?? {}) as Json)) {
      for (const [dataName, bodies] of Object.entries(named as Json)) {
        terraform.data[type] ??= {};
        (terraform.data[type] as Record<string, Json>)[dataName] = (bodies as Json[])[0] as Json;
      }
    }
    for (const block of (parsed.locals ?? []) as Json[]) Object.assign(terraform.locals, block);
    for (const [variable, bodies] of Object.entries((parsed.variable ?? {}) as Json)) {
      terraform.variables[variable] = (bodies as Json[])[0] as Json;
    }
  }
  return terraform;
}

export async function readRepoFacts(): Promise<RepoFacts> {
  const functionNames = readdirSync('functions', { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const openApi = JSON.parse(readFileSync('openapi/ticket-api.json', 'utf8')) as {
    paths: Record<string, Json>;
  };
  const apiOperations = Object.entries(openApi.paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
  );
  const example = (await parse(
    'example.tfvars',
    readFileSync('terraform/terraform.tfvars.example', 'utf8'),
  )) as Json;
  return {
    functionNames,
    apiOperations,
    gatewayTemplate: readFileSync('terraform/templates/api-gateway.json.tftpl', 'utf8'),
    exampleVariables: Object.keys(example).sort(),
  };
}

/** How hcl2json renders an expression: `hcl('local.x')` is the string "${local.x}". */
const hcl = (expression: string) => `\${${expression}}`;
const ZIP = `${hcl('path.module')}/../dist/${hcl('each.key')}.zip`;

const resource = (terraform: Terraform, type: string, name: string): Json | undefined =>
  terraform.resources[type]?.[name];
const block = (body: Json | undefined, name: string): Json | undefined =>
  ((body?.[name] as Json[] | undefined) ?? [])[0];
const keysOf = (value: unknown): string[] => (value && typeof value === 'object' ? Object.keys(value) : []);

/** Every function the build produces is deployed from its zip with index.handler on nodejs22. */
export function checkFunctions(terraform: Terraform, facts: RepoFacts): string[] {
  const problems: string[] = [];
  const declared = keysOf(terraform.locals.functions).sort();
  for (const name of facts.functionNames)
    if (!declared.includes(name)) problems.push(`function ${name} is built but not in local.functions`);
  for (const name of declared)
    if (!facts.functionNames.includes(name))
      problems.push(`local.functions lists ${name}, which the build does not produce`);
  const app = resource(terraform, 'yandex_function', 'app');
  if (!app) return [...problems, 'no yandex_function "app"'];
  if (app.for_each !== hcl('local.functions'))
    problems.push('yandex_function.app is not one per local.functions');
  if (app.runtime !== 'nodejs22')
    problems.push(`yandex_function.app runtime is ${String(app.runtime)}, not nodejs22`);
  if (app.entrypoint !== 'index.handler')
    problems.push('yandex_function.app entrypoint is not index.handler');
  if (block(app, 'content')?.zip_filename !== ZIP)
    problems.push(`yandex_function.app does not deploy ${ZIP}`);
  if (app.user_hash !== hcl(`filesha256("${ZIP}")`))
    problems.push("yandex_function.app's user_hash is not the zip's sha256");
  if (!app.service_account_id) problems.push('yandex_function.app has no service account');
  if (!block(app, 'log_options')?.log_group_id) problems.push('yandex_function.app has no log group');
  for (const [name, settings] of Object.entries((terraform.locals.functions ?? {}) as Record<string, Json>)) {
    const memory = Number(settings.memory);
    const timeout = Number(settings.timeout);
    if (!(memory >= 128 && memory % 128 === 0))
      problems.push(`${name}: memory ${memory} is not a multiple of 128 MB`);
    if (!(timeout >= 1 && timeout <= 600)) problems.push(`${name}: timeout ${timeout} is not 1-600 s`);
  }
  return problems;
}

/** Each function gets every required variable of the config sections it parses, secrets from Lockbox. */
export function checkEnvironment(terraform: Terraform): string[] {
  const problems: string[] = [];
  const sections = (terraform.locals.function_sections ?? {}) as Record<string, string[]>;
  for (const [name, expected] of Object.entries(functionConfigSections)) {
    if (JSON.stringify(sections[name]) !== JSON.stringify(expected))
      problems.push(
        `local.function_sections["${name}"] is not functionConfigSections: ${JSON.stringify(expected)}`,
      );
  }
  const plain = (terraform.locals.environment_by_section ?? {}) as Record<string, Json>;
  const secret = (terraform.locals.secrets_by_section ?? {}) as Record<string, string[]>;
  const app = resource(terraform, 'yandex_function', 'app');
  if (app?.environment !== hcl('local.function_environment[each.key]'))
    problems.push('yandex_function.app does not take its environment from local.function_environment');
  const environmentExpression = String(terraform.locals.function_environment ?? '');
  if (
    !/local\.function_sections/.test(environmentExpression) ||
    !/local\.environment_by_section/.test(environmentExpression)
  )
    problems.push(
      'local.function_environment is not built from function_sections and environment_by_section',
    );
  const secretsExpression = String(terraform.locals.function_secrets ?? '');
  if (
    !/local\.function_sections/.test(secretsExpression) ||
    !/local\.secrets_by_section/.test(secretsExpression)
  )
    problems.push('local.function_secrets is not built from function_sections and secrets_by_section');
  const dynamicSecrets = ((app?.dynamic as Json | undefined)?.secrets as Json[] | undefined)?.[0];
  if (dynamicSecrets?.for_each !== hcl('toset(local.function_secrets[each.key])'))
    problems.push('yandex_function.app does not deliver local.function_secrets from Lockbox');
  // The queue keys come from each function's own key, in two literal secrets blocks.
  const keyBlocks = ((app?.secrets as Json[] | undefined) ?? []).map((entry) =>
    String(entry.environment_variable),
  );
  const known = new Map(configVariables().map((entry) => [entry.variable, entry]));
  for (const [sectionName, values] of Object.entries(plain)) {
    for (const variable of Object.keys(values)) {
      const entry = known.get(variable);
      if (!entry)
        problems.push(
          `environment_by_section.${sectionName}.${variable} is not a variable of the config schema`,
        );
      else if (entry.section !== sectionName)
        problems.push(`${variable} belongs to section ${entry.section}, not ${sectionName}`);
      if ((secretVariables as readonly string[]).includes(variable))
        problems.push(`${variable} is a secret but is set as plain environment`);
    }
  }
  const inLockbox = Object.values(secret).flat();
  for (const variable of secretVariables) {
    const section = known.get(variable)?.section;
    if (section !== 'queue' && section !== 'storage' && !inLockbox.includes(variable))
      problems.push(`${variable} is a secret the functions read but secrets_by_section does not deliver it`);
  }
  for (const [name, functionSections] of Object.entries(functionConfigSections)) {
    const delivered = new Set<string>(keyBlocks);
    for (const section of functionSections) {
      for (const variable of Object.keys(plain[section] ?? {})) delivered.add(variable);
      for (const variable of secret[section] ?? []) delivered.add(variable);
    }
    for (const entry of configVariables()) {
      if (!(functionSections as readonly string[]).includes(entry.section)) continue;
      if (entry.required && !delivered.has(entry.variable))
        problems.push(
          `${name} reads ${entry.variable} (required, section ${entry.section}) but Terraform does not set it`,
        );
    }
  }
  return problems;
}

/** Every queue has a DLQ through redrive_policy, and its consumer a trigger on the queue's ARN. */
export function checkQueues(terraform: Terraform): string[] {
  const problems: string[] = [];
  const queues = (terraform.locals.queues ?? {}) as Record<string, Json>;
  const functions = (terraform.locals.functions ?? {}) as Record<string, Json>;
  for (const name of queueNames) {
    const queue = queues[name];
    if (!queue) {
      problems.push(`queue ${name} (lib/queue/port.ts) is not in local.queues`);
      continue;
    }
    if (queue.consumer !== queueConsumers[name])
      problems.push(
        `queue ${name} is consumed by ${queueConsumers[name]}, but local.queues says ${String(queue.consumer)}`,
      );
    const batchSize = Number(queue.batch_size);
    const cutoff = Number(queue.batch_cutoff);
    if (!(batchSize >= 1 && batchSize <= 10)) problems.push(`queue ${name}: batch_size must be 1-10`);
    if (!(cutoff >= 0 && cutoff <= 20)) problems.push(`queue ${name}: batch_cutoff must be 0-20 s`);
    const consumerTimeout = Number(functions[String(queue.consumer)]?.timeout);
    if (!(Number(queue.visibility_timeout) > consumerTimeout))
      problems.push(
        `queue ${name}: visibility timeout must outlast ${String(queue.consumer)}'s ${consumerTimeout} s`,
      );
  }
  const work = resource(terraform, 'yandex_message_queue', 'work');
  const deadLetter = resource(terraform, 'yandex_message_queue', 'dead_letter');
  if (work?.for_each !== hcl('local.queues'))
    problems.push('yandex_message_queue.work is not one per local.queues');
  if (deadLetter?.for_each !== hcl('local.queues'))
    problems.push(
      'yandex_message_queue.dead_letter is not one per local.queues: a queue has no dead-letter queue',
    );
  const redrive = String(work?.redrive_policy ?? '');
  if (!redrive.includes('deadLetterTargetArn = yandex_message_queue.dead_letter[each.key].arn'))
    problems.push("yandex_message_queue.work's redrive_policy does not point at its dead-letter queue");
  if (!redrive.includes('maxReceiveCount'))
    problems.push("yandex_message_queue.work's redrive_policy has no maxReceiveCount");
  const trigger = resource(terraform, 'yandex_function_trigger', 'queue');
  const source = block(trigger, 'message_queue');
  const target = block(trigger, 'function');
  if (trigger?.for_each !== hcl('local.queues'))
    problems.push('yandex_function_trigger.queue is not one per local.queues');
  if (source?.queue_id !== hcl('yandex_message_queue.work[each.key].arn'))
    problems.push("the queue triggers do not read the queues' ARNs");
  if (!source?.batch_cutoff) problems.push('the queue triggers have no batch_cutoff');
  if (!source?.service_account_id || !target?.service_account_id)
    problems.push('the queue triggers have no service account to read and invoke with');
  if (target?.id !== hcl('yandex_function.app[each.value.consumer].id'))
    problems.push("the queue triggers do not invoke each queue's consumer");
  return problems;
}

/** The timers invoke the function that handles them. */
export function checkTimers(terraform: Terraform): string[] {
  const expected = {
    dispatcher_timer: ['notify-dispatcher', 'dispatcher_cron'],
    rescue_timer: ['csat-followup', 'rescue_cron'],
  };
  const problems: string[] = [];
  for (const [name, [functionName, cronVariable]] of Object.entries(expected)) {
    const timer = resource(terraform, 'yandex_function_trigger', name);
    if (!timer) {
      problems.push(`no timer ${name} for ${functionName}`);
      continue;
    }
    if (block(timer, 'timer')?.cron_expression !== `\${var.${cronVariable}}`)
      problems.push(`timer ${name} does not fire on var.${cronVariable}`);
    if (block(timer, 'function')?.id !== `\${yandex_function.app["${functionName}"].id}`)
      problems.push(`timer ${name} does not invoke ${functionName}`);
    if (!block(timer, 'function')?.service_account_id) problems.push(`timer ${name} has no service account`);
  }
  return problems;
}

/** Every API operation and the VK callback reach an existing function through the gateway. */
export function checkGateway(terraform: Terraform, facts: RepoFacts): string[] {
  const problems: string[] = [];
  if (/%\{/.test(facts.gatewayTemplate)) problems.push('the gateway template holds a %{ directive');
  const spec = JSON.parse(facts.gatewayTemplate) as { paths: Record<string, Record<string, Json>> };
  const variableOf = new Map(facts.functionNames.map((name) => [`\${${functionIdVariable(name)}}`, name]));
  const routed = new Map<string, string>();
  for (const [path, operations] of Object.entries(spec.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const integration = operation['x-yc-apigateway-integration'] as Json | undefined;
      const target = variableOf.get(String(integration?.function_id));
      if (integration?.type !== 'cloud_functions' || !target) {
        problems.push(`${method.toUpperCase()} ${path} is not routed to a function the build produces`);
        continue;
      }
      if (integration.service_account_id !== `\${${SERVICE_ACCOUNT_VARIABLE}}`)
        problems.push(`${method.toUpperCase()} ${path} is invoked without the gateway's service account`);
      routed.set(`${method.toUpperCase()} ${path}`, target);
    }
  }
  if (routed.get(`POST ${CALLBACK_PATH}`) !== 'vk-callback')
    problems.push(`POST ${CALLBACK_PATH} is not routed to vk-callback`);
  for (const operation of facts.apiOperations) {
    if (routed.get(operation) !== 'ticket-api') problems.push(`${operation} is not routed to ticket-api`);
    const preflight = `OPTIONS ${operation.split(' ')[1]}`;
    if (routed.get(preflight) !== 'ticket-api')
      problems.push(`${preflight} (CORS preflight) is not routed to ticket-api`);
  }
  const gateway = resource(terraform, 'yandex_api_gateway', 'main');
  const specExpression = String(gateway?.spec ?? '');
  if (!specExpression.includes('templates/api-gateway.json.tftpl'))
    problems.push('the gateway spec is not the generated template');
  if (!specExpression.includes(`${SERVICE_ACCOUNT_VARIABLE} = yandex_iam_service_account.gateway.id`))
    problems.push("the gateway template does not get the gateway's service account");
  if (
    !specExpression.includes('_function_id" => function.id') ||
    !specExpression.includes('yandex_function.app')
  )
    problems.push('the gateway template does not get every function id');
  const invokers = (terraform.locals.function_invokers ?? {}) as Record<string, string>;
  for (const target of new Set(routed.values()))
    if (invokers[target] !== hcl('yandex_iam_service_account.gateway.id'))
      problems.push(`the gateway may not invoke ${target} (local.function_invokers)`);
  const binding = resource(terraform, 'yandex_function_iam_binding', 'invoker');
  if (binding?.for_each !== hcl('local.function_invokers') || binding.role !== 'functions.functionInvoker')
    problems.push('local.function_invokers is not granted functions.functionInvoker');
  return problems;
}

/** Roles that are too broad wherever a narrower one exists, with the reason for each exception. */
export const allowedBroadRoles: Record<string, string> = {
  'ydb.editor': 'the functions read and write tables; YDB has no narrower role that writes data',
  'ymq.admin': 'creating queues takes it; only the queue manager has it, never a function',
};

export function checkRoles(terraform: Terraform): string[] {
  const problems: string[] = [];
  for (const [type, named] of Object.entries(terraform.resources)) {
    for (const [name, body] of Object.entries(named)) {
      const role = body.role;
      if (typeof role !== 'string') continue;
      if (/(^|\.)(admin|editor|owner)$/.test(role) && !allowedBroadRoles[role])
        problems.push(`${type}.${name} grants ${role}: use the narrowest role that works`);
    }
  }
  return problems;
}

/**
 * No secret value in the files: no literal in an attribute named like a secret, nothing shaped like
 * a token or key, and no Lockbox version written or read by Terraform (its values would sit in state).
 */
export function checkNoSecrets(terraform: Terraform): string[] {
  const problems: string[] = [];
  const shapes: Array<[RegExp, string]> = [
    [/vk1\.a\.[\w-]{20,}/, 'a VK access token'],
    [/\bYC[A-Z][A-Za-z0-9_-]{18,}/, 'a Yandex Cloud key'],
    [/\by0_[\w-]{20,}/, 'a Yandex OAuth token'],
    [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a private key'],
  ];
  // An attribute named like a secret, given a literal (entry names and ids are not secrets).
  const namedSecret = /^\s*([\w-]*(secret|token|password|private_key|secret_key))\s*=\s*"[^"$]+"/gim;
  for (const [file, text] of Object.entries(terraform.files)) {
    for (const [pattern, what] of shapes) if (pattern.test(text)) problems.push(`${file} holds ${what}`);
    for (const match of text.matchAll(namedSecret)) {
      if (match[1]?.startsWith('entry_for_')) continue;
      problems.push(`${file} sets ${match[1]} to a literal`);
    }
    // A long literal of letters and digits mixed, as tokens and keys are (names and ids are not).
    for (const match of text.matchAll(/"([A-Za-z0-9+/_.=-]{32,})"/g)) {
      const literal = match[1] as string;
      if (/[0-9]/.test(literal) && /[a-z]/.test(literal) && /[A-Z]/.test(literal))
        problems.push(`${file} holds a long opaque literal (${literal.slice(0, 6)}…)`);
    }
  }
  for (const type of ['yandex_lockbox_secret_version', 'yandex_lockbox_secret_version_hashed']) {
    if (terraform.resources[type]) problems.push(`${type} puts secret values into Terraform's state`);
    if (terraform.data[type]) problems.push(`data ${type} reads secret values into Terraform's state`);
  }
  for (const key of Object.values(terraform.resources.yandex_iam_service_account_static_access_key ?? {}))
    if (!block(key, 'output_to_lockbox'))
      problems.push('a static access key is not written to Lockbox (its secret would be in state)');
  return problems;
}

/** Variables are typed, described, used, and all listed in terraform.tfvars.example. */
export function checkVariables(terraform: Terraform, facts: RepoFacts): string[] {
  const problems: string[] = [];
  const declared = Object.keys(terraform.variables).sort();
  for (const [name, body] of Object.entries(terraform.variables)) {
    if (!body.description) problems.push(`variable ${name} has no description`);
    if (!body.type) problems.push(`variable ${name} has no type`);
  }
  const code = Object.entries(terraform.files)
    .filter(([file]) => file.endsWith('.tf'))
    .map(([, text]) => text)
    .join('\n');
  const referenced = new Set([...code.matchAll(/\bvar\.(\w+)/g)].map((match) => match[1] as string));
  for (const name of referenced)
    if (!declared.includes(name)) problems.push(`var.${name} is used but not declared`);
  for (const name of declared)
    if (!referenced.has(name)) problems.push(`variable ${name} is declared but never used`);
  for (const name of declared)
    if (!facts.exampleVariables.includes(name))
      problems.push(`terraform.tfvars.example does not list ${name}`);
  for (const name of facts.exampleVariables)
    if (!declared.includes(name))
      problems.push(`terraform.tfvars.example sets ${name}, which is not a variable`);
  return problems;
}

export function checkFormatting(terraform: Terraform): string[] {
  return Object.entries(terraform.files)
    .filter(([, text]) => formatHcl(text) !== text)
    .map(([file]) => `${file} is not formatted (npm run tf:fmt)`);
}

export function checkTerraform(terraform: Terraform, facts: RepoFacts): string[] {
  return [
    ...checkFunctions(terraform, facts),
    ...checkEnvironment(terraform),
    ...checkQueues(terraform),
    ...checkTimers(terraform),
    ...checkGateway(terraform, facts),
    ...checkRoles(terraform),
    ...checkNoSecrets(terraform),
    ...checkVariables(terraform, facts),
    ...checkFormatting(terraform),
  ];
}
