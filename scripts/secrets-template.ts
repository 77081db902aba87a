import { configVariables, secretVariables } from '../lib/config/schema';

/**
 * `npm run -s secrets:template > secrets.json`: the payload of the Lockbox secret `<prefix>-app`
 * for `yc lockbox secret add-version --payload "$(cat secrets.json)"`, one entry per secret the
 * functions read (queue keys excluded: Terraform writes each function's own). Fill in the values,
 * add the version, then delete the file. `-- --crm` includes CRM_WEBHOOK_SECRET.
 */
const sectionOf = new Map(configVariables().map((entry) => [entry.variable, entry.section]));
const hints: Record<string, string> = {
  VK_GROUP_TOKEN: 'community token with the messages right',
  VK_CALLBACK_SECRET: 'any random string up to 50 characters; npm run vk:callback registers it',
  VK_CONFIRMATION_CODE: 'printed by npm run vk:callback -- code',
  VK_APP_SECRET: "the mini app's protected key",
  VK_SERVICE_TOKEN: "the mini app's service token",
  OPERATOR_TOKENS: 'id:operator|admin:token, comma-separated, tokens of 24+ characters',
  CRM_WEBHOOK_SECRET: 'HMAC key of the webhook signature, 16+ characters',
};
const entries = secretVariables.filter((variable) => {
  const section = sectionOf.get(variable);
  if (section === 'queue' || section === 'storage') return false;
  return variable !== 'CRM_WEBHOOK_SECRET' || process.argv.includes('--crm');
});
console.log(
  JSON.stringify(
    entries.map((key) => ({ key, text_value: `<${hints[key] ?? key}>` })),
    null,
    2,
  ),
);
