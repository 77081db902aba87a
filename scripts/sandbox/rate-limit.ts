/** VK's per-second limit per access token, as a sliding window over the last second's requests. */
export class PerTokenRateLimit {
  /** Arrival times of the last second's admitted requests, per access token. */
  readonly #recentCalls = new Map<string, number[]>();

  /** Whether a request with `token` goes over `limit` a second (0: no limit); if not, it is counted. */
  refuses(token: string, limit: number): boolean {
    if (!limit) return false;
    const now = Date.now();
    const recent = this.#recentCalls.get(token) ?? [];
    this.#recentCalls.set(token, recent);
    while (recent.length > 0 && now - recent[0]! >= 1000) recent.shift();
    if (recent.length >= limit) return true;
    recent.push(now);
    return false;
  }
}
