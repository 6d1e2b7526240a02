import { createHash } from 'crypto';
import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct, DependencyGroup } from 'constructs';
import { UnqualifiedLambdaInvoke } from '../decider/unqualified-lambda-invoke';

/**
 * SNS errors worth publishing again: throttling, SNS and KMS server-side trouble, and the
 * generic exception that, as with ECS, carries throttling without a more specific name.
 * Access, parameter and missing-topic errors are not retried; they would fail again.
 *
 * @see https://docs.aws.amazon.com/sns/latest/api/API_Publish.html#API_Publish_Errors
 */
const TRANSIENT_SNS_ERRORS = [
  'SNS.ThrottledException',
  'SNS.InternalErrorException',
  'SNS.KMSThrottlingException',
  'SNS.AmazonSNSException',
  'SNS.SdkClientException',
];

/** Short, capped and jittered: a notification must not hold up the run's result for long. */
export const PUBLISH_RETRY: sfn.RetryProps = {
  errors: TRANSIENT_SNS_ERRORS,
  interval: Duration.seconds(1),
  maxAttempts: 3,
  backoffRate: 2,
  maxDelay: Duration.seconds(5),
  jitterStrategy: sfn.JitterType.FULL,
};

/** Where the pieces of a notification come from. */
export interface NotificationProps {
  readonly topic: sns.ITopic;
  /** `SUCCEEDED` or `FAILED`: the message's `status` field and attribute. */
  readonly status: string;
  /** The message's fields beyond `status` and `execution`. */
  readonly fields: { [key: string]: unknown };
  /** Message attributes beyond `status`. */
  readonly extraAttributes?: { [key: string]: tasks.MessageAttribute };
  /** The run's construct path: the `Run` dimension of the lost-notification metric. */
  readonly run: string;
  /** The stack's decider, which counts lost notifications in its log. */
  readonly decider: lambda.IFunction;
  /** Where a publish error lands when the notification is lost. */
  readonly lostPath: string;
}

/**
 * A notification that can never change the run's result: transient errors are published again,
 * and a publish that still fails is caught, counted (metric `NotificationsLost`) and then left
 * to `whenLost`, which ends the run the way it would have ended without a topic.
 */
export class Notification {
  /** The publishing state: chain the run's normal end after it. */
  public readonly publish: tasks.SnsPublish;

  constructor(scope: Construct, name: string, props: NotificationProps, whenLost: sfn.INextable & sfn.IChainable) {
    this.publish = new TopicPublish(scope, `Notify ${name}`, {
      topic: props.topic,
      message: sfn.TaskInput.fromObject({ status: props.status, execution: sfn.JsonPath.executionId, ...props.fields }),
      messageAttributes: { status: { value: props.status }, ...props.extraAttributes },
      resultPath: sfn.JsonPath.DISCARD,
      ...fifoOptions(props.topic, props.run),
    });
    this.publish.addRetry(PUBLISH_RETRY);

    const count = new UnqualifiedLambdaInvoke(scope, `Count lost ${name} notification`, {
      lambdaFunction: props.decider,
      payload: sfn.TaskInput.fromObject({
        run: props.run,
        lostNotification: { status: props.status, error: sfn.JsonPath.stringAt(`${props.lostPath}.Error`) },
      }),
      resultPath: sfn.JsonPath.DISCARD,
      retryOnServiceExceptions: false,
    });
    // Brief: the result waits for the count.
    count.addRetry({
      errors: ['Lambda.TooManyRequestsException', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException'],
      interval: Duration.seconds(1),
      maxAttempts: 2,
      jitterStrategy: sfn.JitterType.FULL,
    });
    // Counting is best effort: nothing about it may change the result either.
    count.addCatch(whenLost, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
    count.next(whenLost);
    this.publish.addCatch(count, { errors: [sfn.Errors.ALL], resultPath: props.lostPath });
  }
}

/**
 * A FIFO topic needs a message group, and a deduplication id unless it deduplicates by content.
 * One group per run keeps its notifications in order; a fresh id per message keeps the
 * notifications of the runs in one Map apart. `freshId` yields a new id per message, in the
 * engine's query language.
 */
export function fifoOptions(
  topic: sns.ITopic, run: string, freshId: string = sfn.JsonPath.uuid(),
): Pick<tasks.SnsPublishProps, 'messageGroupId' | 'messageDeduplicationId'> {
  if (!topic.fifo) {
    return {};
  }
  return {
    messageGroupId: messageGroupId(run),
    messageDeduplicationId: topic.contentBasedDeduplication ? undefined : freshId,
  };
}

/**
 * SNS takes at most 128 letters, digits and ASCII punctuation as a `MessageGroupId`: every
 * printable ASCII character but the space.
 *
 * @see https://docs.aws.amazon.com/sns/latest/api/API_Publish.html#API_Publish_RequestParameters
 */
const MAX_GROUP_ID_LENGTH = 128;
const VALID_GROUP_ID = /^[\x21-\x7e]{1,128}$/;
const GROUP_ID_CHARACTER = /^[\x21-\x7e]$/;

/**
 * The message group of a run's notifications, derived from its construct path: the path itself
 * when SNS accepts it whole, so that those templates stay as they were. Otherwise each character
 * SNS does not accept becomes `_`, the end of the path is kept (its most specific part), and a
 * hash of the whole path is appended, so that two runs whose paths differ only in replaced or cut
 * characters keep groups of their own.
 *
 * In a JSONata state, a value that starts with `{%` or ends with `%}` is taken for an expression
 * (and rejected unless it is one whole), so such a path is one to replace too; the hash at the end
 * takes care of `%}`.
 */
export function messageGroupId(runPath: string): string {
  if (VALID_GROUP_ID.test(runPath) && !runPath.startsWith('{%') && !runPath.endsWith('%}')) {
    return runPath;
  }
  // UTF-16 code units: unlike UTF-8, they tell every string apart, lone surrogates included.
  const suffix = `-${createHash('sha256').update(runPath, 'utf16le').digest('hex').slice(0, 8)}`;
  const replaced = Array.from(runPath, (c) => (GROUP_ID_CHARACTER.test(c) ? c : '_')).join('');
  const kept = replaced.slice(Math.max(0, replaced.length - (MAX_GROUP_ID_LENGTH - suffix.length)));
  return `${kept.replace(/^\{%/, '_%')}${suffix}`;
}

/**
 * `SnsPublish` granted the way `topic.grantPublish()` grants, so that a topic encrypted with a
 * customer managed KMS key also gets `kms:GenerateDataKey*` and `kms:Decrypt` on its key. The
 * statements go into the state's task policies, which every state machine that contains the
 * state adds to its role: a fragment does not know that role when it is built.
 */
export class TopicPublish extends tasks.SnsPublish {
  constructor(scope: Construct, id: string, props: tasks.SnsPublishProps) {
    super(scope, id, props);
    const collector = new StatementCollector(Stack.of(this).account);
    props.topic.grantPublish(collector);
    const statements = this.taskPolicies ?? [];
    statements.splice(0, statements.length, ...collector.statements);
  }
}

/** A principal that only records what it is granted, for a role that does not exist yet. */
class StatementCollector extends iam.PrincipalBase {
  public readonly statements: iam.PolicyStatement[] = [];
  public readonly policyFragment = new iam.PrincipalPolicyFragment({});

  constructor(public readonly principalAccount: string) {
    super();
  }

  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    this.statements.push(statement);
    return { statementAdded: true, policyDependable: new DependencyGroup() };
  }

  public dedupeString(): string | undefined {
    return undefined;
  }
}
