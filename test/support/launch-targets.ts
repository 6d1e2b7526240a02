import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';

/** Fargate through one capacity provider (`FARGATE_SPOT` or `FARGATE`), platform version LATEST: the launch targets of the adaptive tests. */
export function fargateCapacity(capacityProvider: string): tasks.EcsFargateLaunchTarget {
  return new tasks.EcsFargateLaunchTarget({
    platformVersion: ecs.FargatePlatformVersion.LATEST,
    capacityProviderOptions: tasks.CapacityProviderOptions.custom([{ capacityProvider, weight: 1 }]),
  });
}
