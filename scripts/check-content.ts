import { intentProblems, intentsContent } from '../lib/bot/intents';
import { campaignProblems, shippedCampaigns } from '../lib/campaigns/campaign';
import { catalog, type TextKey, textVariables } from '../lib/i18n/catalog';
import { compileTemplate } from '../lib/i18n/template';
import { journeyProblems, shippedJourneys } from '../lib/journeys/definition';
import { knowledgeBase } from '../lib/kb/articles';
import { kbWords } from '../lib/kb/terms';
import { supportSettings } from '../lib/support/settings';

/**
 * Run by `npm run build` before bundling: the content files are parsed by their zod schemas on
 * import (a bad file throws here, naming the field; a template with an unknown variable is one), and
 * the text catalog's languages must agree.
 */
const problems: string[] = [];
for (const key of Object.keys(catalog.ru) as TextKey[]) {
  if (!(key in catalog.en)) problems.push(`catalog: ${key} has no en text`);
  else if (textVariables('ru', key).join(',') !== textVariables('en', key).join(','))
    problems.push(`catalog: ${key} uses other variables in ru and en`);
}
for (const template of supportSettings.operatorTemplates) {
  const [ru, en] = [compileTemplate(template.text.ru), compileTemplate(template.text.en)];
  if ([...ru.variables].sort().join() !== [...en.variables].sort().join())
    problems.push(`template ${template.id}: ru and en variables differ`);
}
// The KB's synonyms (validated on first use at run time: here, at build time).
kbWords();
// Typed intents: every phrase can match, and only one intent claims it.
problems.push(...intentProblems(intentsContent()));
// Campaigns: event names from the allow-list, texts ≤ 254 characters rendered, fragments ≤ 2047.
problems.push(...campaignProblems(shippedCampaigns(), 254, 2047));
// Journeys: event names from the allow-list, notification texts ≤ 254 characters rendered.
problems.push(...journeyProblems(shippedJourneys(), 254));
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(
  `content ok: ${supportSettings.categories.length} categories, ${knowledgeBase.list('ru').length + knowledgeBase.list('en').length} KB articles, ${Object.keys(catalog.ru).length} texts, ${supportSettings.operatorTemplates.length} templates, ${intentsContent().intents.length} intents, ${shippedCampaigns().length} shippedCampaigns()`,
);
