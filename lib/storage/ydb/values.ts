import { Optional } from '@ydbjs/value/optional';
import {
  Bool,
  BoolType,
  Int32,
  Int32Type,
  Int64,
  Int64Type,
  Json,
  JsonType,
  Timestamp,
  TimestampType,
  Utf8,
  Utf8Type,
} from '@ydbjs/value/primitive';

/**
 * Explicitly typed YQL parameters. The SDK would bind a JS number as Int32 and cannot bind null at
 * all, so every parameter states its YDB type, nullable ones as Optional.
 */
export const yv = {
  text: (value: string) => new Utf8(value),
  int64: (value: number) => new Int64(BigInt(value)),
  int32: (value: number) => new Int32(value),
  bool: (value: boolean) => new Bool(value),
  time: (epochMs: number) => new Timestamp(new Date(epochMs)),
  json: (value: unknown) => new Json(JSON.stringify(value)),
  optText: (value: string | null) => new Optional(value === null ? null : new Utf8(value), new Utf8Type()),
  optInt64: (value: number | null) =>
    new Optional(value === null ? null : new Int64(BigInt(value)), new Int64Type()),
  optInt32: (value: number | null) => new Optional(value === null ? null : new Int32(value), new Int32Type()),
  optBool: (value: boolean | null) => new Optional(value === null ? null : new Bool(value), new BoolType()),
  optTime: (epochMs: number | null) =>
    new Optional(epochMs === null ? null : new Timestamp(new Date(epochMs)), new TimestampType()),
  optJson: (value: unknown | null) =>
    new Optional(value === null ? null : new Json(JSON.stringify(value)), new JsonType()),
};

/** Reading rows back: Int64 arrives as bigint, Timestamp as Date, Json already parsed. */
export const read = {
  num: (value: unknown): number => Number(value),
  optNum: (value: unknown): number | null => (value === null || value === undefined ? null : Number(value)),
  time: (value: unknown): number => (value instanceof Date ? value.getTime() : Number(value)),
  optTime: (value: unknown): number | null =>
    value === null || value === undefined ? null : value instanceof Date ? value.getTime() : Number(value),
  text: (value: unknown): string => String(value),
  optText: (value: unknown): string | null => (value === null || value === undefined ? null : String(value)),
  optBool: (value: unknown): boolean | null =>
    value === null || value === undefined ? null : Boolean(value),
  json: <T>(value: unknown): T => (typeof value === 'string' ? (JSON.parse(value) as T) : (value as T)),
};
