/** The headline figures above the panels, each coloured against the team's target. */
import type { Answer, Nps, Retention, Stats, SupportMetrics } from '../api';
import { el } from '../dom';
import { duration, number, percent, percentOfShare, rateAsPercent } from '../format';
import { TARGETS } from '../targets';
import { completeDays } from './active-users';
import { weeklyCohorts } from './retention';

/** One headline card: what, the figure, and what it is measured against. */
function kpi(label: string, value: string, note: string, tone?: 'good' | 'warn' | 'bad'): HTMLElement {
  return el(
    'div',
    { class: 'kpi' },
    el('div', { class: 'label' }, label),
    el('div', { class: tone ? `value ${tone}` : 'value' }, value),
    el('div', { class: 'note' }, note),
  );
}
/** Good at the target or above, a warning down to `warnBelow`, bad under it. */
const toneOf = (
  value: number | null | undefined,
  target: number,
  warnBelow: number,
): 'good' | 'warn' | 'bad' | undefined =>
  value === null || value === undefined
    ? undefined
    : value >= target
      ? 'good'
      : value >= warnBelow
        ? 'warn'
        : 'bad';

export interface HeadlineAnswers {
  retentionAnswer: Answer<Retention>;
  npsAnswer: Answer<Nps>;
  supportAnswer: Answer<SupportMetrics>;
  statsAnswer: Answer<Stats>;
}

/** The headline figures, from the answers the panels read too; `today` is the range's last day. */
export function renderHeadline(
  kpis: HTMLElement,
  { retentionAnswer, npsAnswer, supportAnswer, statsAnswer }: HeadlineAnswers,
  today: string,
): void {
  const lastActive = retentionAnswer.ok ? completeDays(retentionAnswer.data.active, today).at(-1) : undefined;
  const d30 = retentionAnswer.ok
    ? (weeklyCohorts(retentionAnswer.data.cohorts)
        .filter((week) => week.d30 !== null)
        .at(-1)?.d30 ?? null)
    : null;
  const support = supportAnswer.ok ? supportAnswer.data : null;
  kpis.replaceChildren(
    kpi(
      'Удержание D30',
      percentOfShare(d30),
      `цель ${percentOfShare(TARGETS.d30)} · последняя неделя с 30-м днём`,
      d30 === null ? undefined : toneOf(d30, TARGETS.d30, TARGETS.d30 * 0.75),
    ),
    kpi(
      'DAU / MAU',
      lastActive ? `${number(lastActive.dau)} / ${number(lastActive.mau)}` : '—',
      `вчера · липкость ${percentOfShare(lastActive?.stickiness ?? null)}`,
    ),
    kpi(
      'NPS',
      npsAnswer.ok && npsAnswer.data.score !== null ? number(npsAnswer.data.score) : '—',
      `цель ${TARGETS.nps}${npsAnswer.ok ? ` · ответов ${npsAnswer.data.responses}` : ''}`,
      npsAnswer.ok ? toneOf(npsAnswer.data.score, TARGETS.nps, 30) : undefined,
    ),
    kpi(
      'Ответ в срок',
      percent(support?.firstResponse.withinTargetPercent),
      support
        ? `первый ответ · цель ${TARGETS.withinTargetPercent} % · медиана ${duration(support.firstResponse.median)}`
        : 'нет данных',
      toneOf(support?.firstResponse.withinTargetPercent, TARGETS.withinTargetPercent, 60),
    ),
    kpi(
      'CSAT',
      statsAnswer.ok && statsAnswer.data.csat.average !== null
        ? number(statsAnswer.data.csat.average, 2)
        : '—',
      statsAnswer.ok ? `из 5 · оценок ${statsAnswer.data.csat.answered}` : 'нет данных',
      statsAnswer.ok ? toneOf(statsAnswer.data.csat.average, 4.5, 4) : undefined,
    ),
    kpi(
      'Повторные обращения',
      percent(rateAsPercent(support?.repeatContactRate ?? null)),
      'два и больше обращений за 30 дней',
    ),
  );
}
