/**
 * Where a run decides whether a failed attempt is retried. Both engines apply the same policy
 * and give the same result, history, error names and causes; a run switches engines by changing
 * `decisionEngine` alone.
 */
export class DecisionEngine {
  /**
   * The stack's one shared decider Lambda function classifies each failure (the default, and the
   * engine of every earlier release). Choose it when you want the decision log line: one JSON line
   * per decision in the decider's log group, which feeds the run's metrics. A retry costs 5 state
   * transitions and 1 Lambda invocation; the success path invokes no Lambda function.
   *
   * Its `name` is `LAMBDA`, the engine's name in the output of `explain`.
   */
  public static readonly LAMBDA_FUNCTION = new DecisionEngine('LAMBDA');

  /**
   * The Lambda engine under its first name: the same object as `LAMBDA_FUNCTION`.
   *
   * @deprecated Use `DecisionEngine.LAMBDA_FUNCTION`, which has the same name in every language.
   * Python, where `lambda` is a keyword, has this one as `DecisionEngine.LAMBDA_`.
   */
  public static readonly LAMBDA = DecisionEngine.LAMBDA_FUNCTION;

  /**
   * The state machine decides by itself, in JSONata expressions rendered from the policy at synth
   * time: no Lambda function, role or log group is created. Choose it to run without Lambda, and
   * for fewer transitions: a retry costs 3 (the Choice, the Wait, the task again), the success
   * path 2 (`fallbackLaunchTarget` adds 1 to each attempt, as with the Lambda engine). Its states
   * use the JSONata query language state by state, so they also run inside a JSONPath workflow,
   * and need aws-cdk-lib 2.180.0 or later. The metrics are counted from the state machine's own
   * log at level ALL, which costs log ingestion: the standalone construct sets that log up; a
   * fragment needs `stateMachineLogGroup`.
   */
  public static readonly STATE_MACHINE = new DecisionEngine('STATE_MACHINE');

  /**
   * @param name `LAMBDA` (the engine `LAMBDA_FUNCTION`) or `STATE_MACHINE`
   */
  private constructor(public readonly name: string) {}
}
