import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import { METRIC_NAMESPACE, RetryDecider } from '../decider/shared-decider';

/** The metric the per-rule filter publishes: `Retries`, as the per-run filter, with the dimensions `Run` and `Rule`. */
export const RETRIES_METRIC = 'Retries';

/** The construct id of the per-rule filter, a child of the stack's decider. */
const FILTER_ID = 'RetriesByRuleFilter';

/** CloudWatch's longest search query: the schema and the search term, in SEARCH's first argument. */
const MAX_SEARCH_QUERY_LENGTH = 1024;

/**
 * The metric filter that counts the retries of every run in the decider's stack by run and by
 * rule, from the decider's `RETRY` lines (`{"run": "<construct path>", "rule": "...", "decision":
 * "RETRY"}`), created the first time a run asks for it: one per stack, however many runs ask.
 *
 * CloudWatch bills each combination of dimension values as a custom metric, and may disable a
 * filter that produces 1,000 name/value pairs in an hour. The runs are the stack's, and the rules
 * come from the policies' lists, so both stay far below that.
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutMetricFilter.html
 */
export function ensureRetriesByRuleFilter(decider: RetryDecider): logs.MetricFilter {
  const existing = decider.node.tryFindChild(FILTER_ID) as logs.MetricFilter | undefined;
  return existing ?? new logs.MetricFilter(decider, FILTER_ID, {
    logGroup: decider.logGroup,
    filterPattern: logs.FilterPattern.stringValue('$.decision', '=', 'RETRY'),
    metricNamespace: METRIC_NAMESPACE,
    metricName: RETRIES_METRIC,
    metricValue: '1',
    unit: cloudwatch.Unit.COUNT,
    dimensions: { Run: '$.run', Rule: '$.rule' },
  });
}

/**
 * A search term's exact-match value: CloudWatch's search syntax has a backslash escape `"`, `\`,
 * `(` and `)` in a double-quoted term. The whole query is a single-quoted string of the metric
 * math expression, where the same backslash escapes `'` (which AWS does not document; Grafana's
 * CloudWatch data source writes it so).
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/search-expression-syntax.html
 */
export function searchExactValue(text: string): string {
  return text.replace(/["\\()']/g, (c) => `\\${c}`);
}

/**
 * The SEARCH expression that finds one run's per-rule retry series and nothing else: the schema
 * `{RetryableEcsRunTask,Rule,Run}` selects the metrics with exactly those dimensions (not the
 * per-run `Retries`), and `Run="<path>"` is an exact match of the whole dimension value. Undefined
 * when the query would be longer than CloudWatch allows (a construct path of about 950
 * characters).
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/search-expression-syntax.html
 */
export function retriesByRuleSearch(runPath: string, periodSeconds: number): string | undefined {
  const query = `{${METRIC_NAMESPACE},Rule,Run} MetricName="${RETRIES_METRIC}" Run="${searchExactValue(runPath)}"`;
  if (query.length > MAX_SEARCH_QUERY_LENGTH) {
    return undefined;
  }
  return `SEARCH('${query}', 'Sum', ${periodSeconds})`;
}
