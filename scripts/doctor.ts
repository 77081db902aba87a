import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Session } from '@yandex-cloud/nodejs-sdk';
import { apigateway, apigatewayService } from '@yandex-cloud/nodejs-sdk/serverless-apigateway-v1';
import { functionService, function as functions } from '@yandex-cloud/nodejs-sdk/serverless-functions-v1';
import { trigger, triggerService } from '@yandex-cloud/nodejs-sdk/serverless-triggers-v1';
import { AccessTokenCredentialsProvider } from '@ydbjs/auth/access-token';
import { YandexMessageQueue } from '../lib/queue/message-queue';
import { queueNames } from '../lib/queue/port';
import { YdbStore } from '../lib/storage/ydb/store';
import {
  type CloudInventory,
  checkDeadLetters,
  checkInventory,
  checkLastDispatch,
  type DoctorTargets,
  type Finding,
  probeGateway,
} from './lib/doctor-checks';

/**
 * `npm run doctor`: checks a deployed stack — functions, triggers and the gateway ACTIVE (Yandex
 * Cloud API), the gateway answering through both functions, the dead-letter queues empty, the
 * dispatcher's last run finished. Reads `terraform -chdir=terraform output -json` (or `--outputs
 * <file>`), YC_TOKEN (`yc iam create-token`) and the queue manager's key in
 * YC_MESSAGE_QUEUE_ACCESS_KEY / YC_MESSAGE_QUEUE_SECRET_KEY. Exits 1 if anything is wrong.
 * The SDK stays in this script: it is 10.8 MB and never reaches a function bundle.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { outputs: { type: 'string' } } });
  const outputs = JSON.parse(
    values.outputs
      ? readFileSync(values.outputs, 'utf8')
      : execFileSync('terraform', ['-chdir=terraform', 'output', '-json'], { encoding: 'utf8' }),
  ) as Record<string, { value: unknown }>;
  const targets = outputs.doctor?.value as DoctorTargets;
  const queueUrls = outputs.queue_urls?.value as Record<string, string>;
  const ydbConnectionString = String(outputs.ydb_connection_string?.value ?? '');
  const iamToken = required('YC_TOKEN');

  const session = new Session({ iamToken });
  const functionClient = session.client(functionService.FunctionServiceClient);
  const triggerClient = session.client(triggerService.TriggerServiceClient);
  const gatewayClient = session.client(apigatewayService.ApiGatewayServiceClient);
  const cloud: CloudInventory = {
    functionStatus: async (functionId) =>
      functions.Function_Status[(await functionClient.get({ functionId })).status] ?? 'UNKNOWN',
    triggerStatus: async (triggerId) =>
      trigger.Trigger_Status[(await triggerClient.get({ triggerId })).status] ?? 'UNKNOWN',
    gatewayStatus: async (apiGatewayId) =>
      apigateway.ApiGateway_Status[(await gatewayClient.get({ apiGatewayId })).status] ?? 'UNKNOWN',
  };

  const queue = new YandexMessageQueue({
    endpoint: 'https://message-queue.api.cloud.yandex.net',
    region: 'ru-central1',
    accessKeyId: required('YC_MESSAGE_QUEUE_ACCESS_KEY'),
    secretAccessKey: required('YC_MESSAGE_QUEUE_SECRET_KEY'),
    queueUrls,
  });
  const store = new YdbStore({
    connectionString: ydbConnectionString,
    credentialsProvider: new AccessTokenCredentialsProvider({ token: iamToken }),
    timeoutMs: 30_000,
  });
  const findings: Finding[] = [];
  try {
    findings.push(...(await checkInventory(cloud, targets)));
    findings.push(...(await probeGateway(targets.gateway_url)));
    findings.push(...(await checkDeadLetters(queue, queueNames)));
    findings.push(await checkLastDispatch(store, Date.now()));
  } finally {
    await store.close();
  }
  for (const finding of findings)
    console.log(`${finding.ok ? '✓' : '✗'} ${finding.check.padEnd(32)} ${finding.detail}`);
  const failed = findings.filter((finding) => !finding.ok).length;
  console.log(failed === 0 ? '\nall good' : `\n${failed} problem(s)`);
  if (failed > 0) process.exit(1);
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`set ${name} (README, "Deploy")`);
  return value;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
