import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * Examples of Callback API events built from VK's official schema (VKCOM/vk-api-schema, API 5.199,
 * MIT), read from `../shared/vk-api-schema` at test time: what VK documents, not what we think it
 * sends. The schema is JSON Schema draft 4 with draft 3's `"required": true` on properties, and its
 * `$ref`s cross files (some of which, like `audio/`, are not in our copy: those fields are left out).
 */

export const SCHEMA_DIR = join(__dirname, '../../../shared/vk-api-schema');
const CALLBACK_OBJECTS = join(SCHEMA_DIR, 'callback/objects.json');

export const schemaPresent = (): boolean => existsSync(CALLBACK_OBJECTS);

interface SchemaNode {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  items?: SchemaNode;
  properties?: Record<string, SchemaNode>;
  required?: boolean | string[];
  allOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  anyOf?: SchemaNode[];
}

/**
 * The definition each subscribed event's `object` follows. `message_reply` has none of its own: its
 * object is the outgoing message itself (`callback_message`), as `message_new`'s was before API 5.103.
 */
export const objectDefinitions: Record<string, string> = {
  message_new: 'callback_message_new',
  message_reply: 'callback_message',
  message_event: 'callback_message_event',
  message_allow: 'callback_message_allow',
  message_deny: 'callback_message_deny',
  group_join: 'callback_group_join',
  group_leave: 'callback_group_leave',
};

/** `required`: only what the schema requires; `all`: every property it documents, three levels deep. */
export type Fields = 'required' | 'all';

/** Values by property name, so an example means something (a user writing to us, a press, …). */
export type Fill = Record<string, unknown>;

const files = new Map<string, { definitions?: Record<string, SchemaNode> } | null>();

function load(file: string) {
  if (!files.has(file)) files.set(file, existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null);
  return files.get(file) ?? null;
}

function resolveRef(ref: string, from: string): { node: SchemaNode; file: string } | null {
  const [path = '', pointer = ''] = ref.split('#');
  const file = path ? resolve(dirname(from), path) : from;
  const name = pointer.replace(/^\/definitions\//, '');
  const node = load(file)?.definitions?.[name];
  return node ? { node, file } : null;
}

const isRequired = (parent: SchemaNode, key: string, property: SchemaNode) =>
  property.required === true || (Array.isArray(parent.required) && parent.required.includes(key));

/** An example value of a schema node; undefined when it can't be built from our copy of the schema. */
function example(node: SchemaNode, file: string, fields: Fields, fill: Fill, depth: number): unknown {
  if (node.$ref) {
    const target = resolveRef(node.$ref, file);
    return target ? example(target.node, target.file, fields, fill, depth) : undefined;
  }
  if (node.allOf) {
    const parts = node.allOf.map((part) => example(part, file, fields, fill, depth));
    return Object.assign({}, ...parts.filter((part) => typeof part === 'object' && part !== null));
  }
  const alternatives = node.oneOf ?? node.anyOf;
  if (alternatives?.[0]) return example(alternatives[0], file, fields, fill, depth);
  if (node.enum) return node.enum[0];
  const type = Array.isArray(node.type) ? node.type[0] : node.type;
  if (node.properties || type === 'object') {
    const object: Record<string, unknown> = {};
    for (const [key, property] of Object.entries(node.properties ?? {})) {
      if (!isRequired(node, key, property) && (fields === 'required' || depth >= 3)) continue;
      const value = key in fill ? fill[key] : example(property, file, fields, fill, depth + 1);
      if (value !== undefined) object[key] = value;
    }
    return object;
  }
  switch (type) {
    case 'array': {
      // A list of plain values (client_info.button_actions) gets its first; lists of objects stay empty.
      const item =
        fields === 'all' && node.items ? example(node.items, file, fields, {}, depth + 1) : undefined;
      return item === undefined || typeof item === 'object' ? [] : [item];
    }
    case 'integer':
    case 'number':
      return 1;
    case 'boolean':
      return true;
    case 'string':
      return 'x';
    default:
      return undefined;
  }
}

/** An example of a definition in `callback/objects.json`. */
export function callbackExample(definition: string, fields: Fields, fill: Fill): Record<string, unknown> {
  const node = load(CALLBACK_OBJECTS)?.definitions?.[definition];
  if (!node) throw new Error(`no ${definition} in callback/objects.json`);
  return example(node, CALLBACK_OBJECTS, fields, fill, 0) as Record<string, unknown>;
}

/** The properties a definition requires that `value` lacks, as dotted paths (nested objects too). */
export function missingRequired(definition: string, value: unknown): string[] {
  const node = load(CALLBACK_OBJECTS)?.definitions?.[definition];
  if (!node) throw new Error(`no ${definition} in callback/objects.json`);
  return missing(node, CALLBACK_OBJECTS, value, '');
}

function missing(node: SchemaNode, file: string, value: unknown, path: string): string[] {
  if (node.$ref) {
    const target = resolveRef(node.$ref, file);
    return target ? missing(target.node, target.file, value, path) : [];
  }
  if (node.allOf) return node.allOf.flatMap((part) => missing(part, file, value, path));
  if (!node.properties || typeof value !== 'object' || value === null) return [];
  const record = value as Record<string, unknown>;
  return Object.entries(node.properties).flatMap(([key, property]) => {
    if (record[key] === undefined) return isRequired(node, key, property) ? [`${path}${key}`] : [];
    return missing(property, file, record[key], `${path}${key}.`);
  });
}

/** The enum a definition documents for one of its properties (`join_type`'s values, say). */
export function enumOf(definition: string, property: string): unknown[] {
  const node = load(CALLBACK_OBJECTS)?.definitions?.[definition]?.properties?.[property];
  const target = node?.$ref ? resolveRef(node.$ref, CALLBACK_OBJECTS)?.node : node;
  return target?.enum ?? [];
}
