"""README's pytest test of a run's retry policy, run by consumers/run.sh with pytest against the
built wheel: simulate() predicts what the run does with failures, offline."""

# README:start
import json

from aws_cdk import App, Stack
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_stepfunctions_tasks as tasks
from cdk_retryable_ecs_run_task import RetryableEcsRunTask, RetryErrors, TaskSize


def stopped_task(**task) -> str:
    """A failed attempt as the run's Catch receives it: the stopped task, as JSON text, is its Cause."""
    return json.dumps({"Error": "States.TaskFailed", "Cause": json.dumps(task)})


OUT_OF_MEMORY = stopped_task(
    StopCode="EssentialContainerExited",
    StoppedReason="Essential container in task exited",
    Containers=[{"Name": "report", "ExitCode": 137, "Reason": "OutOfMemoryError: Container killed due to memory usage"}],
)
SPOT_INTERRUPTION = stopped_task(
    StopCode="SpotInterruption",
    StoppedReason="Your Spot Task was interrupted.",
    Containers=[{"Name": "report", "ExitCode": 143}],
)
PULL_ACCESS_DENIED = stopped_task(
    StopCode="TaskFailedToStart",
    StoppedReason="CannotPullContainerError: pull access denied for report, repository does not exist or may require 'docker login'",
    Containers=[{"Name": "report"}],
)


def nightly_report() -> RetryableEcsRunTask:
    stack = Stack(App(), "ReportStack")
    cluster = ecs.Cluster(stack, "Cluster", enable_fargate_capacity_providers=True)
    task_definition = ecs.FargateTaskDefinition(stack, "Report", cpu=512, memory_limit_mib=1024)
    task_definition.add_container("report", image=ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/busybox:stable"))

    def capacity(provider: str) -> tasks.EcsFargateLaunchTarget:
        return tasks.EcsFargateLaunchTarget(
            platform_version=ecs.FargatePlatformVersion.LATEST,
            capacity_provider_options=tasks.CapacityProviderOptions.custom(
                [ecs.CapacityProviderStrategy(capacity_provider=provider, weight=1)]
            ),
        )

    return RetryableEcsRunTask(
        stack, "NightlyReportJob",
        cluster=cluster,
        task_definition=task_definition,
        launch_target=capacity("FARGATE_SPOT"),
        fallback_launch_target=capacity("FARGATE"),
        out_of_memory_sizes=[TaskSize(memory_mib=2048)],
    )


def test_out_of_memory_runs_the_next_attempt_with_more_memory():
    run = nightly_report().simulate([OUT_OF_MEMORY])
    assert run.status == "SUCCEEDED"
    assert run.attempts[0].decision == "RETRY"
    assert run.attempts[1].memory_mib == 2048


def test_a_spot_interruption_runs_the_next_attempt_on_the_fallback_capacity():
    run = nightly_report().simulate([SPOT_INTERRUPTION])
    assert run.attempts[0].capacity == "primary"
    assert run.attempts[1].capacity == "fallback"


def test_a_denied_image_pull_is_not_retried():
    run = nightly_report().simulate([PULL_ACCESS_DENIED])
    assert run.status == "FAILED"
    assert run.error_name == RetryErrors.NOT_RETRYABLE
    assert len(run.attempts) == 1
# README:end
