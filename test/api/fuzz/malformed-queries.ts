import type { Mutation, MutationContext } from './fuzz-request';
import { BAD_ESCAPES, UNICODE } from './malformed-paths';

/** Queries broken: values of the wrong kind or size, odd or repeated names, raw separators, too many. */
export function queryMutations({ random, operation, request }: MutationContext): Mutation[] {
  const queryName = () =>
    operation.query.length > 0 ? random.pick(operation.query).name : random.pick(['q', 'limit', 'x']);

  return [
    [
      'query.values',
      () => {
        const value = random.pick([
          'abc',
          '-1',
          '0',
          '1.5',
          '1e309',
          'Infinity',
          'NaN',
          '0x10',
          ' 5',
          '',
          '2026-02-30',
          '0000-02-29',
          '9999-12-31',
          '1970-01-01',
          'x'.repeat(random.pick([301, 5000, 20_000])),
          random.pick(BAD_ESCAPES),
          random.pick(UNICODE),
          '%00',
          'me',
          'none',
          '9007199254740993',
        ]);
        const name = queryName();
        request.query = request.query.filter(([key]) => key !== name);
        request.query.push([name, value]);
      },
    ],
    [
      'query.names',
      () => {
        const choice = random.between(0, 4);
        if (choice === 0) request.query = request.query.filter(() => random.chance(0.3));
        else if (choice === 1)
          request.query.push([
            random.pick([
              'x',
              '__proto__',
              'constructor',
              'toString',
              'q[]',
              'limit[a]',
              '',
              random.pick(BAD_ESCAPES),
            ]),
            '1',
          ]);
        else if (choice === 2) request.query.push([queryName(), random.pick(['2', 'ru', 'x'])]);
        else if (choice === 3) request.rawQuery = `${random.pick(BAD_ESCAPES)}&&=&%3D%3D&a=%26=`;
        else request.query = Array.from({ length: 200 }, (_, index) => [`p${index}`, String(index)]);
      },
    ],
  ];
}
