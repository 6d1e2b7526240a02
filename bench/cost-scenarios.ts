/**
 * The scenarios and prices of benchmark 3 (cost per retry), shared by its two executors:
 * aws-local-stepfunctions for the baselines and the Lambda engine (cost-per-retry.ts), and
 * MiniStack for the state machine engine, whose JSONata aws-local-stepfunctions cannot run
 * (state-machine-cost.ts).
 */
import { BENCH_OOM_SIZES, OurFeatures } from './baselines';
import { failure, successTask } from '../test/support/fixtures';
import type { Outcome } from '../test/support/local-execution';

/**
 * Standard Workflows, US East (N. Virginia): $0.025 per 1,000 state transitions, retries included.
 * https://aws.amazon.com/step-functions/pricing/
 */
export const USD_PER_TRANSITION = 0.025 / 1000;
/** Lambda requests: $0.20 per million. Duration is extra (128 MB, a few ms per decision). https://aws.amazon.com/lambda/pricing/ */
export const USD_PER_LAMBDA_REQUEST = 0.20 / 1_000_000;

export const ok: Outcome = { succeed: successTask() };
export const fail = (name: string): Outcome => ({ fail: failure(name) });

/** The scenarios every design runs, each an ECS outcome per attempt. */
export const SCENARIOS: Record<string, { outcomes: Outcome[]; retries: number; description: string }> = {
  'success': { outcomes: [ok], retries: 0, description: 'first attempt succeeds' },
  'transient-x2': {
    outcomes: [fail('resource-initialization-error'), fail('resource-initialization-error'), ok],
    retries: 2,
    description: 'ResourceInitializationError twice, then success',
  },
  'permanent': {
    outcomes: [fail('cannot-pull-not-found'), fail('cannot-pull-not-found'), fail('cannot-pull-not-found')],
    retries: 0,
    description: 'image not found on every attempt (should not be retried)',
  },
};

export const ADAPTIVE_SCENARIO_NAMES = ['plain-retry', 'oom-retry', 'fallback-retry'] as const;
export type AdaptiveScenario = typeof ADAPTIVE_SCENARIO_NAMES[number];

const capacityOf = (input: any): string | undefined => input?.CapacityProviderStrategy?.[0]?.CapacityProvider;
/** Where and at what size a RunTask input runs the task (every attempt differs in its attempt-number environment variable). */
const placementOf = (input: any) => ({
  taskDefinition: input?.TaskDefinition,
  launchType: input?.LaunchType,
  capacity: input?.CapacityProviderStrategy,
  platformVersion: input?.PlatformVersion,
  cpu: input?.Overrides?.Cpu,
  memory: input?.Overrides?.Memory,
  containerMemory: input?.Overrides?.ContainerOverrides?.map((c: any) => c.Memory),
});

/** What an adaptive scenario's retry must show in the run's result, for executors that do not expose the RunTask input. */
export interface ResultEvidence {
  /** The ECS task states entered, in order. */
  readonly runTaskStates: string[];
  /** `retryableEcsRunTask` of the execution's output. */
  readonly result: any;
}

/**
 * Ours only, one retry each: the test task definition is 256 CPU units and 512 MiB. `adapted`
 * checks that the retry's RunTask input really changed as the feature promises; `adaptedResult`
 * checks the same from the result and the states that ran, where the RunTask input is not seen.
 */
export const ADAPTIVE_SCENARIOS: Record<AdaptiveScenario, {
  features: OurFeatures;
  outcomes: Outcome[];
  description: string;
  configuration: string;
  adapted: (runTaskInputs: any[]) => boolean;
  adaptedResult: (evidence: ResultEvidence) => boolean;
}> = {
  'plain-retry': {
    features: 'none',
    outcomes: [fail('resource-initialization-error'), ok],
    description: 'ResourceInitializationError, then success on the same task',
    configuration: 'defaults, neither feature',
    adapted: ([first, second]) => JSON.stringify(placementOf(first)) === JSON.stringify(placementOf(second)),
    adaptedResult: ({ runTaskStates, result }) => runTaskStates.join() === 'Run task,Run task'
      && result?.size === undefined && result?.capacity === undefined,
  },
  'oom-retry': {
    features: 'outOfMemorySizes',
    outcomes: [fail('oom-fargate'), ok],
    description: 'out of memory at 256 CPU / 512 MiB, then success at 512 / 1024',
    configuration: `\`outOfMemorySizes: [${BENCH_OOM_SIZES.map((z) => `{ cpu: ${z.cpu}, memoryMiB: ${z.memoryMiB} }`).join(', ')}]\``,
    adapted: ([first, second]) => first?.Overrides?.Cpu === '256' && first?.Overrides?.Memory === '512'
      && second?.Overrides?.Cpu === '512' && second?.Overrides?.Memory === '1024',
    adaptedResult: ({ result }) => result?.history?.[0]?.size?.cpu === 256 && result?.history?.[0]?.size?.memoryMiB === 512
      && result?.size?.cpu === 512 && result?.size?.memoryMiB === 1024,
  },
  'fallback-retry': {
    features: 'fallbackLaunchTarget',
    outcomes: [fail('spot-interruption'), ok],
    description: 'Spot interruption on FARGATE_SPOT, then success on FARGATE',
    configuration: '`launchTarget` FARGATE_SPOT, `fallbackLaunchTarget` FARGATE',
    adapted: ([first, second]) => capacityOf(first) === 'FARGATE_SPOT' && capacityOf(second) === 'FARGATE',
    // The state machine engine runs every attempt in its one Run task state, whose Arguments choose the launch target.
    adaptedResult: ({ runTaskStates, result }) => runTaskStates.join() === 'Run task,Run task'
      && result?.history?.[0]?.capacity === 'primary' && result?.capacity === 'fallback',
  },
};
