import { MAX_API_BODY_BYTES } from '../../../lib/api/router';
import type { Mutation, MutationContext } from './fuzz-request';
import type { Json } from './schema-values';

const WRONG_VALUES: Json[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e308,
  -0,
  '',
  ' ',
  'x',
  '1',
  'null',
  [],
  [1, 2],
  {},
  { a: 1 },
  '\u0000',
  '\ud800',
  '😀'.repeat(50),
  '2026-02-30',
  'photo1_2\n',
];

function nestedArray(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

function nestedObject(depth: number): Json {
  let value: Json = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

/** The paths of a value's JSON nodes, the root excluded, down to a depth (nested bodies go deep). */
function nodePaths(value: Json, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (prefix.length >= 12 || value === null || typeof value !== 'object') return [];
  const entries: Array<[string | number, Json]> = Array.isArray(value)
    ? value.map((item, index) => [index, item])
    : Object.entries(value);
  return entries.flatMap(([key, item]) => [[...prefix, key], ...nodePaths(item, [...prefix, key])]);
}

function setAt(root: Json, path: ReadonlyArray<string | number>, value: Json | undefined): void {
  let node = root as Record<string | number, Json>;
  for (const step of path.slice(0, -1)) node = node[step] as Record<string | number, Json>;
  const last = path.at(-1);
  if (last === undefined) return;
  // Defined, not assigned: a `__proto__` key is then a key of the JSON sent, not a prototype.
  if (value !== undefined)
    Object.defineProperty(node, last, { value, enumerable: true, writable: true, configurable: true });
  else if (Array.isArray(node)) node.splice(Number(last), 1);
  else delete node[last];
}

/**
 * Bodies broken: wrong types, missing and extra fields, huge strings, deep nesting, invalid JSON,
 * not an object, bytes that are not UTF-8 (or past the size limit), wrong content types.
 */
export function bodyMutations({ random, request }: MutationContext): Mutation[] {
  /** The body so far as a value to edit; one nested past what JSON.stringify can write again is dropped. */
  const bodyValue = (): Json => {
    try {
      const value = JSON.parse(request.body?.toString() ?? '') as Json;
      JSON.stringify(value);
      return value;
    } catch {
      return {};
    }
  };
  const setBody = (raw: string | Buffer) => {
    request.headers['content-type'] ??= 'application/json';
    request.body = Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
  };
  const editBody = (edit: (value: Json) => Json) => setBody(JSON.stringify(edit(bodyValue())));

  return [
    [
      'body.wrong-type',
      () =>
        editBody((value) => {
          const paths = nodePaths(value);
          if (paths.length === 0) return random.pick(WRONG_VALUES);
          setAt(value, random.pick(paths), random.pick(WRONG_VALUES));
          return value;
        }),
    ],
    [
      'body.missing',
      () =>
        editBody((value) => {
          const paths = nodePaths(value);
          if (paths.length > 0) setAt(value, random.pick(paths), undefined);
          return value;
        }),
    ],
    [
      'body.extra',
      () =>
        editBody((value) => {
          const objects = [[], ...nodePaths(value)].filter((path) => {
            let node: Json = value;
            for (const step of path) node = (node as Record<string | number, Json>)[step] ?? null;
            return node !== null && typeof node === 'object' && !Array.isArray(node);
          });
          if (objects.length === 0) return { extra: value };
          const target = random.pick(objects);
          const key = random.pick(['extra', '__proto__', 'constructor', 'userId', 'vk_user_id', '']);
          if (target.length === 0 && value && typeof value === 'object' && !Array.isArray(value))
            value[key] = random.pick(WRONG_VALUES);
          else if (target.length > 0) setAt(value, [...target, key], random.pick(WRONG_VALUES));
          return value;
        }),
    ],
    [
      'body.huge-string',
      () =>
        editBody((value) => {
          const huge = random.pick(['x', 'я', '😀', '\\']).repeat(random.pick([4001, 20_000, 70_000]));
          const paths = nodePaths(value);
          if (paths.length === 0) return huge;
          setAt(value, random.pick(paths), huge);
          return value;
        }),
    ],
    [
      'body.deep-nesting',
      () => {
        const depth = random.pick([100, 5000, 30_000]);
        if (random.chance(0.5)) setBody(nestedArray(depth));
        else
          editBody((value) => {
            const paths = nodePaths(value);
            const deep = nestedObject(Math.min(depth, 3000));
            if (paths.length === 0) return deep;
            setAt(value, random.pick(paths), deep);
            return value;
          });
      },
    ],
    [
      'body.invalid-json',
      () => {
        const text = request.body?.toString() ?? '{"a":1}';
        setBody(
          random.pick([
            text.slice(0, random.between(0, Math.max(0, text.length - 1))),
            `${text},`,
            `${text}${text}`,
            text.replace(/"/g, "'"),
            '{"a":NaN}',
            '{"a":1,}',
            '{a:1}',
            '// comment\n{}',
            `\ufeff${text}`,
            '{"a":"\\ud800"}',
            '{"a":"\\x41"}',
            '{"a":"line\nbreak"}',
            '{"a":1e999}',
            '[',
            '"',
            '\u0000',
            'undefined',
          ]),
        );
      },
    ],
    [
      'body.not-an-object',
      () => setBody(random.pick(['null', '[]', '[{}]', '"text"', '42', 'true', '{}', ' ', '\t\n'])),
    ],
    [
      'body.bytes',
      () =>
        setBody(
          random.pick([
            Buffer.from([0xff, 0xfe, 0x7b, 0x7d]),
            Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]), // {"a":"\xC3("}
            Buffer.from('{"text":"\u0000\u0001\u001f"}'),
            Buffer.concat([request.body ?? Buffer.from('{}'), Buffer.from([0x00])]),
            Buffer.alloc(MAX_API_BODY_BYTES + 1, 0x20),
          ]),
        ),
    ],
    [
      'body.content-type',
      () => {
        const type = random.pick([
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/json; charset=latin1',
          'application/xml',
          '',
          'application/json, text/plain',
        ]);
        if (type === '') delete request.headers['content-type'];
        else request.headers['content-type'] = type;
        if (type.startsWith('application/x-www')) setBody('subject=a&category=bug');
        if (type.startsWith('multipart'))
          setBody('--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--');
        if (type === 'application/xml') setBody('<ticket/>');
      },
    ],
  ];
}
