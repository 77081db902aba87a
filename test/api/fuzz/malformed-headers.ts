import { createHmac } from 'node:crypto';
import { devDefaults } from '../../../scripts/local/stack';
import { ADMIN_TOKEN, OPERATOR_TOKEN } from '../../support/bot-harness';
import { ORIGIN } from './fixture';
import type { Mutation, MutationContext } from './fuzz-request';

const APP_ID = devDefaults.VK_APP_ID ?? '';
const APP_SECRET = devDefaults.VK_APP_SECRET ?? '';

/** Signs launch params as VK does, keeping duplicate keys (a record could not). */
function signEntries(entries: Array<[string, string]>): string {
  const signed = entries
    .filter(([key]) => key.startsWith('vk_'))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${encodeURIComponent(value)}`)
    .join('&');
  const sign = createHmac('sha256', APP_SECRET).update(signed).digest('base64url');
  return `${new URLSearchParams(entries).toString()}&sign=${sign}`;
}

/**
 * Launch params forged or malformed: missing, garbage, another user's id under the same sign, a
 * wrong or cut sign, stale or future `vk_ts`, another app, bad numbers, duplicate keys, huge or
 * non-Latin values, the header twice.
 */
function breakLaunchParams({ random, fixture, request }: MutationContext): void {
  const user = random.pick(fixture.users);
  const ts = Math.floor(fixture.now / 1000);
  const base: Array<[string, string]> = [
    ['vk_user_id', String(user)],
    ['vk_app_id', APP_ID],
    ['vk_ts', String(ts)],
    ['vk_language', 'ru'],
    ['vk_platform', 'desktop_web'],
  ];
  const withEntry = (key: string, value: string) =>
    base.map(([name, old]): [string, string] => [name, name === key ? value : old]);
  const valid = fixture.launchParamsFor(user);
  const choice = random.between(0, 13);
  const value = [
    () => undefined,
    () => random.pick(['', 'hello', '?', '&&&', '=', 'sign=', 'sign', '%E0%A4%A', 'sign=%zz&vk_user_id=%']),
    () => valid.replace(`vk_user_id=${user}`, `vk_user_id=${user + 1}`),
    () => valid.replace(/sign=[^&]*/, `sign=${'A'.repeat(43)}`),
    () => valid.replace(/sign=([^&]*)/, (_m, sign: string) => `sign=${sign.slice(0, -1)}`),
    () => valid.replace(/&sign=[^&]*/, ''),
    () => signEntries(withEntry('vk_ts', String(ts - random.pick([2 * 86_400, 10 * 86_400])))),
    () => signEntries(withEntry('vk_ts', String(ts + random.pick([3600, 86_400 * 365 * 1000])))),
    () => signEntries(withEntry('vk_app_id', random.pick(['1', '', 'abc', `${APP_ID}0`]))),
    () =>
      signEntries(
        withEntry(
          random.pick(['vk_user_id', 'vk_ts']),
          random.pick(['0', '-5', '1.5', 'abc', '', '9007199254740993', '1e3', ' 7', '0x10', '١٢٣']),
        ),
      ),
    () => signEntries([...base, ['vk_user_id', String(user + 1)]]),
    () =>
      signEntries(
        withEntry(
          random.pick(['vk_platform', 'vk_language']),
          random.pick(['x'.repeat(6000), 'ру', '😀', '']),
        ),
      ),
    () => `?${valid}`,
    () => [valid, valid],
  ][choice]?.();
  if (value === undefined) delete request.headers['x-vk-launch-params'];
  else request.headers['x-vk-launch-params'] = value;
}

/** Operator tokens missing, wrong, near misses of a real one, padded, huge, two at once. */
function breakOperatorToken({ random, fixture, request }: MutationContext): void {
  const value = random.pick([
    undefined,
    '',
    'wrong',
    ADMIN_TOKEN.slice(0, -1),
    `${ADMIN_TOKEN}x`,
    ADMIN_TOKEN.toUpperCase(),
    ` ${OPERATOR_TOKEN} `,
    'a'.repeat(8000),
    'é'.repeat(30),
    `${ADMIN_TOKEN}, ${OPERATOR_TOKEN}`,
  ]);
  if (value === undefined) delete request.headers['x-operator-token'];
  else request.headers['x-operator-token'] = value;
  if (random.chance(0.3)) request.headers['x-vk-launch-params'] = fixture.launchParamsFor(7);
}

/** Headers broken: launch params, operator tokens, huge headers, idempotency keys, origins. */
export function headerMutations(context: MutationContext): Mutation[] {
  const { random, request } = context;
  return [
    ['header.launch-params', () => breakLaunchParams(context)],
    ['header.operator-token', () => breakOperatorToken(context)],
    [
      'header.huge',
      () => {
        const size = random.pick([4000, 12_000, 20_000, 70_000]);
        const name = random.pick([
          'x-vk-launch-params',
          'x-operator-token',
          'x-filler',
          'cookie',
          'idempotency-key',
        ]);
        request.headers[name] = 'a'.repeat(size);
        if (random.chance(0.3))
          for (let i = 0; i < 100; i++) request.headers[`x-filler-${i}`] = 'b'.repeat(100);
      },
    ],
    [
      'header.idempotency-key',
      () => {
        request.headers['idempotency-key'] = random.pick([
          '',
          ' ',
          'é',
          'a b',
          'k'.repeat(129),
          'k'.repeat(128),
          `key-${random.between(1, 40)}`,
          '\t',
        ]);
      },
    ],
    [
      'header.origin',
      () => {
        request.headers.origin = random.pick([ORIGIN, 'https://evil.example', 'null', '', 'x'.repeat(3000)]);
      },
    ],
  ];
}
