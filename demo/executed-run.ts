import type { ExecutedAttempt, ExecutedRun } from './compare';

/** The ECS task states of a standalone run: the Lambda engine runs the fallback in a state of its own. */
const RUN_TASK_STATE = /^Run task( on fallback)?$/;
const DECIDE_STATE = 'Decide retry';

/**
 * What a standalone run's execution did, from its history as `GetExecutionHistory` returns it
 * (`{ events }`, as AWS records them, with execution data), read independently of the library:
 *
 * - an attempt is each entry into an ECS task state; it ran on the fallback when that state is
 *   `Run task on fallback`, and at the size and where its RunTask request (`TaskScheduled`
 *   parameters) says, or, where the history holds no request, the placement in the state's input;
 * - it failed when the task state recorded `TaskFailed`;
 * - the decision is the decider's answer (`LambdaFunctionSucceeded` of `Decide retry`, or a
 *   `TaskSucceeded` there, as earlier releases invoked it): `RETRY` when it retries, `EXHAUSTED`
 *   when retryable with no attempts left, else `NOT_RETRYABLE`;
 * - the wait is the time between entering and leaving a Wait state after the attempt.
 */
export function executedRun(history: { events: any[] }): ExecutedRun {
  const attempts: Array<Mutable<ExecutedAttempt>> = [];
  let state = '';
  let waitEntered: number | undefined;
  let status = 'RUNNING';
  let errorName: string | undefined;
  let cause: string | undefined;
  const current = () => attempts[attempts.length - 1];

  for (const event of history.events) {
    const type: string = event.type;
    if (type.endsWith('StateEntered')) {
      state = event.stateEnteredEventDetails.name;
      if (type === 'TaskStateEntered' && RUN_TASK_STATE.test(state)) {
        const placement = parse(event.stateEnteredEventDetails.input)?.retryableEcsRunTask?.placement;
        attempts.push({
          attempt: attempts.length + 1,
          state,
          outcome: 'SUCCEEDED',
          capacity: state.endsWith('on fallback') ? 'fallback' : 'primary',
          ...(placement?.size ? { cpu: placement.size.cpu, memoryMiB: placement.size.memoryMiB } : {}),
        });
      }
      if (type === 'WaitStateEntered') {
        waitEntered = Date.parse(event.timestamp);
      }
    } else if (type === 'WaitStateExited' && waitEntered !== undefined && current()) {
      current().waitedSeconds = Math.round((Date.parse(event.timestamp) - waitEntered) / 1000);
      waitEntered = undefined;
    } else if (RUN_TASK_STATE.test(state) && current()) {
      if (type === 'TaskScheduled') {
        const request = parse(event.taskScheduledEventDetails.parameters);
        if (request) {
          const cpu = Number(request.Overrides?.Cpu);
          const memory = Number(request.Overrides?.Memory);
          Object.assign(current(), {
            ...(cpu > 0 && memory > 0 ? { cpu, memoryMiB: memory } : {}),
            ranOn: request.CapacityProviderStrategy?.map((s: any) => s.CapacityProvider).join('+') ?? request.LaunchType,
          });
        }
      } else if (type === 'TaskFailed') {
        current().outcome = 'FAILED';
      }
    } else if (state === DECIDE_STATE && current() && (type === 'LambdaFunctionSucceeded' || type === 'TaskSucceeded')) {
      const output = parse((event.lambdaFunctionSucceededEventDetails ?? event.taskSucceededEventDetails).output);
      const answer = output && 'Payload' in output && 'StatusCode' in output ? output.Payload : output;
      Object.assign(current(), {
        decision: answer.retry ? 'RETRY' : answer.retryable ? 'EXHAUSTED' : 'NOT_RETRYABLE',
        rule: answer.rule,
      });
    } else if (type === 'ExecutionSucceeded') {
      status = 'SUCCEEDED';
    } else if (type === 'ExecutionFailed') {
      status = 'FAILED';
      errorName = event.executionFailedEventDetails.error;
      cause = event.executionFailedEventDetails.cause;
    }
  }
  return { status, ...(errorName ? { errorName } : {}), ...(cause ? { cause } : {}), attempts };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function parse(text: unknown): any {
  if (typeof text !== 'string') {
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
