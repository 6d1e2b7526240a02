import { Duration } from 'aws-cdk-lib';

/** Options of `dashboardWidgets()`, on a `RetryableEcsRunTask` or a `RetryableEcsRunTaskFragment`. */
export interface RunDashboardOptions {
  /**
   * The period each widget sums its metrics over: 1, 5, 10 or 30 seconds, or a whole number of
   * minutes.
   *
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;

  /**
   * The width of each widget, in the columns of a dashboard row, which has 24. A run has at most
   * four widgets: at the default width they fill one row.
   *
   * @default 6
   */
  readonly width?: number;

  /**
   * The height of each widget, in the dashboard's grid units.
   *
   * @default 6
   */
  readonly height?: number;

  /**
   * The text each widget's title starts with, followed by what the widget shows (`: runs`,
   * `: retries by rule`, ...), so that the widgets of several runs on one dashboard tell which
   * run they show.
   *
   * @default - the construct path of the run (`MyStack/NightlyReportJob` for a `RetryableEcsRunTask`, `MyStack/Pipeline/Extract` for a fragment)
   */
  readonly titlePrefix?: string;
}
