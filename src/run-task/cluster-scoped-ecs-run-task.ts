import { Arn, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';

/**
 * `EcsRunTask` with `ecs:DescribeTasks` and `ecs:StopTask` scoped to the tasks of its cluster,
 * where the base class grants them on every resource.
 */
export class ClusterScopedEcsRunTask extends tasks.EcsRunTask {
  constructor(scope: Construct, id: string, props: tasks.EcsRunTaskProps) {
    super(scope, id, props);
    const tasksOfCluster = Arn.format({
      service: 'ecs',
      resource: 'task',
      resourceName: `${props.cluster.clusterName}/*`,
      account: props.cluster.env.account,
      region: props.cluster.env.region,
    }, Stack.of(this));
    const statements = this.taskPolicies ?? [];
    statements.forEach((statement, i) => {
      if (statement.actions.includes('ecs:DescribeTasks') && statement.resources.includes('*')) {
        statements[i] = new iam.PolicyStatement({ actions: statement.actions, resources: [tasksOfCluster] });
      }
    });
  }
}
