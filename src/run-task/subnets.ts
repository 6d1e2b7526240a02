import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';

/**
 * Fails at synth time, naming `subnets`, when the task would be placed in the default subnets
 * and the cluster's VPC has none of that type. `EcsRunTask` picks private subnets with egress by
 * default (public ones with `assignPublicIp`), and CDK's own error does not name our prop.
 */
export function checkDefaultSubnets(
  cluster: ecs.ICluster, taskDefinition: ecs.TaskDefinition, subnets?: ec2.SubnetSelection, assignPublicIp?: boolean,
): void {
  if (subnets !== undefined || taskDefinition.networkMode !== ecs.NetworkMode.AWS_VPC) {
    return;
  }
  const subnetType = assignPublicIp ? ec2.SubnetType.PUBLIC : ec2.SubnetType.PRIVATE_WITH_EGRESS;
  try {
    cluster.vpc.selectSubnets({ subnetType });
  } catch (e) {
    const kind = assignPublicIp ? 'public' : 'private (with egress)';
    throw new Error(
      `\`subnets\` is not set, so the task would run in the ${kind} subnets of the cluster's VPC ${cluster.vpc.node.path}, but it has none (${(e as Error).message}). `
      + 'Pass `subnets`: for example `{ subnetType: SubnetType.PUBLIC }` together with `assignPublicIp: true` for public subnets, '
      + '`{ subnetType: SubnetType.PRIVATE_ISOLATED }` for isolated ones, or a selection of the subnets to use.',
    );
  }
}
