import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { RunDashboardOptions } from './run-dashboard-options';

/** A dashboard row has 24 columns. */
const ROW_COLUMNS = 24;

/** The tallest widget a dashboard body takes. */
const MAX_HEIGHT = 1000;

/** The periods below a minute that CloudWatch accepts; longer ones are whole minutes. */
const SHORT_PERIODS = [1, 5, 10, 30];

/** `RunDashboardOptions` with every default applied, and checked. */
export interface ResolvedDashboardOptions {
  readonly period: Duration;
  readonly width: number;
  readonly height: number;
  readonly titlePrefix: string;
}

/**
 * Applies the defaults of `RunDashboardOptions`, and rejects a size a dashboard cannot hold and a
 * period CloudWatch does not accept.
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
 */
export function resolveDashboardOptions(options: RunDashboardOptions | undefined, defaultTitlePrefix: string): ResolvedDashboardOptions {
  const width = options?.width ?? 6;
  const height = options?.height ?? 6;
  if (!Token.isUnresolved(width) && (!Number.isInteger(width) || width < 1 || width > ROW_COLUMNS)) {
    throw new Error(`\`width\` must be a whole number of columns from 1 to ${ROW_COLUMNS}, got: ${width}.`);
  }
  if (!Token.isUnresolved(height) && (!Number.isInteger(height) || height < 1 || height > MAX_HEIGHT)) {
    throw new Error(`\`height\` must be a whole number of grid units from 1 to ${MAX_HEIGHT}, got: ${height}.`);
  }
  const period = options?.period ?? Duration.minutes(5);
  if (period.isUnresolved()) {
    // The SEARCH expression of the retries by rule holds the period as a number.
    throw new Error(`\`period\` must be known at synth, got a token: ${period.toString()}.`);
  }
  const seconds = period.toSeconds({ integral: false });
  if (!SHORT_PERIODS.includes(seconds) && !(Number.isInteger(seconds) && seconds > 0 && seconds % 60 === 0)) {
    throw new Error(`\`period\` must be 1, 5, 10 or 30 seconds, or a whole number of minutes, got: ${seconds} seconds.`);
  }
  return { period, width, height, titlePrefix: options?.titlePrefix ?? defaultTitlePrefix };
}

/** A graph of one run's metrics, each one a line. */
export interface RunGraph {
  /** What the graph shows, after the title prefix. */
  readonly title: string;
  readonly metrics: cloudwatch.IMetric[];
}

/** The graphs of a run, in the order they appear: a graph that is undefined is left out. */
export function runWidgets(options: ResolvedDashboardOptions, graphs: Array<RunGraph | undefined>): cloudwatch.IWidget[] {
  return graphs.filter((g): g is RunGraph => g !== undefined).map((graph) => new cloudwatch.GraphWidget({
    title: `${options.titlePrefix}: ${graph.title}`,
    left: graph.metrics,
    width: options.width,
    height: options.height,
    // Counts: zero at the bottom, so that a run without failures shows a flat line at 0.
    leftYAxis: { min: 0, showUnits: false },
  }));
}
