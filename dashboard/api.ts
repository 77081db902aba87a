/**
 * What the operator endpoints answer (the contracts of issue 21 and lib/api/responses.ts), and how the
 * page asks: with the operator's token, kept in sessionStorage, and an answer that is never thrown
 * (a panel whose endpoint fails shows the error instead).
 */

// ---- what the endpoints answer ----

export type Share = number | null;
export interface Retention {
  cohorts: Array<{ date: string; users: number; d1: Share; d7: Share; d30: Share }>;
  active: Array<{ date: string; dau: number; wau: number; mau: number; stickiness: Share }>;
}
export interface Nps {
  score: number | null;
  responses: number;
  promoters: number;
  passives: number;
  detractors: number;
}
export interface Times {
  count: number;
  average: number | null;
  median: number | null;
  p90: number | null;
  withinTargetPercent: number | null;
  targetMinutes: number | null;
}
export interface SupportMetrics {
  from: string;
  to: string;
  firstResponse: Times;
  resolution: Times;
  byCategory: Record<string, { tickets: number; firstResponse: Partial<Times>; resolution: Partial<Times> }>;
  byScreen: Record<string, { tickets: number; firstResponse: Partial<Times>; resolution: Partial<Times> }>;
  repeatContactRate: number | null;
}
export interface CsatFigures {
  sent: number;
  answered: number;
  responseRate: number | null;
  average: number | null;
  satisfied: number | null;
  distribution: Record<string, number>;
}
export interface Variant {
  variant: string;
  assigned: number;
  reached?: number;
  conversions: number;
  conversionRate: number | null;
  uplift: { points: number; low: number; high: number } | null;
}
export interface CampaignResult {
  campaign: string;
  goal: { event: string; withinHours: number } | null;
  variants: Variant[];
}
export interface Stats {
  tickets: number;
  firstResponse: { count: number; medianMinutes: number | null; p90Minutes: number | null };
  resolution: { count: number; medianMinutes: number | null; p90Minutes: number | null };
  slaBreaches: { firstResponse: number; resolution: number };
  csat: CsatFigures & { byWeek: Record<string, CsatFigures> };
  campaigns: { campaigns: CampaignResult[] };
}
export interface CampaignList {
  campaigns: Array<{ id: string; kind: string; description: string; state: string }>;
}

// ---- the token and the API ----

/** Where the operator's token stays: this tab only. */
export const TOKEN_KEY = 'ops-dashboard-token';

export type Answer<T> = { ok: true; data: T } | { ok: false; status: number; message: string };

/** Takes `#token=…` from the address (as `npm run dashboard:shot` opens the page) and removes it. */
export function takeTokenFromFragment(): void {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!match?.[1]) return;
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
  history.replaceState(null, '', location.pathname + location.search);
}

/** GETs an operator endpoint with the token; a failure comes back as the status and a message to show. */
export async function api<T>(path: string): Promise<Answer<T>> {
  try {
    const response = await fetch(path, {
      headers: { 'x-operator-token': sessionStorage.getItem(TOKEN_KEY) ?? '', accept: 'application/json' },
      credentials: 'omit',
    });
    if (!response.ok) {
      let detail = '';
      try {
        detail = ((await response.json()) as { detail?: string }).detail ?? '';
      } catch {
        // not a problem+json: the status says enough
      }
      return {
        ok: false,
        status: response.status,
        message: `HTTP ${response.status}${detail ? `: ${detail}` : ''}`,
      };
    }
    return { ok: true, data: (await response.json()) as T };
  } catch (error) {
    return {
      ok: false,
      status: 0,
      message: `нет связи: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}
