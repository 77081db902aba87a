import type { ServerResponse } from 'node:http';
import { execute } from './execute';
import { faultMessages } from './faults';
import type { ApiSteps, RequestAnswer } from './method-context';
import type { RecordedAnswer } from './types';

/**
 * Answers `POST /method/<name>` as api.vk.com does: records the call, checks the version and the
 * access token, applies the token's per-second limit (an `execute` is one request however many calls
 * it holds), plays an injected fault, then runs the method and writes VK's JSON (or a 500, or nothing).
 */
export async function answerApiRequest(
  method: string,
  body: string,
  url: URL,
  response: ServerResponse,
  steps: ApiSteps,
): Promise<void> {
  const params: Record<string, string> = Object.fromEntries(new URLSearchParams(body));
  for (const [key, value] of url.searchParams) params[key] ??= value;
  const { access_token: tokenParam, ...visible } = params;
  const record = (outcome: string, answer?: RecordedAnswer) => {
    steps.calls.push({ method, params: visible, at: Date.now(), outcome, ...(answer ? { answer } : {}) });
  };
  const reply = (outcome: string, answer: RecordedAnswer) => {
    record(outcome, answer);
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
  };
  // VK's error lists the request's parameters (the token left out), the method's name first.
  const vkError = (code: number, message: string) =>
    reply(`error ${code}`, {
      error: {
        error_code: code,
        error_msg: message,
        request_params: [
          { key: 'method', value: method },
          ...Object.entries(visible).map(([key, value]) => ({ key, value })),
        ],
      },
    });

  if (!params.v) return vkError(8, 'Invalid request: v (version) is required');
  const authorization = response.req.headers.authorization ?? '';
  const token = tokenParam || (authorization.startsWith('Bearer ') ? authorization.slice(7) : '');
  if (!token) return vkError(5, 'User authorization failed: no access_token passed.');
  // VK counts a token's requests, whoever sends them; an `execute` is one request however many calls it holds.
  if (steps.refusedByRateLimit(token)) return vkError(6, 'Too many requests per second');
  const fault = steps.takeFault(method, 'request');
  if (fault?.error === 'http500') {
    record('http 500');
    response.writeHead(500).end('Internal Server Error');
    return;
  }
  if (fault?.error === 'timeout') {
    record('timeout');
    // Never answers; the client's timeout fires. The connection is closed when the sandbox stops.
    steps.leaveUnanswered(response);
    return;
  }
  if (typeof fault?.error === 'number') return vkError(fault.error, faultMessages[fault.error]);

  const answer: RequestAnswer =
    method === 'execute' ? await execute(params, steps) : await steps.invoke(method, params);
  if ('transport' in answer) {
    record(answer.transport === 'http500' ? 'http 500' : 'timeout');
    if (answer.transport === 'http500') response.writeHead(500).end('Internal Server Error');
    else steps.leaveUnanswered(response);
    return;
  }
  if (fault?.error === 'lost_answer' || answer.loseAnswer) {
    // The call took effect, but the client sees a 500 and must retry without doubling it.
    record('error' in answer ? `error ${answer.error}` : (answer.outcome ?? 'ok'));
    response.writeHead(500).end('Internal Server Error');
    return;
  }
  if ('error' in answer) return vkError(answer.error, answer.message);
  reply(answer.outcome ?? 'ok', {
    response: answer.response,
    ...(answer.executeErrors?.length ? { execute_errors: answer.executeErrors } : {}),
  });
}
