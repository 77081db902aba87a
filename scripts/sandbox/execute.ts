import { faultMessages } from './faults';
import type { ApiSteps, ExecuteErrorEntry, MethodAnswer, RequestAnswer } from './method-context';
import { formParams, MAX_EXECUTE_CALLS, parseExecuteCode } from './vkscript';

/**
 * `execute`: the calls of `return [API.<method>({…}), …];` run one by one exactly as direct calls
 * (same checks, dedup, effects, per-method faults), each recorded in `calls` with `via: 'execute'`.
 * A failed call is `false` in the answer and an entry in `execute_errors`, in order. Code outside
 * that form is VK's 12; a 26th call is VK's 13, after the first 25 took effect. A fault injected
 * for an inner call's method hits that call: a code fails it alone, `lost_answer` loses the whole
 * answer, `http500` and `timeout` end the request there (the calls before it took effect).
 */
export async function execute(params: Record<string, string>, steps: ApiSteps): Promise<RequestAnswer> {
  if (params.code === undefined)
    return {
      error: 100,
      message: 'One of the parameters specified was missing or invalid: code is undefined',
    };
  const script = parseExecuteCode(params.code);
  if ('compileError' in script) return { error: 12, message: script.compileError };
  const results: unknown[] = [];
  const executeErrors: ExecuteErrorEntry[] = [];
  let loseAnswer = false;
  for (const [index, call] of script.calls.entries()) {
    if (index >= MAX_EXECUTE_CALLS)
      return {
        error: 13,
        message: `Runtime error occurred during code invocation: Too many API calls (more than ${MAX_EXECUTE_CALLS})`,
        loseAnswer,
      };
    const fault = steps.takeFault(call.method, 'call');
    if (fault?.error === 'http500' || fault?.error === 'timeout') return { transport: fault.error };
    if (fault?.error === 'lost_answer') loseAnswer = true;
    const form = formParams(call.args);
    const answer: MethodAnswer =
      typeof fault?.error === 'number'
        ? { error: fault.error, message: faultMessages[fault.error] }
        : 'invalid' in form
          ? {
              error: 100,
              message: `One of the parameters specified was missing or invalid: ${form.invalid} is an object`,
            }
          : await steps.invoke(call.method, form);
    steps.calls.push({
      method: call.method,
      params: 'invalid' in form ? {} : form,
      at: Date.now(),
      outcome: 'error' in answer ? `error ${answer.error}` : (answer.outcome ?? 'ok'),
      answer:
        'error' in answer
          ? { error: { error_code: answer.error, error_msg: answer.message } }
          : { response: answer.response },
      via: 'execute',
    });
    if ('error' in answer) {
      results.push(false);
      executeErrors.push({ method: call.method, error_code: answer.error, error_msg: answer.message });
    } else {
      results.push(answer.response);
    }
  }
  return { response: results, executeErrors, loseAnswer };
}
