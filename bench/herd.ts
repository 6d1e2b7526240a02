/**
 * Benchmark 4: herd behaviour. A deterministic discrete-event simulation of 1,000 executions that
 * all hit a transient failure at t = 0 and retry against a throttled RunTask, using the REAL
 * decider code (`decideRetry`, which calls `backoffSeconds`) for ours with the Lambda engine, and
 * the REAL decision expression of the state machine engine (`renderDecisionExpression`, evaluated
 * by the `jsonata` package as Step Functions evaluates it, `$random()` given the same random
 * number) for ours with that engine. Both engines must give the same herd, number for number.
 *
 * Assumptions, stated in RESULTS.md too:
 * - RunTask admits calls through a token bucket: 20 calls/s sustained, burst 100, full at t = 0
 *   (the calls that led to the first failures were made earlier).
 * - An admitted call succeeds: the transient condition has cleared. A throttled call fails with
 *   `ECS.AmazonECSException`, which goes through the same decision and backoff as any failure.
 * - Waits are whole seconds (as the decider returns them); everything else takes no time, so
 *   calls that come due in the same second arrive together, in first-come order.
 * - A Standard execution that would run past one year fails (Step Functions' maximum execution
 *   duration), which only the uncapped seed-shaped schedule reaches.
 */
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { DEFAULT_RETRIES, seedWaitSeconds } from './baselines';
import { reportResult } from './child';
import { median, quantile, round, thousands } from './stats';
import { backoffSeconds, decideRetry } from '../src/decider/decide-retry';
import { EngineVariables, policyDocument, renderDecisionExpression } from '../src/engines/state-machine/decision-expression';
import { renderRetryPolicy } from '../src/policy/render-retry-policy';
import { evaluateSfnJsonata } from '../test/engines/support/sfn-jsonata';
import { failure } from '../test/support/fixtures';

export const HERD = {
  executions: 1000,
  ratePerSecond: 20,
  burst: 100,
  maxAttempts: 50,
  /** https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html: "Maximum execution time: 1 year". */
  maxExecutionSeconds: 365 * 24 * 60 * 60,
  seed: 1,
  /** Further seeds, to show that the jittered results are not one seed's luck. */
  extraSeeds: 9,
};

/** Mulberry32: a tiny, fast, seeded 32-bit PRNG; uniform in [0, 1). It is bit arithmetic by nature. */
/* eslint-disable no-bitwise */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
/* eslint-enable no-bitwise */

type FailureKind = 'transient' | 'throttled';

/** One execution's retry state, as the state machine carries it. */
interface Execution {
  /** The attempt that just failed, 1-based. */
  attempt: number;
  history: unknown;
}

interface Decision {
  readonly retry: boolean;
  readonly waitSeconds: number;
}

/** A design's answer to "attempt n failed with this; retry after how long?" */
interface HerdDesign {
  readonly name: string;
  readonly description: string;
  readonly decide: (execution: Execution, kind: FailureKind, random: () => number) => Decision | Promise<Decision>;
}

const ERRORS: Record<FailureKind, unknown> = {
  transient: failure('resource-initialization-error'),
  throttled: failure('ecs-api-throttled'),
};

/** Ours: the real `decideRetry` with the real payloads, then the Choice state's own checks. */
function ours(jitter: sfn.JitterType): HerdDesign {
  const policy = renderRetryPolicy({ maxAttempts: HERD.maxAttempts, jitterStrategy: jitter });
  return {
    name: `ours (LAMBDA), ${jitter} jitter`,
    description: `decideRetry: ${policy.intervalSeconds} s × ${policy.backoffRate}^(n−1), cap ${policy.maxDelaySeconds} s, `
      + `${jitter === sfn.JitterType.FULL ? 'uniform in [0, delay]' : 'no jitter'}, ${policy.maxAttempts} attempts`,
    decide: (execution, kind, random) => {
      const decision = decideRetry({ policy, attempt: execution.attempt, error: ERRORS[kind], history: execution.history, random: random() });
      execution.history = decision.history;
      const retry = decision.retry && execution.attempt < policy.maxAttempts
        && decision.waitSeconds >= 0 && decision.waitSeconds <= policy.maxDelaySeconds;
      return { retry, waitSeconds: decision.waitSeconds };
    },
  };
}

/** The run's variables the decision expression reads (names of our choosing: each run has its own). */
const VARIABLES: EngineVariables = { attempt: 'run_attempt', history: 'run_history', placement: 'run_placement', policy: 'run_policy', launchTargets: 'run_targets' };

/** How the state machine engine's decisions compared with the decider's on the same inputs. */
export interface DecisionComparison {
  compared: number;
  /** Decisions whose retry, wait, rule or history differed from `decideRetry`'s. */
  differing: number;
}

/**
 * Ours with the state machine engine: the decision expression its Catch evaluates, rendered from
 * the same policy and evaluated by the `jsonata` package with `$random()` returning the same
 * number the Lambda design's `decideRetry` gets; then its Choice state's checks (`Retry or fail`).
 * Each decision is also compared with `decideRetry`'s on the same input.
 */
function oursStateMachine(jitter: sfn.JitterType, comparison: DecisionComparison): HerdDesign {
  const policy = renderRetryPolicy({ maxAttempts: HERD.maxAttempts, jitterStrategy: jitter });
  const expression = renderDecisionExpression(policy, VARIABLES);
  return {
    name: `ours (STATE_MACHINE), ${jitter} jitter`,
    description: `the JSONata decision expression (${thousands(expression.length)} characters) with the same schedule: ${policy.intervalSeconds} s × ${policy.backoffRate}^(n−1), `
      + `cap ${policy.maxDelaySeconds} s, ${jitter === sfn.JitterType.FULL ? '`$random()` full jitter' : 'no jitter'}, ${policy.maxAttempts} attempts`,
    decide: async (execution, kind, random) => {
      const r = random();
      const decision: any = await evaluateSfnJsonata(expression, {
        states: { errorOutput: ERRORS[kind] },
        variables: { [VARIABLES.attempt]: execution.attempt, [VARIABLES.history]: execution.history, [VARIABLES.policy]: policyDocument(policy) },
        random: r,
      });
      const reference = decideRetry({ policy, attempt: execution.attempt, error: ERRORS[kind], history: execution.history, random: r });
      comparison.compared++;
      if (decision.retry !== reference.retry || decision.waitSeconds !== reference.waitSeconds || decision.rule !== reference.rule
        || JSON.stringify(decision.history) !== JSON.stringify(reference.history)) {
        comparison.differing++;
      }
      execution.history = decision.history;
      // Retry or fail's first rule: retry, below maxAttempts, a whole number of seconds within the cap, a history.
      const retry = decision.retry === true && execution.attempt < policy.maxAttempts
        && typeof decision.waitSeconds === 'number' && decision.waitSeconds >= 0 && decision.waitSeconds <= policy.maxDelaySeconds
        && decision.waitSeconds === Math.floor(decision.waitSeconds) && Array.isArray(decision.history);
      return { retry, waitSeconds: decision.waitSeconds };
    },
  };
}

/** Seed-shaped: 2^retryCount seconds, no jitter, no cap; its Lambda treats throttling as retryable. */
function seedShaped(): HerdDesign {
  const retries = HERD.maxAttempts - 1;
  return {
    name: 'seed-shaped, 2^n',
    description: `2^retryCount s (2, 4, 8, …), no jitter, no cap, ${retries} retries`,
    decide: (execution) => ({ retry: execution.attempt <= retries, waitSeconds: seedWaitSeconds(execution.attempt) }),
  };
}

/**
 * Bare, as the baseline is configured: native `Retry` on `States.TaskFailed` only, so a throttled
 * RunTask (`ECS.AmazonECSException`) fails the execution. Native jitter is modelled with our
 * `backoffSeconds` (full jitter), since Step Functions does not document its distribution.
 */
function bare(): HerdDesign {
  const policy = renderRetryPolicy({ maxAttempts: HERD.maxAttempts });
  return {
    name: 'bare, native Retry',
    description: `States.TaskFailed only, 30 s × 2^(n−1), cap 300 s, full jitter, ${HERD.maxAttempts - 1} retries (default: ${DEFAULT_RETRIES})`,
    decide: (execution, kind, random) => ({
      retry: kind === 'transient' && execution.attempt < HERD.maxAttempts,
      waitSeconds: backoffSeconds(policy, execution.attempt, random()),
    }),
  };
}

export const HERD_DESIGNS: HerdDesign[] = [ours(sfn.JitterType.FULL), ours(sfn.JitterType.NONE), seedShaped(), bare()];
/** The Lambda designs the state machine engine's must equal, by jitter. */
const JITTERS = [sfn.JitterType.FULL, sfn.JitterType.NONE] as const;

/** RunTask's admission control: a token bucket refilled continuously. */
class TokenBucket {
  private tokens: number;
  private last = 0;
  constructor(private readonly rate: number, private readonly burst: number) {
    this.tokens = burst;
  }
  take(now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + (now - this.last) * this.rate);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
}

/** A binary min-heap of due RunTask calls, ordered by time, then by when they were scheduled. */
class DueCalls {
  private readonly heap: { time: number; seq: number; execution: number }[] = [];
  private seq = 0;
  get size() {
    return this.heap.length;
  }
  push(time: number, execution: number): void {
    this.heap.push({ time, seq: this.seq++, execution });
    for (let i = this.heap.length - 1; i > 0;) {
      const parent = Math.floor((i - 1) / 2);
      if (!this.before(i, parent)) break;
      [this.heap[i], this.heap[parent]] = [this.heap[parent], this.heap[i]];
      i = parent;
    }
  }
  pop(): { time: number; execution: number } {
    const top = this.heap[0];
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.heap.length && this.before(l, m)) m = l;
        if (r < this.heap.length && this.before(r, m)) m = r;
        if (m === i) break;
        [this.heap[i], this.heap[m]] = [this.heap[m], this.heap[i]];
        i = m;
      }
    }
    return top;
  }
  private before(a: number, b: number): boolean {
    const x = this.heap[a];
    const y = this.heap[b];
    return x.time < y.time || (x.time === y.time && x.seq < y.seq);
  }
}

export interface HerdOutcome {
  readonly design: string;
  readonly description: string;
  readonly seed: number;
  readonly succeeded: number;
  /** Failed for good: attempts used up, or (bare) a failure the design does not retry. */
  readonly gaveUp: number;
  /** Would have run past Step Functions' one-year limit. */
  readonly timedOut: number;
  /** Every RunTask call, the 1,000 that failed at t = 0 included. */
  readonly runTaskCalls: number;
  readonly throttledCalls: number;
  /** Decider (or seed Lambda) invocations: one per failed attempt; bare invokes none. */
  readonly lambdaInvocations: number;
  readonly p50SuccessSeconds: number;
  readonly p99SuccessSeconds: number;
  /** When the last execution that succeeded did; never is the count of those that did not. */
  readonly lastSuccessSeconds: number;
  readonly maxAttemptsUsed: number;
  /** The wait before each execution's first retry (the time to first retry, with RunTask and the states taking no time). */
  readonly firstRetryWait?: { readonly p50: number; readonly p90: number; readonly max: number; readonly mean: number };
}

/** Runs the herd through one design with one seed. */
export async function simulate(design: HerdDesign, seed: number): Promise<HerdOutcome> {
  const random = mulberry32(seed);
  const bucket = new TokenBucket(HERD.ratePerSecond, HERD.burst);
  const executions: Execution[] = Array.from({ length: HERD.executions }, () => ({ attempt: 1, history: [] }));
  const due = new DueCalls();
  const successTimes: number[] = [];
  let gaveUp = 0;
  let timedOut = 0;
  let runTaskCalls = HERD.executions;
  let throttledCalls = 0;
  let decisions = 0;
  let maxAttemptsUsed = 1;
  const firstWaits: number[] = [];

  const failed = async (id: number, now: number, kind: FailureKind) => {
    decisions++;
    const execution = executions[id];
    const { retry, waitSeconds } = await design.decide(execution, kind, random);
    if (execution.attempt === 1 && retry) {
      firstWaits.push(waitSeconds);
    }
    if (!retry) {
      gaveUp++;
    } else if (now + waitSeconds > HERD.maxExecutionSeconds) {
      timedOut++;
    } else {
      due.push(now + waitSeconds, id);
    }
  };

  // Every execution's first attempt failed transiently at t = 0.
  for (let id = 0; id < executions.length; id++) {
    await failed(id, 0, 'transient');
  }
  while (due.size > 0) {
    const { time, execution: id } = due.pop();
    const execution = executions[id];
    execution.attempt++;
    maxAttemptsUsed = Math.max(maxAttemptsUsed, execution.attempt);
    runTaskCalls++;
    if (bucket.take(time)) {
      successTimes.push(time);
    } else {
      throttledCalls++;
      await failed(id, time, 'throttled');
    }
  }

  return {
    design: design.name,
    description: design.description,
    seed,
    succeeded: successTimes.length,
    gaveUp,
    timedOut,
    runTaskCalls,
    throttledCalls,
    // Bare decides natively, the state machine engine in its own states: neither invokes a Lambda function.
    lambdaInvocations: design.name.startsWith('bare') || design.name.includes('STATE_MACHINE') ? 0 : decisions,
    p50SuccessSeconds: successTimes.length ? round(median(successTimes), 1) : NaN,
    p99SuccessSeconds: successTimes.length ? round(quantile(successTimes, 0.99), 1) : NaN,
    lastSuccessSeconds: successTimes.length ? Math.max(...successTimes) : NaN,
    maxAttemptsUsed,
    firstRetryWait: firstWaits.length ? {
      p50: round(median(firstWaits), 1),
      p90: round(quantile(firstWaits, 0.9), 1),
      max: Math.max(...firstWaits),
      mean: round(firstWaits.reduce((a, b) => a + b, 0) / firstWaits.length, 2),
    } : undefined,
  };
}

/** Min and max of the key numbers over several seeds. */
export interface SeedRange {
  readonly design: string;
  readonly seeds: number;
  readonly throttled: [number, number];
  readonly lastSuccess: [number, number];
  readonly neverSucceeded: [number, number];
}

/** The state machine engine's herd against the Lambda engine's, jitter by jitter and seed by seed. */
export interface EngineHerdComparison {
  readonly jitter: string;
  /** The seeds both ran with. */
  readonly seeds: number[];
  /** Every number of every seed's outcome equal (the design's name, description and Lambda invocations aside). */
  readonly identical: boolean;
  /** Decisions of the expression compared with `decideRetry`'s on the same input, and how many differed. */
  readonly decisions: DecisionComparison;
}

export interface HerdResult {
  readonly assumptions: typeof HERD;
  /** One outcome per design, with the primary seed. */
  readonly outcomes: HerdOutcome[];
  /** Per design, the range of key numbers over the primary and extra seeds. */
  readonly seedRanges: SeedRange[];
  /** The same seed gives the same numbers: checked by running the primary seed twice. */
  readonly deterministic: boolean;
  /** The state machine engine against the Lambda engine; absent from results written before that engine. */
  readonly stateMachine?: EngineHerdComparison[];
}

/** The numbers of an outcome, without what names the design. */
const numbersOf = ({ design, description, lambdaInvocations, ...numbers }: HerdOutcome) => JSON.stringify(numbers);

function rangeOf(design: string, runs: HerdOutcome[]): SeedRange {
  const range = (f: (o: HerdOutcome) => number): [number, number] => [Math.min(...runs.map(f)), Math.max(...runs.map(f))];
  return {
    design,
    seeds: runs.length,
    throttled: range((o) => o.throttledCalls),
    lastSuccess: range((o) => o.lastSuccessSeconds),
    neverSucceeded: range((o) => o.gaveUp + o.timedOut),
  };
}

export async function runHerd(log: (line: string) => void): Promise<HerdResult> {
  const outcomes: HerdOutcome[] = [];
  for (const design of HERD_DESIGNS) {
    outcomes.push(await simulate(design, HERD.seed));
  }
  const deterministic = (await Promise.all(HERD_DESIGNS.map((design) => simulate(design, HERD.seed))))
    .every((again, i) => JSON.stringify(again) === JSON.stringify(outcomes[i]));
  const seeds = Array.from({ length: HERD.extraSeeds + 1 }, (_, i) => HERD.seed + i);
  const runsByDesign = new Map<string, HerdOutcome[]>();
  for (const design of HERD_DESIGNS) {
    const runs: HerdOutcome[] = [];
    for (const seed of seeds) {
      runs.push(await simulate(design, seed));
    }
    runsByDesign.set(design.name, runs);
  }

  // The state machine engine: the same herd as the Lambda engine's, or not. With full jitter on
  // every seed; without jitter, which draws no random number, on the primary seed only (each
  // evaluation of the expression takes milliseconds, and that herd makes 5,500 decisions).
  const stateMachine: EngineHerdComparison[] = [];
  const engineOutcomes: HerdOutcome[] = [];
  const engineRanges: SeedRange[] = [];
  for (const jitter of JITTERS) {
    const decisions: DecisionComparison = { compared: 0, differing: 0 };
    const design = oursStateMachine(jitter, decisions);
    const lambdaRuns = runsByDesign.get(ours(jitter).name)!;
    const engineSeeds = jitter === sfn.JitterType.FULL ? seeds : [HERD.seed];
    const runs: HerdOutcome[] = [];
    for (const seed of engineSeeds) {
      runs.push(await simulate(design, seed));
    }
    engineOutcomes.push(runs[0]);
    if (engineSeeds.length === seeds.length) {
      engineRanges.push(rangeOf(design.name, runs));
    }
    const identical = runs.every((run, i) => numbersOf(run) === numbersOf(lambdaRuns[i]));
    stateMachine.push({ jitter, seeds: engineSeeds, identical, decisions });
    log(`  ${design.name}: ${identical ? 'identical to' : 'DIFFERENT from'} the Lambda engine with seeds ${engineSeeds.join(', ')}; `
      + `${decisions.compared} decisions compared with decideRetry, ${decisions.differing} differed`);
  }

  // The state machine engine's rows follow the Lambda engine's, jitter by jitter.
  const allOutcomes = [outcomes[0], engineOutcomes[0], outcomes[1], engineOutcomes[1], ...outcomes.slice(2)];
  for (const o of allOutcomes) {
    log(`  ${o.design.padEnd(34)} succeeded ${o.succeeded}, gave up ${o.gaveUp}, timed out ${o.timedOut}; `
      + `RunTask ${o.runTaskCalls}, throttled ${o.throttledCalls}; last success at ${o.lastSuccessSeconds} s; `
      + `first retry after ${o.firstRetryWait?.p50} s (p50), ${o.firstRetryWait?.max} s (max)`);
  }
  const ranges = HERD_DESIGNS.map((design) => rangeOf(design.name, runsByDesign.get(design.name)!));
  return {
    assumptions: HERD,
    outcomes: allOutcomes,
    seedRanges: [ranges[0], ...engineRanges, ...ranges.slice(1)],
    deterministic,
    stateMachine,
  };
}

if (require.main === module) {
  reportResult(() => runHerd((line) => console.log(line)));
}
