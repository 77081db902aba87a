import {
  create,
  type DescMessage,
  fromBinary,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from '@bufbuild/protobuf';
import { NullValue } from '@bufbuild/protobuf/wkt';
import {
  type MethodDefinition,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type sendUnaryData,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { StatusIds_StatusCode as Code, type IssueMessageSchema } from '@ydbjs/api/operation';
import {
  AttachSessionRequestSchema,
  CommitTransactionRequestSchema,
  CommitTransactionResponseSchema,
  CreateSessionRequestSchema,
  CreateSessionResponseSchema,
  DeleteSessionRequestSchema,
  DeleteSessionResponseSchema,
  ExecMode,
  type ExecuteQueryRequest,
  ExecuteQueryRequestSchema,
  ExecuteQueryResponsePartSchema,
  QueryServiceDefinition,
  RollbackTransactionRequestSchema,
  RollbackTransactionResponseSchema,
  SessionStateSchema,
  Syntax,
} from '@ydbjs/api/query';
import {
  type ResultSetSchema,
  type Type,
  type TypedValue,
  Type_PrimitiveTypeId as TypeId,
  type TypeSchema,
  type Value,
  type ValueSchema,
} from '@ydbjs/api/value';

/**
 * A fake YDB Query service on a real gRPC server, for the adapter's own client (`DriverSession`).
 * It speaks the wire format (protobuf through @bufbuild/protobuf, the schemas of `@ydbjs/api`),
 * keeps sessions and transactions as YDB does, and records every call. What the adapter must never
 * do — use an unknown or detached session, begin a second transaction, continue or commit a
 * transaction that isn't the session's, send DDL inside a transaction, send parameters that don't
 * match their DECLAREs — lands in `violations`, which a test expects to stay empty.
 *
 * It answers one table, `claims` (enough for `claims.take`), and any other query through `answer`.
 */

export type Method =
  | 'CreateSession'
  | 'AttachSession'
  | 'ExecuteQuery'
  | 'CommitTransaction'
  | 'RollbackTransaction'
  | 'DeleteSession';

export type TxMode = 'serializableReadWrite' | 'snapshotReadOnly';

/** A primitive (or Optional primitive) column type, as YQL spells it. */
export type ColumnType =
  | 'Utf8'
  | 'Int64'
  | 'Int32'
  | 'Bool'
  | 'Timestamp'
  | 'Json'
  | `Optional<${'Utf8' | 'Int64' | 'Int32' | 'Bool' | 'Timestamp' | 'Json'}>`;

/** A result set to send: values in JS (Int64 number|bigint, Timestamp epoch ms, Json any, null for an empty Optional). */
export interface FakeResultSet {
  columns: Array<[name: string, type: ColumnType]>;
  rows: unknown[][];
}

/** One ExecuteQuery as the fake understood it. */
export interface ExecuteCall {
  session: string;
  /** `begin <mode>`, the txId continued, or `none`. */
  tx: string;
  /** The text after its DECLAREs. */
  body: string;
  /** `$name` → `{ type, value }`, decoded from the TypedValue. */
  params: Record<string, { type: string; value: unknown }>;
}

export interface Fault {
  method: Method;
  status: Code;
  /** For ExecuteQuery: only a statement this matches. */
  when?: (call: ExecuteCall) => boolean;
}

interface FakeTx {
  id: string;
  session: FakeSession;
  mode: TxMode;
  state: 'open' | 'committed' | 'rolled back' | 'aborted' | 'unknown';
  writes: Array<() => void>;
}

interface FakeSession {
  id: string;
  name: string;
  attach: ServerWritableStream<unknown, MessageInitShape<typeof SessionStateSchema>> | null;
  /** How the attach stream ended: by the client (cancelled) or by the server. */
  attachEnd: 'cancelled' | 'ended by server' | null;
  alive: boolean;
  tx: FakeTx | null;
}

export interface ClaimRow {
  key: string;
  value: string;
  owner: string | null;
  createdAt: number;
  expiresAt: number;
}

const primitiveNames: Partial<Record<TypeId, string>> = {
  [TypeId.UTF8]: 'Utf8',
  [TypeId.INT64]: 'Int64',
  [TypeId.INT32]: 'Int32',
  [TypeId.BOOL]: 'Bool',
  [TypeId.TIMESTAMP]: 'Timestamp',
  [TypeId.JSON]: 'Json',
};
const primitiveIds = Object.fromEntries(
  Object.entries(primitiveNames).map(([id, name]) => [name, Number(id) as TypeId]),
) as Record<string, TypeId>;

/** The YQL spelling of a protobuf type, independent of @ydbjs/value. */
function typeName(type: Type | undefined): string {
  if (type?.type.case === 'typeId') return primitiveNames[type.type.value] ?? `Primitive#${type.type.value}`;
  if (type?.type.case === 'optionalType') return `Optional<${typeName(type.type.value.item)}>`;
  return `Unsupported(${type?.type.case})`;
}

/** Decodes a protobuf value of a type to JS, or throws when the value doesn't fit the type. */
function decode(type: Type | undefined, value: Value | undefined): unknown {
  const name = typeName(type);
  const v = value?.value;
  if (type?.type.case === 'optionalType') {
    if (v?.case === 'nullFlagValue') return null;
    return decode(type.type.value.item, value);
  }
  const expected: Record<string, string> = {
    Utf8: 'textValue',
    Json: 'textValue',
    Int64: 'int64Value',
    Int32: 'int32Value',
    Bool: 'boolValue',
    Timestamp: 'uint64Value',
  };
  if (!v || expected[name] !== v.case) throw new Error(`a ${name} value sent as ${v?.case}`);
  if (name === 'Timestamp') return Number((v.value as bigint) / 1000n);
  if (name === 'Json') return JSON.parse(v.value as string);
  return v.value;
}

function encodeType(name: ColumnType): MessageInitShape<typeof TypeSchema> {
  const optional = /^Optional<(\w+)>$/.exec(name);
  if (optional)
    return { type: { case: 'optionalType', value: { item: encodeType(optional[1] as ColumnType) } } };
  const id = primitiveIds[name];
  if (id === undefined) throw new Error(`no type ${name}`);
  return { type: { case: 'typeId', value: id } };
}

function encodeValue(name: ColumnType, js: unknown): MessageInitShape<typeof ValueSchema> {
  const optional = /^Optional<(\w+)>$/.exec(name);
  if (optional) {
    return js === null || js === undefined
      ? { value: { case: 'nullFlagValue', value: NullValue.NULL_VALUE } }
      : encodeValue(optional[1] as ColumnType, js);
  }
  switch (name) {
    case 'Utf8':
      return { value: { case: 'textValue', value: String(js) } };
    case 'Json':
      return { value: { case: 'textValue', value: JSON.stringify(js) } };
    case 'Int64':
      return { value: { case: 'int64Value', value: BigInt(js as number | bigint) } };
    case 'Int32':
      return { value: { case: 'int32Value', value: Number(js) } };
    case 'Bool':
      return { value: { case: 'boolValue', value: Boolean(js) } };
    case 'Timestamp':
      return { value: { case: 'uint64Value', value: BigInt(js as number) * 1000n } };
  }
  throw new Error(`no value for ${name}`);
}

function encodeResultSet(set: FakeResultSet, rows = set.rows): MessageInitShape<typeof ResultSetSchema> {
  return {
    columns: set.columns.map(([name, type]) => ({ name, type: encodeType(type) })),
    rows: rows.map((row) => ({ items: set.columns.map(([, type], i) => encodeValue(type, row[i])) })),
  };
}

const issue = (message: string): MessageInitShape<typeof IssueMessageSchema> => ({
  message,
  severity: 1,
});

/** A grpc-js method whose messages go through @bufbuild/protobuf with the method's own schemas. */
function rpc<I extends DescMessage, O extends DescMessage>(
  method: { path: string; requestStream: boolean; responseStream: boolean },
  input: I,
  output: O,
): MethodDefinition<MessageShape<I>, MessageInitShape<O>> {
  return {
    path: method.path,
    requestStream: method.requestStream,
    responseStream: method.responseStream,
    requestSerialize: (message) => Buffer.from(toBinary(input, message)),
    requestDeserialize: (bytes) => fromBinary(input, bytes),
    responseSerialize: (message) => Buffer.from(toBinary(output, create(output, message))),
    responseDeserialize: (bytes) => fromBinary(output, bytes) as MessageInitShape<O>,
  };
}

const Q = QueryServiceDefinition;
const service: ServiceDefinition = {
  CreateSession: rpc(Q.createSession, CreateSessionRequestSchema, CreateSessionResponseSchema),
  AttachSession: rpc(Q.attachSession, AttachSessionRequestSchema, SessionStateSchema),
  ExecuteQuery: rpc(Q.executeQuery, ExecuteQueryRequestSchema, ExecuteQueryResponsePartSchema),
  CommitTransaction: rpc(
    Q.commitTransaction,
    CommitTransactionRequestSchema,
    CommitTransactionResponseSchema,
  ),
  RollbackTransaction: rpc(
    Q.rollbackTransaction,
    RollbackTransactionRequestSchema,
    RollbackTransactionResponseSchema,
  ),
  DeleteSession: rpc(Q.deleteSession, DeleteSessionRequestSchema, DeleteSessionResponseSchema),
};

type Unary<I extends DescMessage, O extends DescMessage> = (
  call: ServerUnaryCall<MessageShape<I>, MessageInitShape<O>>,
  callback: sendUnaryData<MessageInitShape<O>>,
) => void;

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();
const isDdl = (body: string) => /^\s*(CREATE|ALTER|DROP)\s/i.test(body);

export class FakeYdb {
  readonly calls: Record<Method, number> = {
    CreateSession: 0,
    AttachSession: 0,
    ExecuteQuery: 0,
    CommitTransaction: 0,
    RollbackTransaction: 0,
    DeleteSession: 0,
  };
  /** Every call in order, in words: `ExecuteQuery s1 begin serializableReadWrite → t1: SELECT …`. */
  readonly log: string[] = [];
  readonly executed: ExecuteCall[] = [];
  /** What the client did that YDB would refuse or that the adapter promises never to do. */
  readonly violations: string[] = [];
  /** Statuses to answer instead of success, each used once, in order. */
  readonly faults: Fault[] = [];
  /** The committed `claims` table. */
  readonly claims = new Map<string, ClaimRow>();
  /** Answers a query the fake doesn't know itself; undefined means no result sets. */
  answer: (call: ExecuteCall) => FakeResultSet[] | undefined = () => undefined;
  /** The database the client must name in its metadata. */
  readonly database: string;
  port = 0;

  readonly #server = new Server();
  readonly #sessions = new Map<string, FakeSession>();
  #sessionCount = 0;
  #txCount = 0;
  #stopping = false;

  constructor(database = '/local') {
    this.database = database;
    const implementation: UntypedServiceImplementation = {
      CreateSession: this.#createSession,
      AttachSession: this.#attachSession,
      ExecuteQuery: this.#executeQuery,
      CommitTransaction: this.#commitTransaction,
      RollbackTransaction: this.#rollbackTransaction,
      DeleteSession: this.#deleteSession,
    };
    this.#server.addService(service, implementation);
  }

  get connectionString(): string {
    return `grpc://127.0.0.1:${this.port}${this.database}`;
  }

  async start(): Promise<this> {
    this.port = await new Promise<number>((resolve, reject) =>
      this.#server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(error) : resolve(port),
      ),
    );
    return this;
  }

  /** Stops at once, cutting whatever streams are still open. */
  stop(): void {
    this.#stopping = true;
    this.#server.forceShutdown();
  }

  /** Kills a session as YDB does when it drops one: its attach stream ends, and it is gone. */
  endAttach(name: string): void {
    const session = this.#byName(name);
    session.alive = false;
    session.attachEnd = 'ended by server';
    this.log.push(`AttachSession ${name} ended by server`);
    session.attach?.end();
  }

  /** How a session's attach stream ended, if it did. */
  attachEnd(name: string): FakeSession['attachEnd'] {
    return this.#byName(name).attachEnd;
  }

  /** The statements' sessions and transactions (`s1 begin serializableReadWrite`, `s1 t1`, `s1 none`). */
  get statementTrail(): string[] {
    return this.executed.map((call) => `${call.session} ${call.tx}`);
  }

  #byName(name: string): FakeSession {
    for (const session of this.#sessions.values()) if (session.name === name) return session;
    throw new Error(`no session ${name}`);
  }

  #violation(message: string): void {
    this.violations.push(message);
  }

  /** The session a request names, if it is one the client may use: known, alive, attached. */
  #usable(method: Method, sessionId: string): FakeSession | string {
    const session = this.#sessions.get(sessionId);
    if (!session) return `${method} names an unknown session ${sessionId}`;
    if (!session.alive) return `${method} on ${session.name}, a session YDB dropped`;
    if (!session.attach || session.attachEnd) return `${method} on ${session.name}, not attached`;
    return session;
  }

  #fault(method: Method, call?: ExecuteCall): Code | undefined {
    const index = this.faults.findIndex(
      (fault) => fault.method === method && (!fault.when || (call !== undefined && fault.when(call))),
    );
    if (index < 0) return undefined;
    const [fault] = this.faults.splice(index, 1);
    return fault?.status;
  }

  #createSession: Unary<typeof CreateSessionRequestSchema, typeof CreateSessionResponseSchema> = (
    call,
    callback,
  ) => {
    this.calls.CreateSession++;
    const database = call.metadata.get('x-ydb-database')[0];
    if (database !== this.database) this.#violation(`CreateSession for database ${String(database)}`);
    const n = ++this.#sessionCount;
    const session: FakeSession = {
      id: `ydb://session/3?node_id=1&id=fake-${n}`,
      name: `s${n}`,
      attach: null,
      attachEnd: null,
      alive: true,
      tx: null,
    };
    this.#sessions.set(session.id, session);
    this.log.push(`CreateSession → ${session.name}`);
    callback(null, { status: Code.SUCCESS, sessionId: session.id, nodeId: 1n });
  };

  #attachSession = (
    call: ServerWritableStream<
      MessageShape<typeof AttachSessionRequestSchema>,
      MessageInitShape<typeof SessionStateSchema>
    >,
  ) => {
    this.calls.AttachSession++;
    const session = this.#sessions.get(call.request.sessionId);
    if (!session?.alive || session.attach) {
      this.#violation(
        `AttachSession to ${session ? `${session.name}, dropped or attached` : 'an unknown session'}`,
      );
      call.write({ status: Code.BAD_SESSION, issues: [issue('Session not found')] });
      call.end();
      return;
    }
    session.attach = call as ServerWritableStream<unknown, MessageInitShape<typeof SessionStateSchema>>;
    this.log.push(`AttachSession ${session.name}`);
    call.on('cancelled', () => {
      if (this.#stopping || session.attachEnd) return;
      // The client let go of the session: YDB drops it.
      session.attachEnd = 'cancelled';
      session.alive = false;
      this.log.push(`AttachSession ${session.name} cancelled`);
    });
    // The first state says the session is attached; the stream then stays open for its life.
    call.write({ status: Code.SUCCESS });
  };

  #executeQuery = (
    call: ServerWritableStream<
      MessageShape<typeof ExecuteQueryRequestSchema>,
      MessageInitShape<typeof ExecuteQueryResponsePartSchema>
    >,
  ) => {
    this.calls.ExecuteQuery++;
    const request = call.request;
    const fail = (status: Code, message: string) => {
      call.write({ status, issues: [issue(message)] });
      call.end();
    };
    const session = this.#usable('ExecuteQuery', request.sessionId);
    if (typeof session === 'string') {
      this.#violation(session);
      this.log.push(`ExecuteQuery ✗ ${session}`);
      return fail(Code.BAD_SESSION, 'Session not found');
    }
    const parsed = this.#parse(request, session);
    if (typeof parsed === 'string') {
      this.#violation(parsed);
      this.log.push(`ExecuteQuery ${session.name} ✗ ${parsed}`);
      return fail(Code.BAD_REQUEST, parsed);
    }
    const { call: statement, begin } = parsed;
    this.executed.push(statement);
    const entry = `ExecuteQuery ${session.name} ${statement.tx}`;

    const status = this.#fault('ExecuteQuery', statement);
    if (status !== undefined) {
      // A failed statement ends its transaction: YDB invalidates it (ABORTED: its locks broke).
      if (session.tx?.state === 'open') session.tx.state = 'aborted';
      if (status === Code.BAD_SESSION) session.alive = false;
      this.log.push(`${entry}: ${oneLine(statement.body)} ✗ ${Code[status]}`);
      return fail(status, `injected ${Code[status]}`);
    }

    let tx = session.tx;
    if (begin) {
      tx = { id: `t${++this.#txCount}`, session, mode: begin, state: 'open', writes: [] };
      session.tx = tx;
    }
    this.log.push(`${entry}${begin ? ` → ${tx?.id}` : ''}: ${oneLine(statement.body)}`);
    let sets: FakeResultSet[];
    try {
      sets = this.#run(statement, tx);
    } catch (error) {
      if (tx?.state === 'open') tx.state = 'aborted';
      return fail(Code.GENERIC_ERROR, (error as Error).message);
    }
    // As YDB streams them: a result set may come in several parts; the transaction's id with the last.
    const parts: Array<MessageInitShape<typeof ExecuteQueryResponsePartSchema>> = [];
    sets.forEach((set, index) => {
      const chunks = set.rows.length > 1 ? [set.rows.slice(0, 1), set.rows.slice(1)] : [set.rows];
      for (const rows of chunks) {
        parts.push({
          status: Code.SUCCESS,
          resultSetIndex: BigInt(index),
          resultSet: encodeResultSet(set, rows),
        });
      }
    });
    if (parts.length === 0) parts.push({ status: Code.SUCCESS });
    if (begin && tx) (parts[parts.length - 1] as { txMeta?: { id: string } }).txMeta = { id: tx.id };
    for (const part of parts) call.write(part);
    call.end();
  };

  /** Checks a statement against what YDB and the adapter promise; a string says what is wrong. */
  #parse(
    request: ExecuteQueryRequest,
    session: FakeSession,
  ): { call: ExecuteCall; begin: TxMode | null } | string {
    if (request.execMode !== ExecMode.EXECUTE) return `ExecuteQuery in exec mode ${request.execMode}`;
    if (request.query.case !== 'queryContent') return 'ExecuteQuery without query text';
    if (request.query.value.syntax !== Syntax.YQL_V1) return 'ExecuteQuery not in YQL v1 syntax';
    let rest = request.query.value.text;
    const declared: Record<string, string> = {};
    for (
      let m = /^DECLARE (\$\w+) AS ([^;]+);\n/.exec(rest);
      m;
      m = /^DECLARE (\$\w+) AS ([^;]+);\n/.exec(rest)
    ) {
      declared[m[1] as string] = m[2] as string;
      rest = rest.slice(m[0].length);
    }
    if (/\bDECLARE\b/.test(rest)) return 'a DECLARE after the statement began';
    const params: ExecuteCall['params'] = {};
    for (const [name, typed] of Object.entries(request.parameters) as Array<[string, TypedValue]>) {
      const type = typeName(typed.type);
      if (!(name in declared)) return `parameter ${name} sent but not declared`;
      if (declared[name] !== type) return `parameter ${name} declared ${declared[name]} but sent as ${type}`;
      try {
        params[name] = { type, value: decode(typed.type, typed.value) };
      } catch (error) {
        return `parameter ${name}: ${(error as Error).message}`;
      }
    }
    for (const name of Object.keys(declared)) if (!(name in params)) return `${name} declared but not sent`;

    const control = request.txControl;
    let tx: string;
    let begin: TxMode | null = null;
    if (isDdl(rest)) {
      // YDB: "Scheme operations cannot be executed inside transaction".
      if (control) return `DDL with a transaction control: ${oneLine(rest)}`;
      tx = 'none';
    } else if (!control) {
      return `a statement outside any transaction: ${oneLine(rest)}`;
    } else if (control.commitTx) {
      return 'a statement that commits (the adapter commits explicitly)';
    } else if (control.txSelector.case === 'beginTx') {
      const mode = control.txSelector.value.txMode.case;
      if (mode !== 'serializableReadWrite' && mode !== 'snapshotReadOnly')
        return `a transaction begun in ${mode}`;
      if (session.tx?.state === 'open')
        return `${session.name} begins a transaction while ${session.tx.id} is open`;
      begin = mode;
      tx = `begin ${mode}`;
    } else if (control.txSelector.case === 'txId') {
      const id = control.txSelector.value;
      if (session.tx?.id !== id || session.tx.state !== 'open') {
        return `${session.name} continues ${id}, not its open transaction (${session.tx?.id ?? 'none'})`;
      }
      tx = id;
    } else {
      return 'a transaction control with no selector';
    }
    return { call: { session: session.name, tx, body: rest, params }, begin };
  }

  /** Runs a statement: the `claims` table here, anything else through `answer`. */
  #run(call: ExecuteCall, tx: FakeTx | null): FakeResultSet[] {
    const body = oneLine(call.body);
    const param = (name: string) => call.params[name]?.value;
    if (body.startsWith('SELECT expires_at, owner FROM claims WHERE key = $key')) {
      const row = this.claims.get(param('$key') as string);
      return [
        {
          columns: [
            ['expires_at', 'Timestamp'],
            ['owner', 'Optional<Utf8>'],
          ],
          rows: row ? [[row.expiresAt, row.owner]] : [],
        },
      ];
    }
    if (body.startsWith('UPSERT INTO claims')) {
      if (tx?.mode !== 'serializableReadWrite') throw new Error('a write outside a read-write transaction');
      const row: ClaimRow = {
        key: param('$key') as string,
        value: JSON.stringify(param('$value')),
        owner: param('$owner') as string,
        createdAt: param('$created_at') as number,
        expiresAt: param('$expires_at') as number,
      };
      tx.writes.push(() => this.claims.set(row.key, row));
      return [];
    }
    return this.answer(call) ?? [];
  }

  #commitTransaction: Unary<typeof CommitTransactionRequestSchema, typeof CommitTransactionResponseSchema> = (
    call,
    callback,
  ) => {
    this.calls.CommitTransaction++;
    const { sessionId, txId } = call.request;
    const session = this.#usable('CommitTransaction', sessionId);
    if (typeof session === 'string') {
      this.#violation(session);
      return callback(null, { status: Code.BAD_SESSION, issues: [issue('Session not found')] });
    }
    const tx = session.tx;
    if (tx?.id !== txId || tx.state !== 'open') {
      this.#violation(`${session.name} commits ${txId}, not its open transaction (${tx?.id ?? 'none'})`);
      return callback(null, { status: Code.NOT_FOUND, issues: [issue('Transaction not found')] });
    }
    const status = this.#fault('CommitTransaction');
    this.log.push(
      `CommitTransaction ${session.name} ${txId}${status === undefined ? '' : ` ✗ ${Code[status]}`}`,
    );
    if (status === undefined || status === Code.UNDETERMINED) {
      // An unknown outcome is the worst case here: the commit did apply, only its answer was lost.
      for (const write of tx.writes) write();
      tx.state = status === undefined ? 'committed' : 'unknown';
    } else {
      tx.state = 'aborted';
    }
    callback(
      null,
      status === undefined
        ? { status: Code.SUCCESS }
        : { status, issues: [issue(`injected ${Code[status]}`)] },
    );
  };

  #rollbackTransaction: Unary<
    typeof RollbackTransactionRequestSchema,
    typeof RollbackTransactionResponseSchema
  > = (call, callback) => {
    this.calls.RollbackTransaction++;
    const { sessionId, txId } = call.request;
    const session = this.#sessions.get(sessionId);
    const tx = session?.tx;
    this.log.push(`RollbackTransaction ${session?.name ?? sessionId} ${txId}`);
    if (!session || tx?.id !== txId) {
      this.#violation(`RollbackTransaction of ${txId}, not the session's last transaction`);
      return callback(null, { status: Code.NOT_FOUND, issues: [issue('Transaction not found')] });
    }
    if (tx.state === 'committed') this.#violation(`RollbackTransaction of ${txId}, which committed`);
    if (tx.state !== 'open') {
      return callback(null, { status: Code.NOT_FOUND, issues: [issue('Transaction not found')] });
    }
    tx.state = 'rolled back';
    callback(null, { status: Code.SUCCESS });
  };

  #deleteSession: Unary<typeof DeleteSessionRequestSchema, typeof DeleteSessionResponseSchema> = (
    call,
    callback,
  ) => {
    this.calls.DeleteSession++;
    const session = this.#sessions.get(call.request.sessionId);
    this.log.push(`DeleteSession ${session?.name ?? call.request.sessionId}`);
    if (!session) {
      this.#violation('DeleteSession of an unknown session');
      return callback(null, { status: Code.BAD_SESSION, issues: [issue('Session not found')] });
    }
    const wasAlive = session.alive;
    session.alive = false;
    if (session.attach && !session.attachEnd) {
      session.attachEnd = 'ended by server';
      session.attach.end();
    }
    callback(
      null,
      wasAlive ? { status: Code.SUCCESS } : { status: Code.BAD_SESSION, issues: [issue('gone')] },
    );
  };
}
