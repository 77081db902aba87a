import * as z from 'zod';
import { AppError } from '../errors';

/**
 * Every environment variable the system reads, in one place, grouped in sections. A process parses
 * the sections it needs once, at cold start; any bad or missing value stops it with one message that
 * names every bad variable (never its value: some are secrets).
 */

const positiveInt = z.coerce.number().int().positive();
const secret = z.string().min(1, 'is required');
const url = z.url('must be a URL');

export const configSections = {
  vk: z.object({
    /** The community's id, a positive number (no minus sign). */
    VK_GROUP_ID: positiveInt,
    /** Community access token with the `messages` scope. */
    VK_GROUP_TOKEN: secret,
    /** The secret key set in the community's Callback API settings. */
    VK_CALLBACK_SECRET: secret,
    /** The string VK expects in answer to a `confirmation` event. */
    VK_CONFIRMATION_CODE: secret,
    /** Requests per second allowed with the community token (VK allows 20). */
    VK_GROUP_RATE_LIMIT: positiveInt.max(1000).default(20),
  }),
  /** How any process reaches the VK API, whichever token it holds. */
  vkApi: z.object({
    VK_API_URL: url.default('https://api.vk.com/method'),
    VK_API_VERSION: z
      .string()
      .regex(/^5\.\d+$/, 'must look like 5.199')
      .default('5.199'),
    VK_API_TIMEOUT_MS: positiveInt.max(60_000).default(5000),
  }),
  miniApp: z.object({
    VK_APP_ID: positiveInt,
    /** The mini app's protected key: signs launch params. */
    VK_APP_SECRET: secret,
    /** The mini app's service token: sends notifications. */
    VK_SERVICE_TOKEN: secret,
    /** Requests per second allowed with the service token (VK: 5–60 by audience). */
    VK_SERVICE_RATE_LIMIT: positiveInt.max(1000).default(5),
    /**
     * Mini app notifications one user may get a day, campaigns, ticket updates and surveys together.
     * VK allows 3 (and 1 an hour); the team prefers 1.
     */
    NOTIFY_DAILY_CAP: positiveInt
      .max(2, 'must be at most 2 (VK allows 3 a day, and the last one is kept for ticket updates)')
      .default(1),
    /**
     * Marketing community messages (journeys' steps and daily campaigns' mailings, together) one user
     * may get a UTC day; ticket messages don't count against it.
     */
    MARKETING_MESSAGES_DAILY_CAP: positiveInt.max(10).default(1),
    /**
     * Users the notify-dispatcher's daily run asks the NPS question in the community chat (each at most
     * once in 90 days; the message counts against MARKETING_MESSAGES_DAILY_CAP). 0 turns the survey off.
     */
    NPS_SURVEY_DAILY_LIMIT: z.coerce.number().int().min(0).max(100_000).default(200),
  }),
  storage: z.object({
    /** `grpcs://ydb.serverless.yandexcloud.net:2135/?database=/ru-central1/…` */
    YDB_CONNECTION_STRING: z
      .string()
      .regex(/^grpcs?:\/\/[^/]+(\/.*)?$/, 'must be grpc:// or grpcs:// with a database')
      .refine((value) => /[?&]database=|:\d+\/./.test(value), 'must name the database'),
    /** How the YDB driver authenticates: the function's IAM token, the VM metadata, a token, or none. */
    YDB_AUTH: z.enum(['context-token', 'metadata', 'access-token', 'anonymous']).default('context-token'),
    YDB_ACCESS_TOKEN: z.string().optional(),
    /** Upper bound on one YDB call, retries included. */
    YDB_TIMEOUT_MS: positiveInt.max(60_000).default(5000),
  }),
  queue: z.object({
    YMQ_ENDPOINT: url.default('https://message-queue.api.cloud.yandex.net'),
    YMQ_REGION: z.string().min(1).default('ru-central1'),
    /** Static access key of the function's service account (from Lockbox). */
    YMQ_ACCESS_KEY_ID: secret,
    YMQ_SECRET_ACCESS_KEY: secret,
    YMQ_DEFERRED_QUEUE_URL: url,
    YMQ_NOTIFY_QUEUE_URL: url,
    YMQ_CRM_QUEUE_URL: url,
    /** Dead-letter queues: where the deferred worker puts a job it gives up (and ops look). */
    YMQ_DEFERRED_DLQ_URL: url,
    YMQ_NOTIFY_DLQ_URL: url,
    YMQ_CRM_DLQ_URL: url,
  }),
  runtime: z.object({
    LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    /** The community's timezone, for business hours and quiet hours. */
    APP_TIMEZONE: z
      .string()
      .refine((zone) => isTimeZone(zone), 'must be an IANA timezone like Europe/Moscow')
      .default('Europe/Moscow'),
    /**
     * Quiet hours for users who set none, local `HH:MM-HH:MM` (or `off`): surveys and notifications
     * falling in them wait until they end.
     */
    DEFAULT_QUIET_HOURS: z
      .string()
      .regex(/^(off|([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d)$/, 'must look like 22:00-09:00 or off')
      .default('22:00-09:00')
      .transform((value) => {
        if (value === 'off') return null;
        const [from = '', to = ''] = value.split('-');
        return { from, to };
      }),
  }),
  /** Ticket lifecycle knobs, read by every process that changes tickets. */
  support: z
    .object({
      /** Tickets one user may file per hour before 429 (POST /api/tickets). */
      TICKETS_PER_HOUR: positiveInt.max(1000).default(5),
      /** A message on a resolved ticket reopens it within this window; later it starts a linked ticket. */
      TICKET_REOPEN_WINDOW_HOURS: positiveInt.max(24 * 365).default(168),
      /** A resolved ticket closes itself after this long. */
      TICKET_AUTO_CLOSE_HOURS: positiveInt.max(24 * 365).default(72),
      /**
       * FZ-152: a closed ticket's personal data (contact, texts, attachments, the requester) is kept
       * this long after it closes, then anonymised. Users are told this number when asked for a contact.
       */
      PERSONAL_DATA_RETENTION_DAYS: positiveInt.max(3650).default(180),
      /** Peer id of the operators' chat (2000000000 + chat id) for SLA alerts and ticket cards. */
      OPERATORS_CHAT_PEER_ID: z.coerce.number().int().min(2_000_000_001).optional(),
      /**
       * More operators' chats, for categories that name one (`"chat": "payments"` in
       * content/support.json): comma-separated `key=peer id`, e.g. `payments=2000000004`. A category
       * whose key is not here goes to OPERATORS_CHAT_PEER_ID.
       */
      OPERATORS_CHATS: z
        .string()
        .default('')
        .transform((value, context) => {
          const chats: Record<string, number> = {};
          for (const entry of value.split(',').map((part) => part.trim())) {
            if (entry === '') continue;
            const match = /^([a-z][a-z0-9_-]{0,31})=(\d{10,15})$/.exec(entry);
            const peerId = Number(match?.[2]);
            if (!match?.[1] || peerId < 2_000_000_001 || match[1] in chats) {
              context.addIssue({
                code: 'custom',
                message: 'must be comma-separated key=peer id (2000000000 + chat id), each key once',
              });
              return z.NEVER;
            }
            chats[match[1]] = peerId;
          }
          return chats;
        }),
      /** Peer id of the leads' chat: a ticket past its SLA escalates there once; unset: the operators' chat. */
      LEAD_CHAT_PEER_ID: z.coerce.number().int().min(2_000_000_001).optional(),
      /** A shift (`/shift on`) ends on its own this long after it began, if nobody said `/shift off`. */
      OPERATOR_SHIFT_HOURS: positiveInt.max(24 * 7).default(12),
      /** The bot stays silent in a dialog this long after an operator wrote there (renewed by each message). */
      OPERATOR_PAUSE_MINUTES: positiveInt.max(24 * 60).default(30),
      /** Where ticket events are POSTed for a CRM, signed with CRM_WEBHOOK_SECRET; unset: none. */
      CRM_WEBHOOK_URL: url.optional(),
      CRM_WEBHOOK_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
    })
    .refine((support) => !support.CRM_WEBHOOK_URL || support.CRM_WEBHOOK_SECRET, {
      message: 'is required when CRM_WEBHOOK_URL is set',
      path: ['CRM_WEBHOOK_SECRET'],
    }),
  /** Satisfaction surveys after a ticket is resolved (scheduled by every process that resolves tickets). */
  csat: z.object({
    /** The survey goes this long after the resolution (through the deferred queue: any delay works). */
    CSAT_DELAY_MINUTES: positiveInt.max(7 * 24 * 60).default(30),
    /** One reminder this long after an unanswered survey; 0 sends none. */
    CSAT_REMINDER_HOURS: z.coerce.number().int().min(0).max(168).default(24),
    /** `five`: 1–5 with emoji; `thumbs`: 👍/👎 (stored as 5 and 1). */
    CSAT_SCALE: z.enum(['five', 'thumbs']).default('five'),
    /** Peer id of the quality lead's chat (2000000000 + chat id) for low-rating alerts; unset: logged only. */
    QUALITY_CHAT_PEER_ID: z.coerce.number().int().min(2_000_000_001).optional(),
    /** Offered after a high rating ("leave a review"), e.g. the community's reviews page; unset: none. */
    CSAT_REVIEW_URL: url.optional(),
  }),
  /** The mini app's HTTP API (ticket-api). */
  api: z.object({
    /** Comma-separated origins the mini app is served from (CORS), e.g. https://prod-app51000001-….pages.vk-apps.com */
    MINI_APP_ORIGINS: z
      .string()
      .default('')
      .transform((value) =>
        value
          .split(',')
          .map((origin) => origin.trim())
          .filter(Boolean),
      )
      .pipe(z.array(z.url('must be a comma-separated list of origins'))),
    /** Launch params older than this (by vk_ts) are refused. */
    LAUNCH_PARAMS_MAX_AGE_SECONDS: positiveInt.default(86_400),
    /**
     * Operator and CRM credentials: comma-separated `id:role:token`, role `operator` or `admin`,
     * token ≥ 24 characters (from Lockbox). Sent in the `X-Operator-Token` header.
     */
    OPERATOR_TOKENS: z
      .string()
      .min(1, 'is required')
      .transform((value, context) => {
        const credentials = [];
        for (const entry of value.split(',')) {
          const match = /^(\d{1,15}):(operator|admin):(\S{24,})$/.exec(entry.trim());
          if (!match) {
            context.addIssue({
              code: 'custom',
              message: 'each entry must be id:operator|admin:token (token ≥ 24 chars)',
            });
            return z.NEVER;
          }
          credentials.push({
            operatorId: Number(match[1]),
            role: match[2] as 'operator' | 'admin',
            token: match[3] as string,
          });
        }
        return credentials;
      }),
  }),
  local: z.object({
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    DATA_DIR: z.string().min(1).default('.data'),
    /** Port of the VK sandbox; 0 picks a free one. */
    VK_SANDBOX_PORT: z.coerce.number().int().min(0).max(65535).default(8081),
  }),
} as const;

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export type ConfigSectionName = keyof typeof configSections;
export type ConfigSection<S extends ConfigSectionName> = z.infer<(typeof configSections)[S]>;
export type Config<S extends ConfigSectionName> = { [K in S]: ConfigSection<K> };

/**
 * Which sections each function reads (its entry passes exactly this list to createCloudRuntime):
 * Terraform sets exactly these variables for each function.
 */
export const functionConfigSections = {
  'vk-callback': ['vkApi', 'vk', 'support', 'csat', 'storage', 'queue', 'runtime'],
  'ticket-api': ['miniApp', 'support', 'csat', 'api', 'storage', 'queue', 'runtime'],
  'notify-dispatcher': ['vkApi', 'vk', 'miniApp', 'storage', 'queue', 'runtime'],
  'csat-followup': ['vkApi', 'vk', 'miniApp', 'support', 'csat', 'storage', 'queue', 'runtime'],
} as const satisfies Record<string, readonly ConfigSectionName[]>;

/**
 * Variables that hold secrets: in the cloud they come from Lockbox (Terraform's `secrets` blocks),
 * never as plain environment, and they are never logged.
 */
export const secretVariables = [
  'VK_GROUP_TOKEN',
  'VK_CALLBACK_SECRET',
  'VK_CONFIRMATION_CODE',
  'VK_APP_SECRET',
  'VK_SERVICE_TOKEN',
  'YMQ_ACCESS_KEY_ID',
  'YMQ_SECRET_ACCESS_KEY',
  'OPERATOR_TOKENS',
  'CRM_WEBHOOK_SECRET',
  'YDB_ACCESS_TOKEN',
] as const;

export class ConfigError extends AppError {
  readonly variables: readonly string[];

  constructor(problems: ReadonlyArray<{ variable: string; message: string }>) {
    const lines = problems.map((problem) => `  ${problem.variable}: ${problem.message}`);
    super('config', `Invalid environment configuration:\n${lines.join('\n')}`);
    this.variables = problems.map((problem) => problem.variable);
  }
}

type Environment = Record<string, string | undefined>;

/**
 * Parses the named sections from the environment. Empty strings count as unset, so an empty
 * variable falls back to its default or is reported as missing.
 */
export function loadConfig<const S extends ConfigSectionName>(
  environment: Environment,
  sections: readonly S[],
): Config<S> {
  const cleaned: Environment = {};
  for (const [key, value] of Object.entries(environment)) {
    if (value !== undefined && value !== '') cleaned[key] = value;
  }
  const problems: Array<{ variable: string; message: string }> = [];
  const config: Partial<Record<ConfigSectionName, unknown>> = {};
  for (const section of sections) {
    const result = configSections[section].safeParse(cleaned);
    if (result.success) {
      config[section] = result.data;
      continue;
    }
    for (const issue of result.error.issues) {
      const variable = String(issue.path[0] ?? section);
      const message =
        issue.code === 'invalid_type' && cleaned[variable] === undefined ? 'is required' : issue.message;
      problems.push({ variable, message });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config as Config<S>;
}

/** Every variable name the schema knows, with its section: for the README table and Terraform checks. */
export function configVariables(): Array<{
  section: ConfigSectionName;
  variable: string;
  required: boolean;
}> {
  return Object.entries(configSections).flatMap(([section, schema]) =>
    Object.entries(schema.shape).map(([variable, field]) => ({
      section: section as ConfigSectionName,
      variable,
      required: !(field as z.ZodType).safeParse(undefined).success,
    })),
  );
}
