import { readFileSync } from 'node:fs';
import {
  checkEnvironment,
  checkFormatting,
  checkFunctions,
  checkGateway,
  checkNoSecrets,
  checkQueues,
  checkRoles,
  checkTerraform,
  checkTimers,
  checkVariables,
  parseTerraform,
  type RepoFacts,
  readRepoFacts,
  readTerraformFiles,
  type Terraform,
  type TerraformFiles,
} from '../../scripts/lib/terraform-checks';
import { gatewayTemplatePath, renderGatewayTemplate } from '../../scripts/openapi';

/** The zip path as it stands in functions.tf (an HCL template, hence the `$` kept apart). */
const DIST_ZIP = ['$', '{path.module}/../dist/', '$', '{each.key}.zip'].join('');

/**
 * terraform/ against the code, without a Terraform binary. The configuration as committed passes
 * every check; each check is then shown to fail when the piece it guards is taken out, so none of
 * them can pass vacuously.
 */
describe('terraform/', () => {
  let files: TerraformFiles;
  let facts: RepoFacts;
  let terraform: Terraform;

  beforeAll(async () => {
    files = readTerraformFiles();
    facts = await readRepoFacts();
    terraform = await parseTerraform(files);
  });

  /** The configuration with `from` replaced by `to` in one file (which must contain `from`). */
  const changed = async (file: string, from: string | RegExp, to = ''): Promise<Terraform> => {
    const text = files[file] as string;
    const edited = text.replace(from, to);
    expect(edited).not.toBe(text);
    return parseTerraform({ ...files, [file]: edited });
  };

  it('matches the code: every check passes', () => {
    expect(checkTerraform(terraform, facts)).toEqual([]);
  });

  it('has the gateway spec generated from the current OpenAPI document (npm run openapi)', () => {
    expect(readFileSync(gatewayTemplatePath, 'utf8')).toBe(renderGatewayTemplate());
  });

  describe('functions', () => {
    it('fails when a built function has no yandex_function', async () => {
      const broken = await changed('locals.tf', / {4}"csat-followup" = \{\n[^}]*\}\n/);
      expect(checkFunctions(broken, facts)).toContain(
        'function csat-followup is built but not in local.functions',
      );
    });

    it('fails when the zip, the hash or the entry point is wrong', async () => {
      expect(
        checkFunctions(
          await changed('functions.tf', /zip_filename = ".*"/, 'zip_filename = "function.zip"'),
          facts,
        ),
      ).toContain(`yandex_function.app does not deploy ${DIST_ZIP}`);
      expect(
        checkFunctions(
          await changed('functions.tf', /user_hash {10}= .*/, 'user_hash          = "v1"'),
          facts,
        ),
      ).toContain("yandex_function.app's user_hash is not the zip's sha256");
      expect(
        checkFunctions(await changed('functions.tf', '"index.handler"', '"main.handler"'), facts),
      ).toContain('yandex_function.app entrypoint is not index.handler');
    });
  });

  describe('environment', () => {
    it('fails when a required variable is not set for a function that reads it', async () => {
      const broken = await changed('locals.tf', /\n\s+YMQ_CRM_QUEUE_URL\s+= .*/);
      const problems = checkEnvironment(broken);
      for (const name of ['vk-callback', 'ticket-api', 'notify-dispatcher', 'csat-followup'])
        expect(problems).toContain(
          `${name} reads YMQ_CRM_QUEUE_URL (required, section queue) but Terraform does not set it`,
        );
    });

    it('fails when a secret is missing from Lockbox delivery or set as plain environment', async () => {
      const missing = await changed('locals.tf', '"VK_CONFIRMATION_CODE"', '');
      expect(checkEnvironment(missing)).toContain(
        'vk-callback reads VK_CONFIRMATION_CODE (required, section vk) but Terraform does not set it',
      );
      const noCrm = await changed('locals.tf', 'support = ["CRM_WEBHOOK_SECRET"]', 'support = []');
      expect(checkEnvironment(noCrm)).toContain(
        'CRM_WEBHOOK_SECRET is a secret the functions read but secrets_by_section does not deliver it',
      );
      const plain = await changed('locals.tf', '    vk = {\n', '    vk = {\n      VK_GROUP_TOKEN = "x"\n');
      expect(checkEnvironment(plain)).toContain('VK_GROUP_TOKEN is a secret but is set as plain environment');
    });

    it('fails when a function reads other sections than its entry parses, or a name is misspelt', async () => {
      const sections = await changed(
        'locals.tf',
        '"ticket-api"        = ["miniApp", "support", "csat", "api",',
        '"ticket-api"        = ["miniApp", "support", "csat",',
      );
      expect(checkEnvironment(sections).join('\n')).toMatch(
        /function_sections\["ticket-api"\] is not functionConfigSections/,
      );
      const typo = await changed('locals.tf', 'VK_GROUP_RATE_LIMIT = ', 'VK_GROUP_RATELIMIT  = ');
      expect(checkEnvironment(typo)).toContain(
        'environment_by_section.vk.VK_GROUP_RATELIMIT is not a variable of the config schema',
      );
    });
  });

  describe('queues and triggers', () => {
    it('fails when a queue has no dead-letter queue or no redrive policy', async () => {
      const noDlq = await changed(
        'queues.tf',
        /resource "yandex_message_queue" "dead_letter" \{[\s\S]*?\n\}\n/,
      );
      expect(checkQueues(noDlq)).toContain(
        'yandex_message_queue.dead_letter is not one per local.queues: a queue has no dead-letter queue',
      );
      const noRedrive = await changed('queues.tf', / {2}redrive_policy = jsonencode\(\{[^}]*\}\)\n/);
      expect(checkQueues(noRedrive)).toContain(
        "yandex_message_queue.work's redrive_policy does not point at its dead-letter queue",
      );
    });

    it("fails when a queue's consumer has no trigger on the queue's ARN", async () => {
      const noTrigger = await changed(
        'triggers.tf',
        /resource "yandex_function_trigger" "queue" \{[\s\S]*\n\}\n/,
      );
      expect(checkQueues(noTrigger)).toContain('yandex_function_trigger.queue is not one per local.queues');
      const byUrl = await changed(
        'triggers.tf',
        'yandex_message_queue.work[each.key].arn',
        'yandex_message_queue.work[each.key].id',
      );
      expect(checkQueues(byUrl)).toContain("the queue triggers do not read the queues' ARNs");
      const noCrm = await changed('queues.tf', / {4}# CRM webhook hops[\s\S]*?\n {4}\}\n/);
      expect(checkQueues(noCrm)).toContain('queue crm (lib/queue/port.ts) is not in local.queues');
      const short = await changed('queues.tf', 'visibility_timeout = 660', 'visibility_timeout = 60');
      expect(checkQueues(short)).toContain(
        "queue notify: visibility timeout must outlast notify-dispatcher's 600 s",
      );
    });

    it('fails when a timer is missing or invokes another function', async () => {
      const noTimer = await changed(
        'triggers.tf',
        /resource "yandex_function_trigger" "dispatcher_timer" \{[\s\S]*?\n\}\n/,
      );
      expect(checkTimers(noTimer)).toContain('no timer dispatcher_timer for notify-dispatcher');
      const wrong = await changed(
        'triggers.tf',
        'yandex_function.app["csat-followup"].id',
        'yandex_function.app["ticket-api"].id',
      );
      expect(checkTimers(wrong)).toContain('timer rescue_timer does not invoke csat-followup');
    });
  });

  describe('gateway', () => {
    it('fails when an OpenAPI route or the callback is not routed to a function', () => {
      const spec = JSON.parse(facts.gatewayTemplate) as { paths: Record<string, Record<string, unknown>> };
      delete spec.paths['/api/tickets']?.post;
      delete spec.paths['/vk/callback'];
      const problems = checkGateway(terraform, { ...facts, gatewayTemplate: JSON.stringify(spec) });
      expect(problems).toContain('POST /api/tickets is not routed to ticket-api');
      expect(problems).toContain('POST /vk/callback is not routed to vk-callback');
    });

    it('fails when a route points at a function the build does not produce', () => {
      const template = facts.gatewayTemplate.replace('vk_callback_function_id}', 'vk_bot_function_id}');
      expect(checkGateway(terraform, { ...facts, gatewayTemplate: template })).toContain(
        'POST /vk/callback is not routed to a function the build produces',
      );
    });

    it('fails when the gateway may not invoke a routed function', async () => {
      const broken = await changed(
        'iam.tf',
        '"ticket-api"        = yandex_iam_service_account.gateway.id',
        '"ticket-api"        = yandex_iam_service_account.triggers.id',
      );
      expect(checkGateway(broken, facts)).toContain(
        'the gateway may not invoke ticket-api (local.function_invokers)',
      );
    });
  });

  describe('security', () => {
    it('fails on an editor or admin role where a narrower one exists', async () => {
      const broad = await changed('iam.tf', 'role      = "ymq.writer"', 'role      = "editor"');
      expect(checkRoles(broad)).toContain(
        'yandex_resourcemanager_folder_iam_member.queue_writer grants editor: use the narrowest role that works',
      );
      const admin = await changed('iam.tf', 'role      = "logging.writer"', 'role      = "logging.admin"');
      expect(checkRoles(admin).join('\n')).toMatch(/log_writer grants logging\.admin/);
    });

    it('fails on a secret literal or a Lockbox version kept in state', async () => {
      const token = await changed(
        'versions.tf',
        '  zone      = "ru-central1-a"',
        '  zone      = "ru-central1-a"\n  token     = "y0_AgAAAAB3xKpLAATuwQAAAAEVv9c2AAC7RkRh"',
      );
      const problems = checkNoSecrets(token);
      expect(problems).toContain('versions.tf holds a Yandex OAuth token');
      expect(problems).toContain('versions.tf sets token to a literal');
      const version = await changed(
        'secrets.tf',
        /$/,
        '\nresource "yandex_lockbox_secret_version" "app" {\n  secret_id = yandex_lockbox_secret.app.id\n}\n',
      );
      expect(checkNoSecrets(version)).toContain(
        "yandex_lockbox_secret_version puts secret values into Terraform's state",
      );
      const keyInState = await changed(
        'queues.tf',
        /\n {2}output_to_lockbox \{\n {4}secret_id {12}= yandex_lockbox_secret.queue_manager_key.id[^}]*\}\n/,
      );
      expect(checkNoSecrets(keyInState)).toContain(
        'a static access key is not written to Lockbox (its secret would be in state)',
      );
    });
  });

  describe('variables and formatting', () => {
    it('fails when terraform.tfvars.example misses a variable or a variable lacks a description', async () => {
      expect(
        checkVariables(terraform, {
          ...facts,
          exampleVariables: facts.exampleVariables.filter((name) => name !== 'dispatcher_cron'),
        }),
      ).toContain('terraform.tfvars.example does not list dispatcher_cron');
      const bare = await changed('variables.tf', / {2}description = "The VK mini app's id."\n/);
      expect(checkVariables(bare, facts)).toContain('variable vk_app_id has no description');
    });

    it('fails on a file terraform fmt would change', async () => {
      const misaligned = await changed('database.tf', 'location_id         = ', 'location_id = ');
      expect(checkFormatting(misaligned)).toEqual(['database.tf is not formatted (npm run tf:fmt)']);
      const indented = await changed('logging.tf', '  name             =', '    name             =');
      expect(checkFormatting(indented)).toEqual(['logging.tf is not formatted (npm run tf:fmt)']);
    });
  });
});
