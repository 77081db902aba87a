import type { ClaimOutcome, ClaimRepository, HeldClaim } from '../../port';
import { json, parse, type Row, type SqliteStatements } from '../sql';

const toClaim = (row: Row, currentOwner: string): HeldClaim => ({
  key: String(row.key),
  value: parse(row.value),
  createdAt: Number(row.created_at),
  expiresAt: Number(row.expires_at),
  mine: row.owner === currentOwner,
});

export function sqliteClaims(sql: SqliteStatements, owner: () => string): ClaimRepository {
  const { one, run } = sql;
  return {
    async take(claim): Promise<ClaimOutcome> {
      // An expired claim is forgotten: the key may be taken again.
      run('DELETE FROM claims WHERE key = ? AND expires_at <= ?', claim.key, claim.createdAt);
      const inserted = run(
        'INSERT OR IGNORE INTO claims (key, value, owner, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
        claim.key,
        json(claim.value),
        owner(),
        claim.createdAt,
        claim.expiresAt,
      ).changes;
      if (inserted === 1) return 'taken';
      return one('SELECT owner FROM claims WHERE key = ?', claim.key)?.owner === owner() ? 'mine' : 'held';
    },
    async get(key, now) {
      const row = one('SELECT * FROM claims WHERE key = ? AND expires_at > ?', key, now);
      return row ? toClaim(row, owner()) : null;
    },
    async put(claim) {
      run(
        'INSERT OR REPLACE INTO claims (key, value, owner, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
        claim.key,
        json(claim.value),
        owner(),
        claim.createdAt,
        claim.expiresAt,
      );
    },
  };
}
