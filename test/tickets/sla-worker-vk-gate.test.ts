import { loadConfig } from '../../lib/config/schema';
import { campaignVkClient } from '../../lib/dispatcher/compose';
import { createLogger } from '../../lib/log/logger';
import type { ClaimRepository, Repositories, Store } from '../../lib/storage/port';
import { SqliteStore } from '../../lib/storage/sqlite/store';
import { vkApiOptions } from '../../lib/vk/client';
import { workerVkClients } from '../../lib/worker/vk-clients';
import { fakeCloudEnvironment } from '../../scripts/fixtures/cloud-env';
import { VkSandbox } from '../../scripts/sandbox/vk-sandbox';

/**
 * The deferred worker (csat-followup) sends SLA alerts and ticket updates with the community token
 * and notifications with the service token. VK counts a token's calls per second across every
 * instance, so each of its clients takes turns at the token's shared gate, in the store: the service
 * token's turns are the same slots the notify-dispatcher's campaigns take.
 */
describe("the deferred worker's VK clients", () => {
  let sandbox: VkSandbox;
  beforeAll(async () => {
    sandbox = await new VkSandbox({ groupId: 1, callbackSecret: 's' }).start(0);
  });
  afterAll(() => sandbox.stop());

  /** A store that records the key of every claim taken in it: the rate gates' slots. */
  const recordingStore = (store: Store, taken: string[]): Store => {
    const recorded = (repositories: Repositories): Repositories => {
      const claims: ClaimRepository = {
        take: async (claim) => {
          const outcome = await repositories.claims.take(claim);
          if (outcome !== 'held') taken.push(claim.key);
          return outcome;
        },
        get: (key, now) => repositories.claims.get(key, now),
        put: (claim) => repositories.claims.put(claim),
      };
      return new Proxy(repositories, {
        get: (target, property) => (property === 'claims' ? claims : Reflect.get(target, property)),
      });
    };
    return {
      transaction: (work, options) =>
        store.transaction((repositories) => work(recorded(repositories)), options),
      read: (work, options) => store.read(work, options),
      ping: (options) => store.ping(options),
      close: () => store.close(),
    };
  };

  it("pace the service token at the gate the dispatcher's campaigns use, the community token at its own", async () => {
    const sqlite = new SqliteStore(':memory:');
    const taken: string[] = [];
    const store = recordingStore(sqlite, taken);
    const config = loadConfig({ ...fakeCloudEnvironment, VK_API_URL: sandbox.apiUrl }, [
      'vk',
      'vkApi',
      'miniApp',
    ]);
    const worker = workerVkClients(store, config);
    const dispatcher = campaignVkClient(
      store,
      {
        ...vkApiOptions(config.vkApi),
        token: config.miniApp.VK_SERVICE_TOKEN,
        rateLimitPerSecond: config.miniApp.VK_SERVICE_RATE_LIMIT,
      },
      createLogger({ level: 'error' }),
    );
    /** The gates whose slots a call took (a slot that started late is taken again: a set). */
    const gatesOf = async (call: () => Promise<unknown>) => {
      const from = taken.length;
      await call();
      return [...new Set(taken.slice(from).map((key) => key.split(':')[1]))];
    };
    const usersGet = { user_ids: '1' };
    expect(await gatesOf(() => worker.appVk.call('users.get', usersGet))).toEqual(['vk-service-token']);
    expect(await gatesOf(() => dispatcher.call('users.get', usersGet))).toEqual(['vk-service-token']);
    expect(await gatesOf(() => worker.groupVk.call('users.get', usersGet))).toEqual(['vk-group-token']);
    await sqlite.close();
  });
});
