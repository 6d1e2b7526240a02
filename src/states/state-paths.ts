/**
 * Where the run keeps its working state, under `resultPath`: the attempt counter, the final task
 * description, and `failures`, which holds the history plus either the caught error or the
 * decider's answer.
 */
export class StatePaths {
  public readonly attempt: string;
  public readonly task: string;
  public readonly failures: string;
  public readonly error: string;
  public readonly history: string;
  public readonly retry: string;
  public readonly retryable: string;
  public readonly waitSeconds: string;
  public readonly cause: string;
  public readonly deciderError: string;
  public readonly lostNotificationCause: string;
  /** Where the current attempt runs: size rung and launch target (adaptive runs only). */
  public readonly placement: string;
  /** Where the decider says the next attempt runs. */
  public readonly next: string;

  constructor(public readonly root: string) {
    this.attempt = `${root}.attempt`;
    this.task = `${root}.task`;
    this.failures = `${root}.failures`;
    this.error = `${this.failures}.error`;
    this.history = `${this.failures}.history`;
    this.retry = `${this.failures}.retry`;
    this.retryable = `${this.failures}.retryable`;
    this.waitSeconds = `${this.failures}.waitSeconds`;
    this.cause = `${this.failures}.cause`;
    this.deciderError = `${this.failures}.deciderError`;
    this.lostNotificationCause = `${this.failures}.lostNotificationCause`;
    this.placement = `${root}.placement`;
    this.next = `${this.failures}.next`;
  }
}
