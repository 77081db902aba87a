import { ConfigError, configVariables, loadConfig } from '../../lib/config/schema';
import { devDefaults } from '../../scripts/local/stack';

describe('configuration', () => {
  it('parses valid values with defaults', () => {
    const config = loadConfig(devDefaults, ['vk', 'vkApi', 'runtime']);
    expect(config.vk.VK_GROUP_ID).toBe(100000001);
    expect(config.vkApi.VK_API_URL).toBe('https://api.vk.com/method');
    expect(config.runtime.APP_TIMEZONE).toBe('Europe/Moscow');
  });

  it('names every bad or missing variable in one message, without their values', () => {
    let caught: unknown;
    try {
      loadConfig(
        {
          ...devDefaults,
          VK_GROUP_ID: 'abc',
          VK_GROUP_TOKEN: '',
          VK_API_URL: 'not a url',
          APP_TIMEZONE: 'Mars/Base',
        },
        ['vk', 'vkApi', 'runtime', 'storage'],
      );
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const error = caught as ConfigError;
    expect([...error.variables].sort()).toEqual([
      'APP_TIMEZONE',
      'VK_API_URL',
      'VK_GROUP_ID',
      'VK_GROUP_TOKEN',
      'YDB_CONNECTION_STRING',
    ]);
    expect(error.message).toContain('VK_GROUP_TOKEN: is required');
    expect(error.message).not.toContain('abc');
  });

  it('lists every variable with whether it is required', () => {
    const variables = configVariables();
    expect(variables).toContainEqual({ section: 'vk', variable: 'VK_GROUP_ID', required: true });
    expect(variables).toContainEqual({ section: 'vkApi', variable: 'VK_API_URL', required: false });
  });
});
