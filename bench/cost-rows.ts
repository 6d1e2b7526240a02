/**
 * The rows and results of benchmark 3 (cost per retry), in a module of their own: its two
 * executors, cost-per-retry.ts (aws-local-stepfunctions) and state-machine-cost.ts (MiniStack),
 * both write them, and the report reads them, so none of them imports another for its types.
 */
import type { Design, OurEngine, OurFeatures } from './baselines';
import type { AdaptiveScenario } from './cost-scenarios';

/** One adaptive scenario of ours, and the success path of the same configuration. */
export interface AdaptiveCostRow {
  /** Which of ours (which decision engine); absent from results written before the state machine engine: `ours`. */
  readonly variant?: OurEngine;
  readonly scenario: AdaptiveScenario;
  readonly features: OurFeatures;
  readonly configuration: string;
  readonly description: string;
  readonly status: string;
  readonly runTaskCalls: number;
  readonly retries: number;
  /** The decision's rule for the failed attempt. */
  readonly rule: string;
  /**
   * The retry's RunTask input changed as the feature says (bigger size; the fallback's capacity
   * provider), or, without features, runs the task where and as the first attempt did. In
   * MiniStack, which does not show the RunTask input: the result's size and capacity, and which
   * ECS task state ran.
   */
  readonly adapted: boolean;
  readonly successTransitions: number;
  readonly successLambdaInvocations: number;
  readonly transitions: number;
  readonly lambdaInvocations: number;
  readonly transitionsPerRetry: number;
  readonly lambdaInvocationsPerRetry: number;
  readonly usdPerMillionRetries: number;
  readonly lambdaRequestUsdPerMillionRetries: number;
}

export interface CostRow {
  readonly variant: Design;
  readonly scenario: string;
  readonly description: string;
  readonly status: string;
  readonly runTaskCalls: number;
  readonly transitions: number;
  readonly lambdaInvocations: number;
  readonly usdPerMillionExecutions: number;
  readonly lambdaRequestUsdPerMillionExecutions: number;
}

export interface PerRetry {
  readonly variant: Design;
  readonly transitionsPerRetry: number;
  readonly lambdaInvocationsPerRetry: number;
  readonly usdPerMillionRetries: number;
}

export interface CostResult {
  readonly usdPer1000Transitions: number;
  readonly usdPerMillionLambdaRequests: number;
  readonly rows: CostRow[];
  readonly perRetry: PerRetry[];
  /** Ours invokes no Lambda function when the first attempt succeeds. */
  readonly oursSuccessPathLambdaFree: boolean;
  /** executeLocally and the generic local runner count ours alike, in every scenario. */
  readonly countersAgree: boolean;
  /** Ours only: one adaptive retry per feature, and the same retry without features; absent from results written before they existed. */
  readonly adaptive?: AdaptiveCostRow[];
  /** The plain single retry costs what the default design's per-retry figure says. */
  readonly plainRetryMatchesPerRetry?: boolean;
  /**
   * The state machine engine, executed in MiniStack: its rows are in `rows`, `perRetry` and
   * `adaptive` beside the others; this says how it was run and checked. Absent from results
   * written before that engine.
   */
  readonly stateMachine?: StateMachineCheck;
}

/** How the state machine engine was run, and what was checked. */
export interface StateMachineCheck {
  /** MiniStack and its version. */
  readonly executor: string;
  /** Lambda invoke states in the state machine engine's definitions run here: none expected. */
  readonly lambdaStatesInDefinitions: number;
  /** States of those definitions with a Retry, which would bill transitions without entering a state: none expected. */
  readonly statesWithRetry: string[];
  /** The Lambda engine, run in MiniStack too, bills the transitions, Lambda invocations and RunTask calls it bills in aws-local-stepfunctions, with the same status. */
  readonly lambdaEngineCountsAgree: boolean;
  /** The Lambda engine's counts in MiniStack, per scenario, for the record. */
  readonly lambdaEngineInMiniStack: { scenario: string; transitions: number; lambdaInvocations: number; runTaskCalls: number; status: string }[];
  /** Each scenario ends as on the Lambda engine: status, RunTask calls, error, cause, and the output but for the jittered waits. */
  readonly sameResultsAsLambdaEngine: boolean;
  /** The scenarios that did not, if any. */
  readonly differentFromLambdaEngine: string[];
  /** Every wait the engine drew (FULL jitter, `$random()`) lies in [0, the schedule's wait after that attempt]. */
  readonly waitsWithinSchedule: boolean;
  /** The waits it drew, by scenario: attempt and seconds. */
  readonly waits: { scenario: string; attempt: number; waitSeconds: number; scheduleSeconds: number }[];
  /** No Lambda invocation on the success path. */
  readonly successPathLambdaFree: boolean;
  /** The states entered, in order, per scenario of the default configuration. */
  readonly statesEntered: Record<string, string[]>;
}

export interface StateMachineCostResult {
  readonly rows: CostRow[];
  readonly perRetry: PerRetry;
  readonly adaptive: AdaptiveCostRow[];
  readonly check: StateMachineCheck;
}
