/**
 * The shape of bench/results.json: what a run measured, on which machine, with which settings.
 * Both the runner (run.ts) and the renderer (report.ts) read it; neither imports the other.
 *
 * Named apart from results.json, which `./results` would resolve to at run time.
 *
 * `synth.features` (ours with its adaptive retries) and `cost.adaptive` (one adaptive retry each)
 * are absent from results written before those measurements existed; the renderer skips them then.
 * So are the state machine engine's measurements (`ours-state-machine` in synth, `cost.stateMachine`,
 * `herd.stateMachine`).
 */
import type { CostResult } from './cost-rows';
import type { DeciderCostOptions, DeciderCostResult } from './decider-cost';
import type { ExpressionResult } from './decision-expression';
import type { HerdResult } from './herd';
import type { PayloadResult } from './payload';
import type { SynthOptions, SynthScalingResult } from './synth-scaling';

export interface Settings {
  readonly synth: SynthOptions;
  readonly decider: DeciderCostOptions;
}

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly node: string;
  readonly os: string;
  readonly awsCdkLib: string;
  readonly awsLocalStepFunctions: string;
  readonly commit: string;
  /** 1-minute load average when the run started and ended: other work on the machine skews wall times. */
  readonly loadAverageStart: number;
  loadAverageEnd?: number;
}

export interface Results {
  readonly generatedAt: string;
  readonly command: string;
  readonly machine: Machine;
  readonly settings: Settings;
  totalSeconds?: number;
  synth?: SynthScalingResult;
  decider?: DeciderCostResult;
  cost?: CostResult;
  herd?: HerdResult;
  payload?: PayloadResult;
  /** Absent from results written before the decision expression was measured. */
  expression?: ExpressionResult;
}
