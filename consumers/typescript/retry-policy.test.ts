// README's Jest test of a run's retry policy, run by consumers/run.sh with Jest against the
// packed library: simulate() predicts what the run does with failures, offline.
// README:start
import { App, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { RetryableEcsRunTask, RetryErrors } from 'cdk-retryable-ecs-run-task';

/** A failed attempt as the run's Catch receives it: the stopped task, as JSON text, is its Cause. */
function stoppedTask(task: object): string {
  return JSON.stringify({ Error: 'States.TaskFailed', Cause: JSON.stringify(task) });
}

const outOfMemory = stoppedTask({
  StopCode: 'EssentialContainerExited',
  StoppedReason: 'Essential container in task exited',
  Containers: [{ Name: 'report', ExitCode: 137, Reason: 'OutOfMemoryError: Container killed due to memory usage' }],
});
const spotInterruption = stoppedTask({
  StopCode: 'SpotInterruption',
  StoppedReason: 'Your Spot Task was interrupted.',
  Containers: [{ Name: 'report', ExitCode: 143 }],
});
const pullAccessDenied = stoppedTask({
  StopCode: 'TaskFailedToStart',
  StoppedReason: 'CannotPullContainerError: pull access denied for report, repository does not exist or may require \'docker login\'',
  Containers: [{ Name: 'report' }],
});

function nightlyReport(): RetryableEcsRunTask {
  const stack = new Stack(new App(), 'ReportStack');
  const cluster = new ecs.Cluster(stack, 'Cluster', { enableFargateCapacityProviders: true });
  const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Report', { cpu: 512, memoryLimitMiB: 1024 });
  taskDefinition.addContainer('report', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/docker/library/busybox:stable') });
  const capacity = (capacityProvider: string) => new tasks.EcsFargateLaunchTarget({
    platformVersion: ecs.FargatePlatformVersion.LATEST,
    capacityProviderOptions: tasks.CapacityProviderOptions.custom([{ capacityProvider, weight: 1 }]),
  });
  return new RetryableEcsRunTask(stack, 'NightlyReportJob', {
    cluster,
    taskDefinition,
    launchTarget: capacity('FARGATE_SPOT'),
    fallbackLaunchTarget: capacity('FARGATE'),
    outOfMemorySizes: [{ memoryMiB: 2048 }],
  });
}

test('out of memory runs the next attempt with more memory', () => {
  const run = nightlyReport().simulate([outOfMemory]);
  expect(run.status).toBe('SUCCEEDED');
  expect(run.attempts[0].decision).toBe('RETRY');
  expect(run.attempts[1].memoryMiB).toBe(2048);
});

test('a Spot interruption runs the next attempt on the fallback capacity', () => {
  const run = nightlyReport().simulate([spotInterruption]);
  expect(run.attempts[0].capacity).toBe('primary');
  expect(run.attempts[1].capacity).toBe('fallback');
});

test('a denied image pull is not retried', () => {
  const run = nightlyReport().simulate([pullAccessDenied]);
  expect(run.status).toBe('FAILED');
  expect(run.errorName).toBe(RetryErrors.NOT_RETRYABLE);
  expect(run.attempts).toHaveLength(1);
});
// README:end
