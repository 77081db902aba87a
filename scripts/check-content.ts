import { catalog } from '../lib/i18n/catalog';
import { knowledgeBase } from '../lib/kb/articles';
import { supportSettings } from '../lib/support/settings';

/**
 * Run by `npm run build` before bundling: the content files are parsed by their zod schemas on
 * import (a bad file throws here, naming the field), and the text catalog's languages must agree.
 */
const problems: string[] = [];
const variables = (text: string) =>
  [...text.matchAll(/\{(\w+)\}/g)]
    .map((match) => match[1])
    .sort()
    .join(',');
for (const [key, ru] of Object.entries(catalog.ru)) {
  const en = (catalog.en as Record<string, string>)[key];
  if (en === undefined) problems.push(`catalog: ${key} has no en text`);
  else if (variables(ru) !== variables(en))
    problems.push(`catalog: ${key} uses other variables in ru and en`);
}
for (const template of supportSettings.operatorTemplates) {
  if (variables(template.text.ru) !== variables(template.text.en))
    problems.push(`template ${template.id}: ru and en variables differ`);
}
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(
  `content ok: ${supportSettings.categories.length} categories, ${knowledgeBase.list('ru').length + knowledgeBase.list('en').length} KB articles, ${Object.keys(catalog.ru).length} texts`,
);
