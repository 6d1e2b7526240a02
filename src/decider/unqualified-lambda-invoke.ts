import * as iam from 'aws-cdk-lib/aws-iam';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';

/**
 * `LambdaInvoke` allowed to invoke the unqualified function only; the base class also grants
 * every version and alias (`:*`), which this run never calls.
 */
export class UnqualifiedLambdaInvoke extends tasks.LambdaInvoke {
  constructor(scope: Construct, id: string, props: tasks.LambdaInvokeProps) {
    super(scope, id, props);
    const statements = this.taskPolicies ?? [];
    statements.forEach((statement, i) => {
      if (statement.actions.includes('lambda:InvokeFunction')) {
        statements[i] = new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.lambdaFunction.functionArn] });
      }
    });
  }
}
