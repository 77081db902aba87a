/**
 * The operators' dashboard (served at /ops/ by lib/api/routes/dashboard.ts, bundled by esbuild):
 * retention cohorts, DAU/WAU/MAU, NPS, first response and resolution against the SLA, CSAT and
 * campaign results, read from the operator endpoints with the token the operator types in. The token
 * stays in sessionStorage; `#token=…` in the address (for `npm run dashboard:shot`) is taken and
 * removed, and a fragment never reaches the server. Charts are SVG drawn by the page (svg.ts),
 * nothing else loaded.
 *
 * This file is the composition: the login form, the range selector, the panels' frames, one round of
 * requests (api.ts), then each panel renders its answer (dashboard/panels/, one file per panel).
 */
import {
  api,
  type Nps,
  type Retention,
  type Stats,
  type SupportMetrics,
  TOKEN_KEY,
  takeTokenFromFragment,
} from './api';
import { addDays, isoDate, type Period, serverToday, shortDate, weeksOf } from './dates';
import { el, panel } from './dom';
import { weeksLabel } from './format';
import { renderActiveUsers } from './panels/active-users';
import { renderCampaigns } from './panels/campaigns';
import { renderCsat } from './panels/csat';
import { renderGroups } from './panels/groups';
import { renderHeadline } from './panels/headline';
import { renderNps } from './panels/nps';
import { renderResponseTimes, weeklyTimes } from './panels/response-times';
import { renderRetention } from './panels/retention';

/** The token form; on submit the dashboard. */
function renderLogin(root: HTMLElement, message?: string): void {
  const input = el('input', {
    type: 'password',
    placeholder: 'X-Operator-Token',
    autocomplete: 'off',
    required: '',
  });
  const form = el(
    'form',
    { class: 'login' },
    el('h2', {}, 'Панель поддержки'),
    el('p', {}, 'Токен оператора из OPERATOR_TOKENS. Он хранится только в этой вкладке (sessionStorage).'),
    message ? el('p', { class: 'error' }, message) : null,
    input,
    el('button', { type: 'submit' }, 'Открыть'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, input.value.trim());
    void renderDashboard(root);
  });
  root.replaceChildren(form);
  input.focus();
}

/** The whole page for the last `days` days; back to the login form if the token is refused. */
async function renderDashboard(root: HTMLElement, days = 56): Promise<void> {
  const today = serverToday();
  const range: Period = { from: isoDate(addDays(today, -(days - 1))), to: isoDate(today) };
  const weeks = weeksOf(days, today);
  const query = `from=${range.from}&to=${range.to}`;

  const picker = el(
    'select',
    { 'aria-label': 'Период' },
    ...[28, 56, 84].map((option) =>
      el(
        'option',
        option === days ? { value: String(option), selected: '' } : { value: String(option) },
        weeksLabel(option / 7),
      ),
    ),
  );
  picker.addEventListener('change', () => void renderDashboard(root, Number(picker.value)));
  const logout = el('button', { class: 'plain', type: 'button' }, 'Выйти');
  logout.addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    renderLogin(root);
  });
  const kpis = el('div', { class: 'kpis' });
  const retention = panel(
    'Удержание по когортам',
    'Неделя первого события · доля вернувшихся на 1, 7 и 30-й день',
  );
  const active = panel('Активные пользователи', 'DAU, WAU, MAU по дням и липкость DAU/MAU');
  const nps = panel('NPS', 'Индекс лояльности: % промоутеров − % критиков');
  const csat = panel('CSAT', 'Оценки решённых обращений, созданных в периоде');
  const first = panel('Первый ответ', 'По неделям создания, рабочие минуты, против цели SLA');
  const resolution = panel('Решение', 'По неделям создания, рабочее время, против цели SLA');
  const categories = panel(
    'По категориям',
    'Рабочее время до первого ответа и решения, доля уложившихся в SLA',
  );
  const screens = panel('По экранам', 'Откуда пишут: экран, с которого создано обращение');
  const campaigns = panel('Кампании и сценарии', 'Результаты вариантов против контрольной группы', true);
  root.replaceChildren(
    el(
      'header',
      {},
      el('h1', {}, 'Поддержка и удержание'),
      el(
        'span',
        { class: 'range' },
        `${shortDate(range.from)}.${range.from.slice(0, 4)} — ${shortDate(range.to)}.${range.to.slice(0, 4)}`,
      ),
      picker,
      logout,
    ),
    kpis,
    el(
      'div',
      { class: 'grid' },
      retention.root,
      active.root,
      first.root,
      resolution.root,
      nps.root,
      csat.root,
      campaigns.root,
      categories.root,
      screens.root,
    ),
    el(
      'footer',
      {},
      'Данные: /api/ops/metrics/*, /api/ops/stats, /api/ops/campaigns. Время — в рабочих минутах по графику поддержки.',
    ),
  );

  const [retentionAnswer, npsAnswer, supportAnswer, statsAnswer, trend] = await Promise.all([
    api<Retention>(`/api/ops/metrics/retention?${query}`),
    api<Nps>(`/api/ops/metrics/nps?${query}`),
    api<SupportMetrics>(`/api/ops/metrics/support?${query}`),
    api<Stats>(`/api/ops/stats?${query}`),
    weeklyTimes(weeks),
  ]);
  if (!statsAnswer.ok && statsAnswer.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    renderLogin(root, 'Токен не подошёл (401).');
    return;
  }

  renderRetention(retention.body, retentionAnswer);
  renderActiveUsers(active.body, retentionAnswer, range.to);
  renderNps(nps.body, npsAnswer);
  renderCsat(csat.body, statsAnswer);
  renderGroups(categories.body, supportAnswer, 'byCategory', 'Категория');
  renderGroups(screens.body, supportAnswer, 'byScreen', 'Экран');
  const campaignsDone = renderCampaigns(campaigns.body, range, statsAnswer);
  renderResponseTimes(first.body, resolution.body, weeks, trend, supportAnswer);

  renderHeadline(kpis, { retentionAnswer, npsAnswer, supportAnswer, statsAnswer }, range.to);
  await campaignsDone;
  document.body.dataset.ready = 'true';
}

takeTokenFromFragment();
const root = document.getElementById('app');
if (root) {
  if (sessionStorage.getItem(TOKEN_KEY)) void renderDashboard(root);
  else renderLogin(root);
}
