import type { Mutation, MutationContext } from './fuzz-request';

/** Percent-escapes a decoder must refuse: truncated, not hex, overlong UTF-8, surrogates. */
export const BAD_ESCAPES = [
  '%',
  '%E0%A4%A',
  '%zz',
  '%C0%AF',
  '%ED%A0%80',
  '%FF',
  '%E0%A4',
  '%%41',
  '%u0041',
  '%2',
];
export const UNICODE = [
  '%F0%9F%98%80', // 😀
  '%E2%80%AE', // right-to-left override
  '%E2%80%8B', // zero-width space
  'caf%C3%A9',
  'cafe%CC%81', // é decomposed
  '%EF%BB%BF', // BOM
  '%00',
  'é', // a raw Latin-1 byte: not UTF-8
  '\u00ff\u00fe',
];

/** Paths broken: bad percent-escapes, overlong segments, unicode, dot segments, odd shapes. */
export function pathMutations({ random, operation, request }: MutationContext): Mutation[] {
  // Mostly a parameter's segment (the router decodes those), else any but the leading '' and 'api'.
  const parameterSegments = operation.template
    .split('/')
    .flatMap((segment, index) => (segment.startsWith('{') ? [index] : []));
  const replaceSegment = (make: (segment: string) => string) => {
    const parts = request.path.split('/');
    const index =
      parameterSegments.length > 0 && random.chance(0.6)
        ? random.pick(parameterSegments)
        : random.between(2, Math.max(2, parts.length - 1));
    parts[index] = make(parts[index] ?? '');
    request.path = parts.join('/');
  };

  return [
    [
      'path.bad-escape',
      () =>
        replaceSegment((segment) =>
          random.pick([`${segment}${random.pick(BAD_ESCAPES)}`, random.pick(BAD_ESCAPES)]),
        ),
    ],
    [
      'path.overlong',
      () =>
        replaceSegment(() => random.pick(['a', '%41', 'я']).repeat(random.pick([300, 2000, 5000, 20_000]))),
    ],
    ['path.unicode', () => replaceSegment((segment) => `${segment}${random.pick(UNICODE)}`)],
    [
      'path.dot-segments',
      () => {
        if (random.chance(0.5))
          replaceSegment(() => random.pick(['..', '.', '%2e%2e', '%2E', '..%2f..', '..%5c', '...']));
        else
          request.path = random.pick([
            `${request.path}/..`,
            `${request.path}/../../ops/tickets`,
            `/api/./${request.path.slice(5)}`,
            `/api/kb/../${request.path.slice(5)}`,
          ]);
      },
    ],
    [
      'path.shape',
      () => {
        request.path = random.pick([
          `${request.path}/`,
          request.path.replace('/api/', '/api//'),
          request.path.toUpperCase(),
          `${request.path};jsessionid=1`,
          request.path.replace(/\/[^/]*$/, '/'),
          `${request.path}%2F..%2Fx`,
          `${request.path}/extra`,
          '/api',
          '/api/',
          '/',
        ]);
      },
    ],
  ];
}
