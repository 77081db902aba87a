import type { Value } from '@ydbjs/value';
import type { ClaimOutcome, ClaimRecord, ClaimRepository, HeldClaim } from '../../port';
import { first, rows, type Sql } from '../sql';
import type { Row } from '../statement';
import { read, yv } from '../values';

const toClaim = (row: Row, owner: string): HeldClaim => ({
  key: read.text(row.key),
  value: read.json(row.value),
  createdAt: read.time(row.created_at),
  expiresAt: read.time(row.expires_at),
  mine: read.optText(row.owner) === owner,
});

const upsertClaim = `UPSERT INTO claims (key, value, owner, created_at, expires_at)
  VALUES ($key, $value, $owner, $created_at, $expires_at)`;
const claimParams = (claim: ClaimRecord, owner: string): Record<string, Value> => ({
  $key: yv.text(claim.key),
  $value: yv.json(claim.value),
  $owner: yv.text(owner),
  $created_at: yv.time(claim.createdAt),
  $expires_at: yv.time(claim.expiresAt),
});

export function ydbClaims(sql: Sql, owner: string): ClaimRepository {
  return {
    async take(claim): Promise<ClaimOutcome> {
      const held = await first(sql, 'SELECT expires_at, owner FROM claims WHERE key = $key', {
        $key: yv.text(claim.key),
      });
      // TTL deletes expired rows only about hourly: an expired claim counts as free.
      if (held && read.time(held.expires_at) > claim.createdAt) {
        return read.optText(held.owner) === owner ? 'mine' : 'held';
      }
      await rows(sql, upsertClaim, claimParams(claim, owner));
      return 'taken';
    },
    async get(key, now) {
      const row = await first(sql, 'SELECT * FROM claims WHERE key = $key AND expires_at > $now', {
        $key: yv.text(key),
        $now: yv.time(now),
      });
      return row ? toClaim(row, owner) : null;
    },
    async put(claim) {
      await rows(sql, upsertClaim, claimParams(claim, owner));
    },
  };
}
