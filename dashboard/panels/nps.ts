/** NPS: the score against the target, and the split of promoters, passives and detractors. */
import type { Answer, Nps } from '../api';
import { el, show, unavailable } from '../dom';
import { number } from '../format';
import { COLORS, legend } from '../svg';
import { TARGETS } from '../targets';

/** The score coloured against the target, the count of answers and the three groups as one bar. */
export function renderNps(body: HTMLElement, nps: Answer<Nps>): void {
  if (!nps.ok) {
    unavailable(body, nps);
    return;
  }
  const { score, responses, promoters, passives, detractors } = nps.data;
  if (responses === 0 || score === null) {
    show(body, el('div', { class: 'empty' }, 'нет данных: ответов ещё нет'));
    return;
  }
  const split = el('div', { class: 'split' });
  for (const [count, color] of [
    [promoters, COLORS.green],
    [passives, COLORS.grey],
    [detractors, COLORS.red],
  ] as const) {
    const part = el('div', { title: String(count) });
    part.style.width = `${(count / responses) * 100}%`;
    part.style.background = color;
    split.append(part);
  }
  const scoreView = el('div', { class: 'nps-score' }, number(score));
  scoreView.style.color = score >= TARGETS.nps ? COLORS.green : score >= 0 ? COLORS.orange : COLORS.red;
  show(
    body,
    scoreView,
    el('div', { class: 'muted' }, `цель ${TARGETS.nps} · ответов ${number(responses)}`),
    split,
    legend([
      { name: `промоутеры (9–10): ${promoters}`, color: COLORS.green },
      { name: `нейтральные (7–8): ${passives}`, color: COLORS.grey },
      { name: `критики (0–6): ${detractors}`, color: COLORS.red },
    ]),
  );
}
