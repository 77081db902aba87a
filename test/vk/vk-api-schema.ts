import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

/**
 * VK's official JSON schema (VKCOM/vk-api-schema, API 5.199, MIT) read from `../shared/vk-api-schema`,
 * and the checks the conformance test makes with it: a call's form parameters against the method's
 * entry in `<section>/methods.json`, an `execute` script's arguments likewise, an answer against the
 * method's `responses`, an error against `errors.json`. The schema is written in JSON Schema draft 4
 * with draft 3's `"required": true` on properties; this reads both, and follows `$ref`s across files.
 */

export const SCHEMA_DIR = join(__dirname, '../../../shared/vk-api-schema');

export const schemaPresent = (): boolean => existsSync(join(SCHEMA_DIR, 'errors.json'));

/** A node of the schema (JSON Schema keywords and VK's own: `entity`, `enumNames`, …). */
export interface SchemaNode {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  items?: SchemaNode;
  properties?: Record<string, SchemaNode>;
  required?: boolean | string[];
  additionalProperties?: boolean | SchemaNode;
  allOf?: SchemaNode[];
  oneOf?: SchemaNode[];
  anyOf?: SchemaNode[];
  discriminator?: { propertyName: string; mapping?: Record<string, string> };
}

export interface MethodParameter extends SchemaNode {
  name: string;
}

export interface MethodEntry {
  name: string;
  parameters?: MethodParameter[];
  /** Alternative answers (`response`, `extendedResponse`, …): an answer must match one. */
  responses: Record<string, SchemaNode>;
  errors?: Array<{ $ref: string }>;
}

interface ErrorEntry {
  code: number;
  description: string;
  global?: boolean;
}

/** A schema node and the file it sits in (relative `$ref`s resolve from there). */
interface Located {
  node: SchemaNode;
  file: string;
}

const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };

/** VK's schema, its files loaded on first use; `amend` records a platform fact over it. */
export class VkApiSchema {
  readonly #files = new Map<string, unknown>();
  readonly #defined = new Map<string, MethodEntry>();

  constructor(readonly dir = SCHEMA_DIR) {}

  /** A method the schema's sections here lack (e.g. `execute`), described from VK's documentation. */
  define(entry: MethodEntry): void {
    this.#defined.set(entry.name, entry);
  }

  /** Changes one node in place: a documented VK fact the schema contradicts (say why at the call). */
  amend(file: string, pointer: string, change: (node: SchemaNode) => void): void {
    change(this.#pointer(this.#file(file), pointer, file) as SchemaNode);
  }

  method(name: string): MethodEntry | undefined {
    const defined = this.#defined.get(name);
    if (defined) return defined;
    const section = name.split('.')[0] ?? '';
    if (!existsSync(join(this.dir, section, 'methods.json'))) return undefined;
    const { methods } = this.#file(`${section}/methods.json`) as { methods: MethodEntry[] };
    return methods.find((method) => method.name === name);
  }

  /**
   * A call's form parameters (what the client posts, or what a call inside `execute` stands for):
   * every name declared by the method or common to all requests, each value as VK reads a form
   * field of its type (integers in decimal, booleans 0/1, arrays comma-separated), within its enum,
   * bounds and lengths; JSON-valued strings (`keyboard`) checked against the object they hold; the
   * required ones present.
   */
  checkParams(
    methodName: string,
    params: Record<string, string>,
    common: readonly MethodParameter[] = [],
  ): string[] {
    const method = this.method(methodName);
    if (!method) return [`${methodName}: no such method in VK's schema`];
    const file = this.#methodsFile(methodName);
    const problems: string[] = [];
    const declared = new Map([...common, ...(method.parameters ?? [])].map((p) => [p.name, p]));
    for (const [name, value] of Object.entries(params)) {
      const parameter = declared.get(name);
      if (!parameter) problems.push(`${methodName}: unknown parameter ${name}`);
      else problems.push(...this.#checkFormValue(parameter, value, file, `${methodName}(${name})`));
    }
    for (const parameter of declared.values())
      if (parameter.required === true && !(parameter.name in params))
        problems.push(`${methodName}: required parameter ${parameter.name} missing`);
    return problems;
  }

  /**
   * The JSON argument of `API.<method>({…})` in an `execute` script: declared names, and JSON types
   * matching the parameters' (a list may be an array or a comma-separated string, a flag 0/1 or
   * true/false); the values themselves are checked as form parameters with `checkParams`.
   */
  checkScriptArgs(methodName: string, args: Record<string, unknown>): string[] {
    const method = this.method(methodName);
    if (!method) return [`${methodName}: no such method in VK's schema`];
    const declared = new Map((method.parameters ?? []).map((p) => [p.name, p]));
    const problems: string[] = [];
    for (const [name, value] of Object.entries(args)) {
      const parameter = declared.get(name);
      const at = `execute: API.${methodName}({${name}})`;
      if (!parameter) {
        problems.push(`${at}: unknown parameter`);
        continue;
      }
      const type = this.#typeOf(parameter, this.#methodsFile(methodName));
      const fits =
        type === 'integer'
          ? Number.isInteger(value)
          : type === 'number'
            ? typeof value === 'number'
            : type === 'boolean'
              ? value === 0 || value === 1 || typeof value === 'boolean'
              : type === 'array'
                ? Array.isArray(value) || typeof value === 'string' || typeof value === 'number'
                : type === 'string'
                  ? typeof value === 'string'
                  : true;
      if (!fits) problems.push(`${at}: ${JSON.stringify(value)} is not ${type}`);
    }
    return problems;
  }

  /** A successful call's `response` against the method's answers; `strict` also flags undeclared fields. */
  checkResponse(methodName: string, response: unknown, options: { strict?: boolean } = {}): string[] {
    const method = this.method(methodName);
    if (!method) return [`${methodName}: no such method in VK's schema`];
    const file = this.#methodsFile(methodName);
    const alternatives = Object.entries(method.responses).map(([name, node]) => ({
      name,
      problems: this.checkValue(node, { response }, file, `${methodName} ${name}`, options.strict ?? false),
    }));
    if (alternatives.some((alternative) => alternative.problems.length === 0)) return [];
    return alternatives.flatMap((alternative) => alternative.problems);
  }

  /**
   * An error answer: a code `errors.json` knows, one the method may answer (global, or listed for it),
   * its message starting with VK's description of the code, and the object shaped as `base_error`.
   */
  checkError(
    methodName: string,
    error: { error_code: number; error_msg: string },
    options: { strict?: boolean } = {},
  ): string[] {
    const { errors } = this.#file('errors.json') as { errors: Record<string, ErrorEntry> };
    const at = `${methodName} error ${error.error_code}`;
    const known = Object.entries(errors).find(([, entry]) => entry.code === error.error_code);
    if (!known) return [`${at}: not one of VK's error codes`];
    const [key, entry] = known;
    const problems: string[] = [];
    const listed = (this.method(methodName)?.errors ?? []).some((ref) => ref.$ref.endsWith(`/${key}`));
    if (!entry.global && !listed) problems.push(`${at}: ${key} is neither global nor listed for the method`);
    if (!error.error_msg.startsWith(entry.description))
      problems.push(`${at}: message ${JSON.stringify(error.error_msg)} is not "${entry.description}[: …]"`);
    const baseError = this.#resolve('base/objects.json#/definitions/base_error', 'errors.json');
    problems.push(...this.checkValue(baseError.node, error, baseError.file, at, options.strict ?? false));
    return problems;
  }

  /** A JSON value against a schema node (in `file`); problems name the path. */
  checkValue(node: SchemaNode, value: unknown, file: string, path: string, strict = false): string[] {
    const problems: string[] = [];
    this.#check(node, value, file, path, strict, problems);
    return problems;
  }

  #check(
    node: SchemaNode,
    value: unknown,
    file: string,
    path: string,
    strict: boolean,
    problems: string[],
    branch = false,
  ): void {
    if (node.$ref) {
      let target: Located;
      try {
        target = this.#resolve(node.$ref, file);
      } catch (error) {
        problems.push(`${path}: ${(error as Error).message}`);
        return;
      }
      this.#check(target.node, value, target.file, path, strict, problems, branch);
      return;
    }
    for (const part of node.allOf ?? []) this.#check(part, value, file, path, strict, problems, true);
    const chosen = this.#discriminated(node, value, file);
    if (chosen) this.#check(chosen.node, value, chosen.file, path, strict, problems, branch);
    else if (node.oneOf) {
      const matching = node.oneOf.filter((part) => this.checkValue(part, value, file, path).length === 0);
      if (matching.length !== 1)
        problems.push(`${path}: matches ${matching.length} of oneOf's ${node.oneOf.length} schemas`);
    }
    if (node.anyOf && !node.anyOf.some((part) => this.checkValue(part, value, file, path).length === 0))
      problems.push(`${path}: matches none of anyOf's schemas`);

    const types = node.type === undefined ? [] : Array.isArray(node.type) ? node.type : [node.type];
    if (types.length > 0 && !types.some((type) => jsonTypeFits(type, value))) {
      problems.push(`${path}: ${JSON.stringify(value)} is not ${types.join(' or ')}`);
      return;
    }
    if (node.enum && !node.enum.some((allowed) => allowed === value))
      problems.push(`${path}: ${JSON.stringify(value)} is not one of ${JSON.stringify(node.enum)}`);
    if (typeof value === 'number') problems.push(...numberProblems(node, value, path));
    if (typeof value === 'string') problems.push(...lengthProblems(node, value, path));
    if (Array.isArray(value)) {
      if (node.minItems !== undefined && value.length < node.minItems)
        problems.push(`${path}: fewer than ${node.minItems} items`);
      if (node.maxItems !== undefined && value.length > node.maxItems)
        problems.push(`${path}: more than ${node.maxItems} items`);
      if (node.items)
        for (const [index, item] of value.entries())
          this.#check(node.items, item, file, `${path}[${index}]`, strict, problems);
    }
    if (isObject(value)) {
      const required = Array.isArray(node.required) ? node.required : [];
      for (const [name, property] of Object.entries(node.properties ?? {})) {
        if (name in value) this.#check(property, value[name], file, `${path}.${name}`, strict, problems);
        else if (property.required === true || required.includes(name))
          problems.push(`${path}: required ${name} missing`);
      }
      if (!branch && (strict || node.additionalProperties === false)) {
        const declared = this.#declaredProperties(node, file);
        if (declared)
          for (const name of Object.keys(value))
            if (!declared.has(name)) problems.push(`${path}: ${name} is not in VK's schema`);
      }
    }
  }

  /** The branch a `discriminator` picks for an object by its property (`type` of a keyboard action). */
  #discriminated(node: SchemaNode, value: unknown, file: string): Located | undefined {
    if (!node.discriminator?.mapping || !isObject(value)) return undefined;
    const ref = node.discriminator.mapping[String(value[node.discriminator.propertyName])];
    return ref ? this.#resolve(ref, file) : undefined;
  }

  /** Every property an object node declares, through `$ref` and `allOf`; undefined where it can't tell. */
  #declaredProperties(node: SchemaNode, file: string): Set<string> | undefined {
    if (node.$ref) {
      const target = this.#resolve(node.$ref, file);
      return this.#declaredProperties(target.node, target.file);
    }
    // Undeclared fields are fine where the node allows them, or can't be told by name.
    if (node.oneOf || node.anyOf || (node.additionalProperties ?? false) !== false) return undefined;
    const names = new Set(Object.keys(node.properties ?? {}));
    for (const part of node.allOf ?? []) {
      const inner = this.#declaredProperties(part, file);
      if (!inner) return undefined;
      for (const name of inner) names.add(name);
    }
    return node.properties || node.allOf ? names : undefined;
  }

  #checkFormValue(parameter: SchemaNode, raw: string, file: string, path: string): string[] {
    const type = this.#typeOf(parameter, file);
    const target = parameter.$ref ? this.#resolve(parameter.$ref, file) : undefined;
    switch (type) {
      case 'integer': {
        if (!/^-?\d+$/.test(raw)) return [`${path}: ${JSON.stringify(raw)} is not an integer`];
        return this.checkValue({ ...parameter, $ref: undefined, type: 'integer' }, Number(raw), file, path);
      }
      case 'number':
        if (!/^-?\d+(\.\d+)?$/.test(raw)) return [`${path}: ${JSON.stringify(raw)} is not a number`];
        return this.checkValue({ ...parameter, $ref: undefined, type: 'number' }, Number(raw), file, path);
      case 'boolean':
        return raw === '0' || raw === '1' ? [] : [`${path}: ${JSON.stringify(raw)} is not a flag, 0 or 1`];
      case 'array': {
        const items = raw === '' ? [] : raw.split(',');
        const problems: string[] = [];
        if (parameter.minItems !== undefined && items.length < parameter.minItems)
          problems.push(`${path}: fewer than ${parameter.minItems} items`);
        if (parameter.maxItems !== undefined && items.length > parameter.maxItems)
          problems.push(`${path}: more than ${parameter.maxItems} items`);
        const itemNode = parameter.items;
        // An item of `integer or string` (user ids or screen names) may be any text.
        if (itemNode && !(Array.isArray(itemNode.type) && itemNode.type.includes('string')))
          for (const [index, item] of items.entries())
            problems.push(...this.#checkFormValue(itemNode, item, file, `${path}[${index}]`));
        return problems;
      }
      default: {
        const problems = lengthProblems(parameter, raw, path);
        if (parameter.enum && !parameter.enum.includes(raw))
          problems.push(`${path}: ${JSON.stringify(raw)} is not one of ${JSON.stringify(parameter.enum)}`);
        if (!target) return problems;
        // A string standing for an object (`keyboard`: JSON) is checked as that object; an enum as itself.
        if (this.#typeOf(target.node, target.file) === 'object') {
          let parsed: unknown;
          try {
            parsed = JSON.parse(raw);
          } catch {
            return [...problems, `${path}: not JSON`];
          }
          return [...problems, ...this.checkValue(target.node, parsed, target.file, path, true)];
        }
        return [...problems, ...this.checkValue(target.node, raw, target.file, path)];
      }
    }
  }

  /** A node's type, looked up through its `$ref` when it declares none. */
  #typeOf(node: SchemaNode, file: string): string | undefined {
    if (typeof node.type === 'string') return node.type;
    if (Array.isArray(node.type)) return node.type.includes('string') ? 'string' : node.type[0];
    if (node.$ref) {
      const target = this.#resolve(node.$ref, file);
      return this.#typeOf(target.node, target.file);
    }
    return undefined;
  }

  #methodsFile(methodName: string): string {
    return `${methodName.split('.')[0]}/methods.json`;
  }

  /** `../messages/objects.json#/definitions/x` from `file`, or `#/definitions/x` within it. */
  #resolve(ref: string, file: string): Located {
    const [path = '', pointer = ''] = ref.split('#');
    const target = path ? relative(this.dir, join(this.dir, dirname(file), path)) : file;
    if (!existsSync(join(this.dir, target)))
      throw new Error(`$ref ${ref}: ${target} is not in the schema here`);
    return { node: this.#pointer(this.#file(target), pointer, target) as SchemaNode, file: target };
  }

  #pointer(document: unknown, pointer: string, file: string): unknown {
    let node = document;
    for (const part of pointer.split('/').filter(Boolean)) {
      if (!isObject(node) || !(part in node)) throw new Error(`no ${pointer} in ${file}`);
      node = node[part];
    }
    return node;
  }

  #file(file: string): unknown {
    let document = this.#files.get(file);
    if (document === undefined) {
      document = JSON.parse(readFileSync(join(this.dir, file), 'utf8'));
      this.#files.set(file, document);
    }
    return document;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsonTypeFits(type: string, value: unknown): boolean {
  switch (type) {
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isObject(value);
    case 'null':
      return value === null;
    default:
      return true;
  }
}

/**
 * Bounds, and the width VK gives an integer: `int64` where the schema says so (ids), else 32 bits
 * (`random_id`, counts, dates) — the schema marks 64-bit integers and leaves the rest unmarked.
 */
function numberProblems(node: SchemaNode, value: number, path: string): string[] {
  const problems: string[] = [];
  if (node.minimum !== undefined && value < node.minimum)
    problems.push(`${path}: ${value} < ${node.minimum}`);
  if (node.maximum !== undefined && value > node.maximum)
    problems.push(`${path}: ${value} > ${node.maximum}`);
  const isInteger = node.type === 'integer' || (Array.isArray(node.type) && node.type.includes('integer'));
  if (isInteger && Number.isInteger(value)) {
    if (node.format === 'int64' ? !Number.isSafeInteger(value) : value < INT32.min || value > INT32.max)
      problems.push(`${path}: ${value} does not fit ${node.format ?? 'int32'}`);
  }
  return problems;
}

/** Lengths in characters (code points), as JSON Schema counts them. */
function lengthProblems(node: SchemaNode, value: string, path: string): string[] {
  const length = [...value].length;
  const problems: string[] = [];
  if (node.maxLength !== undefined && length > node.maxLength)
    problems.push(`${path}: ${length} characters, more than ${node.maxLength}`);
  if (node.minLength !== undefined && length < node.minLength)
    problems.push(`${path}: ${length} characters, fewer than ${node.minLength}`);
  return problems;
}
