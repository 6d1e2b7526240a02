"""A user's CDK app that installs the built cdk-retryable-ecs-run-task wheel, synthesizes a stack
with it and checks its own cloud assembly. Any failed check exits non-zero. consumers/run.sh runs
it in a fresh virtual environment; it never deploys.

The regions between the README markers are README's Python examples, word for word and in order
(test/readme-examples.test.ts checks them): NightlyReportStack, a complete app;
PartitionPipeline, a construct that embeds two RetryableEcsRunTaskFragments in a Map state; and
MonthlyReport, a construct whose job runs at a bigger task size after running out of memory, and on
on-demand Fargate after Spot lets it down; and batch_jobs_dashboard, the widgets of several runs on
one dashboard.
"""

import json
import sys
from pathlib import Path

from aws_cdk import assertions
from aws_cdk import aws_logs as logs

# README:start
from aws_cdk import App, Duration, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from cdk_retryable_ecs_run_task import DecisionEngine, RetryableEcsRunTask, RetryDefaults, TaskStopCode
from constructs import Construct


class NightlyReportStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)

        # Public subnets and no NAT gateway: the task gets a public IP to pull its image.
        vpc = ec2.Vpc(
            self, "Vpc",
            max_azs=2,
            nat_gateways=0,
            subnet_configuration=[ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC)],
        )
        cluster = ecs.Cluster(self, "Cluster", vpc=vpc)

        # Add the containers before creating the construct.
        task_definition = ecs.FargateTaskDefinition(self, "NightlyReport", cpu=512, memory_limit_mib=1024)
        task_definition.add_container(
            "report",
            image=ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/busybox:stable"),
            command=["sh", "-c", "echo attempt $RETRYABLE_ECS_RUN_TASK_ATTEMPT"],
            logging=ecs.LogDrivers.aws_logs(stream_prefix="report"),
        )
        alerts = sns.Topic(self, "Alerts")

        self.job = RetryableEcsRunTask(
            self, "NightlyReportJob",
            cluster=cluster,
            task_definition=task_definition,
            subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
            assign_public_ip=True,
            max_attempts=5,
            interval=Duration.seconds(10),
            backoff_rate=1.5,
            max_delay=Duration.minutes(2),
            jitter_strategy=sfn.JitterType.NONE,
            # A list you set replaces its default, so each one below starts from the default.
            # A stop code that ECS may add before TaskStopCode has a constant for it:
            retryable_stop_codes=[*RetryDefaults.RETRYABLE_STOP_CODES, TaskStopCode.of("SomeFutureStopCode")],
            # Creating the container sometimes fails on one host and works on the next:
            retryable_stopped_reasons=[*RetryDefaults.RETRYABLE_STOPPED_REASONS, "CannotCreateContainerError:*"],
            # An image built for another CPU architecture will never pull:
            non_retryable_stopped_reasons=[
                *RetryDefaults.NON_RETRYABLE_STOPPED_REASONS,
                "CannotPullContainerError:*no matching manifest*",
            ],
            # The job exits with 75 (EX_TEMPFAIL) or 69 (EX_UNAVAILABLE) when a dependency is briefly down.
            retryable_exit_codes=[75, 69],
            # The job is safe to run again, so an attempt that hit attempt_timeout is retried too:
            retryable_errors=[*RetryDefaults.RETRYABLE_ERRORS, "States.Timeout"],
            attempt_timeout=Duration.hours(2),
            timeout=Duration.hours(8),
            failure_topic=alerts,
            # The default engine, the stack's shared decider function; DecisionEngine.STATE_MACHINE needs none.
            decision_engine=DecisionEngine.LAMBDA_FUNCTION,
        )


app = App()
NightlyReportStack(app, "NightlyReportStack")
app.synth()
# README:end

# README:start
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_stepfunctions as sfn
from cdk_retryable_ecs_run_task import RetryableEcsRunTaskFragment, RetryErrors
from constructs import Construct


class PartitionPipeline(Construct):
    """Extracts and loads every partition of the input, each step a retrying ECS task run."""

    def __init__(
        self, scope: Construct, construct_id: str, *,
        cluster: ecs.ICluster, extract_task: ecs.TaskDefinition, load_task: ecs.TaskDefinition,
    ) -> None:
        super().__init__(scope, construct_id)

        extract = RetryableEcsRunTaskFragment(
            self, "Extract",
            cluster=cluster,
            task_definition=extract_task,
            result_path="$.extract",
        )
        load = RetryableEcsRunTaskFragment(
            self, "Load",
            cluster=cluster,
            task_definition=load_task,
            result_path="$.load",
            retryable_exit_codes=[75],
        )

        # One retrying extract-and-load per partition.
        each_partition = sfn.Map(self, "Each partition", items_path="$.partitions", max_concurrency=10)
        each_partition.item_processor(extract.next(load))
        each_partition.add_catch(
            sfn.Fail(self, "A partition failed"),
            errors=[RetryErrors.NOT_RETRYABLE, RetryErrors.ATTEMPTS_EXHAUSTED],
        )

        self.state_machine = sfn.StateMachine(
            self, "Pipeline",
            definition_body=sfn.DefinitionBody.from_chainable(each_partition),
        )
# README:end

# README:start
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_stepfunctions_tasks as tasks
from cdk_retryable_ecs_run_task import RetryableEcsRunTask, TaskSize
from constructs import Construct


def fargate_capacity(provider: str) -> tasks.EcsFargateLaunchTarget:
    return tasks.EcsFargateLaunchTarget(
        platform_version=ecs.FargatePlatformVersion.LATEST,
        capacity_provider_options=tasks.CapacityProviderOptions.custom([
            ecs.CapacityProviderStrategy(capacity_provider=provider, weight=1),
        ]),
    )


class MonthlyReport(Construct):
    """A report that fits in 1 vCPU and 2 GiB most months, and is given more when it runs out of
    memory. It runs on Fargate Spot, and on on-demand Fargate once Spot lets it down."""

    def __init__(self, scope: Construct, construct_id: str, *, cluster: ecs.ICluster) -> None:
        super().__init__(scope, construct_id)

        task_definition = ecs.FargateTaskDefinition(self, "TaskDefinition", cpu=1024, memory_limit_mib=2048)
        task_definition.add_container(
            "report",
            image=ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/busybox:stable"),
            command=["sh", "-c", "echo attempt $RETRYABLE_ECS_RUN_TASK_ATTEMPT"],
            logging=ecs.LogDrivers.aws_logs(stream_prefix="monthly-report"),
        )

        self.job = RetryableEcsRunTask(
            self, "Job",
            cluster=cluster,
            task_definition=task_definition,
            # Out of memory at 2 GiB: 4 GiB next, then 2 vCPU and 8 GiB.
            out_of_memory_sizes=[TaskSize(memory_mib=4096), TaskSize(cpu=2048, memory_mib=8192)],
            # The cluster needs the Fargate capacity providers (enable_fargate_capacity_providers).
            launch_target=fargate_capacity("FARGATE_SPOT"),
            fallback_launch_target=fargate_capacity("FARGATE"),
            max_attempts=4,
        )
# README:end

# README:start
from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from cdk_retryable_ecs_run_task import RetryableEcsRunTask, RetryableEcsRunTaskFragment


def batch_jobs_dashboard(
    stack: Stack, nightly_report: RetryableEcsRunTask, hourly_report: RetryableEcsRunTask, load: RetryableEcsRunTaskFragment,
) -> cloudwatch.Dashboard:
    """The widgets of several runs on one dashboard: the Lambda engine (nightly_report), the
    state machine engine (hourly_report) and a step of a workflow (load)."""
    # One row per run: each widget is 6 columns wide, and a row has 24.
    return cloudwatch.Dashboard(
        stack, "BatchJobs",
        dashboard_name="batch-jobs",
        widgets=[
            nightly_report.dashboard_widgets(),
            hourly_report.dashboard_widgets(period=Duration.minutes(1)),
            load.dashboard_widgets(title_prefix="Pipeline: load"),
        ],
    )
# README:end


class HourlyReportStack(Stack):
    """An hourly report whose retries the state machine decides by itself
    (DecisionEngine.STATE_MACHINE): JSONata states, and no Lambda function in the stack. The
    TypeScript, Java and Go consumers have the same stack."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)

        vpc = ec2.Vpc(
            self, "Vpc",
            max_azs=2,
            nat_gateways=0,
            subnet_configuration=[ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC)],
        )
        cluster = ecs.Cluster(self, "Cluster", vpc=vpc)
        task_definition = ecs.FargateTaskDefinition(self, "HourlyReport")
        task_definition.add_container(
            "report",
            image=ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/busybox:stable"),
            command=["sh", "-c", "echo attempt $RETRYABLE_ECS_RUN_TASK_ATTEMPT"],
            logging=ecs.LogDrivers.aws_logs(stream_prefix="hourly-report"),
        )

        # The parentheses of the id become "_" in the namespace of the run's metrics.
        self.job = RetryableEcsRunTask(
            self, "Hourly report (no Lambda)",
            cluster=cluster,
            task_definition=task_definition,
            subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC),
            assign_public_ip=True,
            decision_engine=DecisionEngine.STATE_MACHINE,
            max_attempts=6,
            interval=Duration.seconds(15),
            max_delay=Duration.minutes(4),
            retryable_exit_codes=[75],
        )
        # A STATE_MACHINE run creates the metric filter of each metric asked for: here, an alarm on each of three.
        for name, metric in [
            ("Retries", self.job.metric_retries()),
            ("Exhausted", self.job.metric_retries_exhausted()),
            ("NotRetryable", self.job.metric_not_retryable()),
        ]:
            metric.create_alarm(self, f"{name}Alarm", threshold=1, evaluation_periods=1)


def synth_hourly_report(outdir: Path) -> tuple[Path, RetryableEcsRunTask]:
    """Synthesizes a HourlyReportStack in an app of its own. Returns the stack's template file and
    the run."""
    hourly_app = App(outdir=str(outdir))
    stack = HourlyReportStack(hourly_app, "HourlyReportStack")
    assembly = hourly_app.synth()
    return Path(assembly.directory) / assembly.get_stack_artifact(stack.artifact_id).template_file, stack.job


def synth_monthly_report(outdir: Path) -> Path:
    """Puts a MonthlyReport into a stack of its own, with the cluster it is given, and synthesizes
    it in an app of its own. Returns the stack's template file."""
    report_app = App(outdir=str(outdir))
    stack = Stack(report_app, "MonthlyReportStack")
    cluster = ecs.Cluster(
        stack, "Cluster", vpc=ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1), enable_fargate_capacity_providers=True,
    )
    report = MonthlyReport(stack, "MonthlyReport", cluster=cluster)
    check(report.job.state_machine is not None, "report.job.state_machine is set")
    assembly = report_app.synth()
    return Path(assembly.directory) / assembly.get_stack_artifact(stack.artifact_id).template_file


def synth_partition_pipeline(outdir: Path) -> Path:
    """Puts a PartitionPipeline into a stack of its own, with the cluster and the two task
    definitions it is given, and synthesizes it in a second app (the first one has already
    synthesized). Returns the stack's template file."""
    pipeline_app = App(outdir=str(outdir))
    stack = Stack(pipeline_app, "PartitionPipelineStack")
    cluster = ecs.Cluster(stack, "Cluster", vpc=ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1))
    tasks = {}
    for name in ("Extract", "Load"):
        tasks[name] = ecs.FargateTaskDefinition(stack, f"{name}Task")
        tasks[name].add_container(
            name.lower(),
            image=ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/busybox:stable"),
            command=["sh", "-c", f"echo {name.lower()} attempt $RETRYABLE_ECS_RUN_TASK_ATTEMPT"],
        )
    PartitionPipeline(stack, "Partitions", cluster=cluster, extract_task=tasks["Extract"], load_task=tasks["Load"])
    assembly = pipeline_app.synth()
    return Path(assembly.directory) / assembly.get_stack_artifact(stack.artifact_id).template_file


# The default lists, as README documents them.
EXPECTED_DEFAULTS = {
    "retryableStopCodes": ["TaskFailedToStart", "SpotInterruption", "TerminationNotice", "InfrastructureHealth"],
    "retryableStoppedReasons": [
        "ResourceInitializationError:*",
        "CannotPullContainerError:*",
        "Timeout waiting for network interface provisioning*",
        "Host EC2 (instance *) stopped/terminated*",
    ],
    "nonRetryableStoppedReasons": [
        "CannotPullContainerError:*not found*",
        "CannotPullContainerError:*manifest unknown*",
        "CannotPullContainerError:*repository does not exist*",
        "CannotPullContainerError:*access denied*",
        "CannotPullContainerError:*403 Forbidden*",
        "CannotPullContainerError:*401 Unauthorized*",
        "ResourceInitializationError:*AccessDenied*",
        "ResourceInitializationError:*ResourceNotFoundException*",
        "ResourceInitializationError:*ParameterNotFound*",
        "CannotStartContainerError:*executable file not found*",
    ],
    "retryableErrors": ["ECS.AmazonECSException", "ECS.ServerException", "AmazonECS.Unknown"],
    "nonRetryableErrorCauses": [
        "ATTRIBUTE",
        "MemberOf placement constraint unsatisfied*",
        "LOCATION",
        "*TaskDefinition is inactive*",
        "*Unable to describe task definition*",
        "*Error Code: ClusterNotFoundException*",
        "*Error Code: PlatformUnknownException*",
        "*Error Code: PlatformTaskDefinitionIncompatibilityException*",
        "*Error Code: UnsupportedFeatureException*",
        "*Error Code: BlockedException*",
        "*Error Code: AccessDeniedException*",
    ],
}

# The policy NightlyReportStack must render into the "Decide retry" invocation: each list is the
# default (RetryDefaults) followed by what the example adds.
EXPECTED_POLICY = {
    "maxAttempts": 5,
    "intervalSeconds": 10,
    "backoffRate": 1.5,
    "maxDelaySeconds": 120,
    "jitter": "NONE",
    "retryableStopCodes": [*EXPECTED_DEFAULTS["retryableStopCodes"], "SomeFutureStopCode"],
    "retryableStoppedReasons": [*EXPECTED_DEFAULTS["retryableStoppedReasons"], "CannotCreateContainerError:*"],
    "nonRetryableStoppedReasons": [
        *EXPECTED_DEFAULTS["nonRetryableStoppedReasons"],
        "CannotPullContainerError:*no matching manifest*",
    ],
    "retryableExitCodes": [75, 69],
    "retryableErrors": [*EXPECTED_DEFAULTS["retryableErrors"], "States.Timeout"],
    "nonRetryableErrorCauses": EXPECTED_DEFAULTS["nonRetryableErrorCauses"],
}

# The policy HourlyReportStack renders into the comment of its "Retry or fail" state: the defaults
# and what it sets.
EXPECTED_HOURLY_POLICY = {
    "maxAttempts": 6,
    "intervalSeconds": 15,
    "backoffRate": 2,
    "maxDelaySeconds": 240,
    "jitter": "FULL",
    **EXPECTED_DEFAULTS,
    "retryableExitCodes": [75],
}

# The attempt number reaches every container of the task definition, as README documents it.
ATTEMPT_VARIABLE = "RETRYABLE_ECS_RUN_TASK_ATTEMPT"


class CheckFailed(Exception):
    pass


def check(condition: bool, message: str) -> None:
    # Not `assert`, which `python -O` would skip.
    if not condition:
        raise CheckFailed(message)


def parse_definition(definition_string) -> dict:
    """Joins an Fn::Join definition, each token replaced by a placeholder string, and parses it."""
    if isinstance(definition_string, str):
        return json.loads(definition_string)
    separator, parts = definition_string["Fn::Join"]
    return json.loads(separator.join(p if isinstance(p, str) else "TOKEN" for p in parts))


def whole_policy(template_json: dict, policy_diff: dict) -> dict:
    """The whole policy of a LAMBDA_FUNCTION run, as its decider makes it (src/decider/whole-policy.ts).

    "Decide retry" sends what differs from the default policy, with the defaults' id, and the
    template's decider function has the defaults in its environment variable RETRY_POLICY_DEFAULTS.
    The default fallback rules only for a run with a fallback.
    """
    deciders = [
        resource
        for resource in template_json["Resources"].values()
        if resource["Type"] == "AWS::Lambda::Function"
        and "RETRY_POLICY_DEFAULTS" in resource["Properties"].get("Environment", {}).get("Variables", {})
    ]
    check(len(deciders) == 1, f"one decider function with RETRY_POLICY_DEFAULTS in its environment, found {len(deciders)}")
    defaults = json.loads(deciders[0]["Properties"]["Environment"]["Variables"]["RETRY_POLICY_DEFAULTS"])
    diff = dict(policy_diff)
    defaults_id = diff.pop("defaultsId", None)
    check(isinstance(defaults.get("id"), str), f"RETRY_POLICY_DEFAULTS id: {defaults.get('id')}")
    check(defaults_id == defaults["id"], f"Decide retry names defaults {defaults_id}, the decider has {defaults['id']}")
    base = {key: value for key, value in defaults["policy"].items() if key != "fallback"}
    policy = {**base, **diff}
    if "fallback" in diff:
        policy["fallback"] = {**defaults["policy"]["fallback"], **diff["fallback"]}
    return policy


def check_assembly(outdir: Path) -> str:
    manifest = json.loads((outdir / "manifest.json").read_text())
    stack_artifact = manifest["artifacts"]["NightlyReportStack"]
    template_json = json.loads((outdir / stack_artifact["properties"]["templateFile"]).read_text())
    template = assertions.Template.from_json(template_json)

    # One state machine, and one Lambda function: the shared decider.
    template.resource_count_is("AWS::StepFunctions::StateMachine", 1)
    template.resource_count_is("AWS::Lambda::Function", 1)
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {"Runtime": assertions.Match.string_like_regexp("^nodejs"), "Handler": "index.handler"},
    )

    # The policy passed above is rendered into the decider's payload.
    (state_machine,) = template.find_resources("AWS::StepFunctions::StateMachine").values()
    definition = parse_definition(state_machine["Properties"]["DefinitionString"])
    decide = definition["States"].get("Decide retry")
    check(decide is not None, f'"Decide retry" state missing; states: {sorted(definition["States"])}')
    # It sends what differs from the default policy, with the defaults' id; the decider function has
    # the defaults in its environment, and the two make the whole policy.
    diff = decide["Parameters"]["policy"]
    check("nonRetryableErrorCauses" not in diff, f"a list left as its default is sent: {sorted(diff)}")
    policy = whole_policy(template_json, diff)
    check(policy == EXPECTED_POLICY, f"rendered policy differs:\n  got      {policy}\n  expected {EXPECTED_POLICY}")
    check(definition.get("TimeoutSeconds") == 8 * 3600, f'TimeoutSeconds: {definition.get("TimeoutSeconds")}')

    # The decider's code asset was staged into the cloud assembly, and its index.js is not empty.
    (function,) = template.find_resources("AWS::Lambda::Function").values()
    s3_key = function["Properties"]["Code"].get("S3Key")
    check(isinstance(s3_key, str), f'Lambda Code.S3Key: {function["Properties"]["Code"]}')
    sources = [
        entry["source"]
        for asset_manifest in sorted(outdir.glob("*.assets.json"))
        for entry in json.loads(asset_manifest.read_text()).get("files", {}).values()
        if any(d.get("objectKey") == s3_key for d in entry["destinations"].values())
    ]
    check(len(sources) == 1, f"one asset manifest entry for {s3_key}, found {len(sources)}")
    check(sources[0].get("packaging") == "zip", f"decider asset packaging: {sources[0]}")
    index_js = outdir / sources[0]["path"] / "index.js"
    check(index_js.is_file(), f"{index_js} exists")
    size = index_js.stat().st_size
    check(size > 0, f"{index_js} is not empty")
    return (
        f'python consumer: {len(definition["States"])} states, policy as passed, 1 Lambda function, '
        f'decider asset {sources[0]["path"]}/index.js ({size} bytes) in {outdir}'
    )


def check_partition_pipeline(template_file: Path) -> str:
    template_json = json.loads(template_file.read_text())
    template = assertions.Template.from_json(template_json)

    # The user's state machine, and one Lambda function: the decider both fragments share.
    template.resource_count_is("AWS::StepFunctions::StateMachine", 1)
    template.resource_count_is("AWS::Lambda::Function", 1)

    (state_machine,) = template.find_resources("AWS::StepFunctions::StateMachine").values()
    definition = parse_definition(state_machine["Properties"]["DefinitionString"])
    check(definition.get("StartAt") == "Each partition", f'StartAt: {definition.get("StartAt")}')
    check(
        sorted(definition["States"]) == ["A partition failed", "Each partition"],
        f'top-level states: {sorted(definition["States"])}',
    )
    each_partition = definition["States"]["Each partition"]
    check(each_partition["Type"] == "Map", f'"Each partition" is a {each_partition["Type"]}')
    check(each_partition.get("ItemsPath") == "$.partitions", f'ItemsPath: {each_partition.get("ItemsPath")}')
    check(each_partition.get("MaxConcurrency") == 10, f'MaxConcurrency: {each_partition.get("MaxConcurrency")}')
    catch = each_partition.get("Catch", [])
    check(
        catch == [{
            "ErrorEquals": ["RetryableEcsRunTask.NotRetryable", "RetryableEcsRunTask.AttemptsExhausted"],
            "Next": "A partition failed",
        }],
        f"Map Catch: {catch}",
    )

    # Inside the Map: both fragments, each state prefixed with its construct id, Extract first.
    processor = each_partition["ItemProcessor"]
    inner = processor["States"]
    check(processor.get("StartAt") == "Extract: Start attempts", f'ItemProcessor.StartAt: {processor.get("StartAt")}')
    unprefixed = [name for name in inner if not name.startswith(("Extract: ", "Load: "))]
    check(not unprefixed, f"states inside the Map without a fragment prefix: {unprefixed}")
    runs = {}
    for fragment, result_path, exit_codes in (("Extract", "$.extract", []), ("Load", "$.load", [75])):
        for state in ("Start attempts", "Run task", "Decide retry", "Retry or fail", "Record result"):
            check(f"{fragment}: {state}" in inner, f'"{fragment}: {state}" missing; states: {sorted(inner)}')
        catches = inner[f"{fragment}: Run task"]["Catch"]
        check(
            catches[0]["ResultPath"].startswith(result_path + "."),
            f"{fragment}: Run task catches into {catches[0]['ResultPath']}, not under {result_path}",
        )
        payload = inner[f"{fragment}: Decide retry"]["Parameters"]
        policy = whole_policy(template_json, payload["policy"])
        # A fragment that sets no list gets every default; Load sets retryable_exit_codes only.
        for key, expected in (
            ("retryableStopCodes", EXPECTED_DEFAULTS["retryableStopCodes"]),
            ("retryableStoppedReasons", EXPECTED_DEFAULTS["retryableStoppedReasons"]),
            ("nonRetryableStoppedReasons", EXPECTED_DEFAULTS["nonRetryableStoppedReasons"]),
            ("retryableErrors", EXPECTED_DEFAULTS["retryableErrors"]),
            ("retryableExitCodes", exit_codes),
        ):
            check(policy.get(key) == expected, f"{fragment} {key}:\n  got      {policy.get(key)}\n  expected {expected}")
        runs[fragment] = payload["run"]
    check(
        runs == {"Extract": "PartitionPipelineStack/Partitions/Extract", "Load": "PartitionPipelineStack/Partitions/Load"},
        f"decider run names: {runs}",
    )
    return (
        f'python consumer: PartitionPipeline: a Map of {len(inner)} states from 2 fragments, '
        f"1 Lambda function, in {template_file.parent}"
    )


# The size ladder MonthlyReport must render into the decider's policy: the task definition's own
# size first, then each of out_of_memory_sizes, the second taking its CPU from the first. The task
# has no container with a hard memory limit, so there are no container limits to scale.
EXPECTED_SIZES = [
    {"cpu": 1024, "memoryMiB": 2048, "containerMemoryMiB": []},
    {"cpu": 1024, "memoryMiB": 4096, "containerMemoryMiB": []},
    {"cpu": 2048, "memoryMiB": 8192, "containerMemoryMiB": []},
]


def check_monthly_report(template_file: Path) -> str:
    template_json = json.loads(template_file.read_text())
    template = assertions.Template.from_json(template_json)

    # Still one state machine and one Lambda function: the ladder is data, not another function.
    template.resource_count_is("AWS::StepFunctions::StateMachine", 1)
    template.resource_count_is("AWS::Lambda::Function", 1)

    (state_machine,) = template.find_resources("AWS::StepFunctions::StateMachine").values()
    states = parse_definition(state_machine["Properties"]["DefinitionString"])["States"]
    for name in ("Start attempts", "Run task", "Decide retry", "Retry or fail", "Next attempt", "Record result"):
        check(name in states, f'"{name}" missing; states: {sorted(states)}')
    # With a fallback launch target, a Choice picks the RunTask state of each attempt.
    for name in ("Choose launch target", "Run task on fallback"):
        check(name in states, f'"{name}" missing; states: {sorted(states)}')
    for name, provider in (("Run task", "FARGATE_SPOT"), ("Run task on fallback", "FARGATE")):
        strategy = states[name]["Parameters"].get("CapacityProviderStrategy")
        check(strategy == [{"CapacityProvider": provider, "Weight": 1}], f'"{name}" CapacityProviderStrategy: {strategy}')

    # The decider gets the whole ladder, and the default fallback rules.
    payload = states["Decide retry"]["Parameters"]
    policy = whole_policy(template_json, payload["policy"])
    check(policy.get("sizes") == EXPECTED_SIZES, f'policy.sizes:\n  got      {policy.get("sizes")}\n  expected {EXPECTED_SIZES}')
    fallback_stop_codes = policy.get("fallback", {}).get("stopCodes")
    check(fallback_stop_codes == ["SpotInterruption", "TerminationNotice"], f"policy.fallback.stopCodes: {fallback_stop_codes}")
    check(policy.get("maxAttempts") == 4, f'policy.maxAttempts: {policy.get("maxAttempts")}')
    check(payload.get("placement.$") == "$.retryableEcsRunTask.placement", f'decider placement: {payload.get("placement.$")}')

    # The first attempt runs at the first size, on the primary launch target.
    placement = states["Start attempts"]["Parameters"].get("placement")
    expected_placement = {"sizeIndex": 0, "capacity": "primary", "size": EXPECTED_SIZES[0]}
    check(placement == expected_placement, f'"Start attempts" placement:\n  got      {placement}\n  expected {expected_placement}')
    # Each retry takes the placement the decider chose.
    next_attempt = states["Next attempt"]["Parameters"]
    check(
        next_attempt.get("placement.$") == "$.retryableEcsRunTask.failures.next",
        f'"Next attempt" placement: {next_attempt.get("placement.$")}',
    )

    # RunTask, on either launch target, reads the task size of each attempt from its placement, as strings.
    for name in ("Run task", "Run task on fallback"):
        overrides = states[name]["Parameters"]["Overrides"]
        for field, key in (("Cpu", "cpu"), ("Memory", "memoryMiB")):
            expected = f"States.Format('{{}}', $.retryableEcsRunTask.placement.size.{key})"
            check(overrides.get(f"{field}.$") == expected, f'"{name}" Overrides.{field}.$: {overrides.get(f"{field}.$")}')
    return (
        f"python consumer: MonthlyReport: {len(EXPECTED_SIZES)} sizes, "
        f"{'/'.join(str(s['memoryMiB']) for s in EXPECTED_SIZES)} MiB, through RunTask's overrides, "
        f"{len(states)} states, 1 Lambda function, in {template_file.parent}"
    )


def check_hourly_report(template_file: Path, job: RetryableEcsRunTask) -> str:
    template_json = json.loads(template_file.read_text())
    template = assertions.Template.from_json(template_json)

    # The state machine decides by itself: no Lambda function in the stack, and no decider on the run.
    template.resource_count_is("AWS::StepFunctions::StateMachine", 1)
    template.resource_count_is("AWS::Lambda::Function", 0)
    check(job.decider is None, f"job.decider: {job.decider}")
    check(job.decider_log_group is None, f"job.decider_log_group: {job.decider_log_group}")
    check(job.state_machine_log_group is not None, "job.state_machine_log_group is set")

    (state_machine,) = template.find_resources("AWS::StepFunctions::StateMachine").values()
    states = parse_definition(state_machine["Properties"]["DefinitionString"])["States"]
    for name in ("Start attempts", "Run task", "Retry or fail", "Back off", "Attempts exhausted", "Not retryable"):
        check(name in states, f'"{name}" missing; states: {sorted(states)}')
    check("Decide retry" not in states, 'no "Decide retry" state')
    # Every state is a JSONata state, so the run works inside a JSONPath workflow too.
    for name, state in states.items():
        check(state.get("QueryLanguage") == "JSONata", f'"{name}" QueryLanguage: {state.get("QueryLanguage")}')

    # The policy the decisions apply, as data in the variable "Start attempts" assigns, with the wait after each attempt.
    retry_or_fail = states["Retry or fail"]
    check(retry_or_fail["Type"] == "Choice", f'"Retry or fail" is a {retry_or_fail["Type"]}')
    policy = dict(states["Start attempts"]["Assign"]["retry_policy"])
    waits = policy.pop("waits")
    check(len(waits) == EXPECTED_HOURLY_POLICY["maxAttempts"] - 1, f"waits: {waits}")
    check(
        policy == EXPECTED_HOURLY_POLICY,
        f"rendered policy differs:\n  got      {policy}\n  expected {EXPECTED_HOURLY_POLICY}",
    )

    # Every attempt passes its number to the container, as a JSONata expression.
    overrides = states["Run task"]["Arguments"]["Overrides"]["ContainerOverrides"]
    expected_overrides = [{
        "Name": "report",
        "Environment": [{"Name": ATTEMPT_VARIABLE, "Value": "{% $string($retry_attempt) %}"}],
    }]
    check(overrides == expected_overrides, f'"Run task" ContainerOverrides:\n  got      {overrides}\n  expected {expected_overrides}')

    # The state machine logs at level ALL, without execution data, to a log group of its own that keeps a month.
    logging = state_machine["Properties"]["LoggingConfiguration"]
    check(logging.get("Level") == "ALL", f'LoggingConfiguration.Level: {logging.get("Level")}')
    check(logging.get("IncludeExecutionData") is False, f'IncludeExecutionData: {logging.get("IncludeExecutionData")}')
    (destination,) = logging["Destinations"]
    log_group_id, attribute = destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"]
    check(attribute == "Arn", f"log group attribute: {attribute}")
    log_group = template_json["Resources"].get(log_group_id, {})
    check(log_group.get("Type") == "AWS::Logs::LogGroup", f"{log_group_id} is a {log_group.get('Type')}")
    check(log_group["Properties"].get("RetentionInDays") == 30, f'RetentionInDays: {log_group["Properties"].get("RetentionInDays")}')

    # The metrics are counted from that log, in a namespace of the run's own: its construct path, "(" and ")" replaced.
    namespace = "RetryableEcsRunTask/HourlyReportStack/Hourly report _no Lambda_/Run"
    retries = job.metric_retries()
    check(retries.namespace == namespace, f"metric_retries().namespace: {retries.namespace}")
    check(retries.metric_name == "Retries", f"metric_retries().metric_name: {retries.metric_name}")
    filters = list(template.find_resources("AWS::Logs::MetricFilter").values())
    names = sorted(f["Properties"]["MetricTransformations"][0]["MetricName"] for f in filters)
    check(names == ["AttemptsExhausted", "NotRetryable", "Retries"], f"metric filters: {names}")
    for metric_filter in filters:
        properties = metric_filter["Properties"]
        check(properties["LogGroupName"] == {"Ref": log_group_id}, f'metric filter log group: {properties["LogGroupName"]}')
        got = properties["MetricTransformations"][0]["MetricNamespace"]
        check(got == namespace, f"metric filter namespace: {got}")
    return (
        f"python consumer: HourlyReportStack: STATE_MACHINE engine, {len(states)} JSONata states, policy as passed, "
        f"no Lambda function, {len(filters)} metric filters in {namespace}, in {template_file.parent}"
    )


def synth_batch_jobs(outdir: Path) -> Path:
    """Three runs in one stack, the Lambda engine with a topic, the state machine engine, and a
    state machine engine step of a workflow, with batch_jobs_dashboard. Returns the template file."""
    batch_app = App(outdir=str(outdir))
    stack = Stack(batch_app, "BatchJobsStack")
    cluster = ecs.Cluster(stack, "Cluster", vpc=ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=1))
    task_definition = ecs.FargateTaskDefinition(stack, "Task")
    task_definition.add_container("job", image=ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/busybox:stable"))
    nightly = RetryableEcsRunTask(
        stack, "NightlyReport", cluster=cluster, task_definition=task_definition, failure_topic=sns.Topic(stack, "Alerts"),
    )
    hourly = RetryableEcsRunTask(
        stack, "HourlyReport", cluster=cluster, task_definition=task_definition, decision_engine=DecisionEngine.STATE_MACHINE,
    )
    workflow_logs = logs.LogGroup(stack, "PipelineLogs")
    load = RetryableEcsRunTaskFragment(
        stack, "Load", cluster=cluster, task_definition=task_definition,
        decision_engine=DecisionEngine.STATE_MACHINE, state_machine_log_group=workflow_logs,
    )
    sfn.StateMachine(
        stack, "Pipeline",
        definition_body=sfn.DefinitionBody.from_chainable(load),
        logs=sfn.LogOptions(destination=workflow_logs, level=sfn.LogLevel.ALL),
    )
    batch_jobs_dashboard(stack, nightly, hourly, load)
    assembly = batch_app.synth()
    return Path(assembly.directory) / assembly.get_stack_artifact(stack.artifact_id).template_file


def check_batch_jobs(template_file: Path) -> str:
    """The dashboard exists, and every metric its widgets name is one of the three runs' own."""
    template_json = json.loads(template_file.read_text())
    resources = template_json["Resources"]
    (dashboard,) = [r for r in resources.values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    separator, parts = dashboard["Properties"]["DashboardBody"]["Fn::Join"]
    body = json.loads(separator.join(p if isinstance(p, str) else f"<<{p.get('Ref')}>>" for p in parts))
    published = {
        (t["MetricNamespace"], t["MetricName"], tuple(sorted(d["Key"] for d in t.get("Dimensions", []))))
        for r in resources.values() if r["Type"] == "AWS::Logs::MetricFilter"
        for t in r["Properties"]["MetricTransformations"]
    }
    own_machines = {
        f"<<{logical_id}>>" for logical_id, r in resources.items()
        if r["Type"] == "AWS::StepFunctions::StateMachine" and logical_id.startswith(("NightlyReport", "HourlyReport"))
    }
    titles = [w["properties"]["title"] for w in body["widgets"]]
    for prefix in ("BatchJobsStack/NightlyReport: ", "BatchJobsStack/HourlyReport: ", "Pipeline: load: "):
        check(any(t.startswith(prefix) for t in titles), f"no widget title starts with {prefix!r}: {titles}")
    searches = 0
    for widget in body["widgets"]:
        for entry in widget["properties"]["metrics"]:
            if isinstance(entry[0], dict):
                expression = entry[0]["expression"]
                check('Run="BatchJobsStack/NightlyReport/Run"' in expression, f"SEARCH of another run: {expression}")
                check(("RetryableEcsRunTask", "Retries", ("Rule", "Run")) in published, "no per-rule Retries filter")
                searches += 1
                continue
            namespace, name, *rest = entry
            pairs = [x for x in rest if isinstance(x, str)]
            dimensions = dict(zip(pairs[0::2], pairs[1::2]))
            if namespace == "AWS/States":
                check(dimensions.get("StateMachineArn") in own_machines, f"{widget['properties']['title']}: {entry}")
                continue
            check((namespace, name, tuple(sorted(dimensions))) in published, f"no metric filter for {entry}")
            if "Run" in dimensions:
                check(dimensions["Run"] == "BatchJobsStack/NightlyReport/Run", f"metric of another run: {entry}")
            else:
                check(namespace in ("RetryableEcsRunTask/BatchJobsStack/HourlyReport/Run", "RetryableEcsRunTask/BatchJobsStack/Load"),
                      f"namespace of another run: {entry}")
    check(searches == 1, f"{searches} SEARCH expressions")
    return f"python consumer: BatchJobsStack: {len(titles)} widgets of 3 runs on one dashboard, each naming a metric of its run"


def check_decision_engine_names() -> str:
    # The Lambda engine has one name in every language: LAMBDA_FUNCTION. Its first name, LAMBDA, is
    # LAMBDA_ in Python (jsii escapes a keyword, and `lambda` is one); deprecated, and the same engine.
    # jsii's Python runtime wraps an object made in JavaScript in a new proxy on every access, so
    # `is` fails even for one name (DecisionEngine.STATE_MACHINE is not DecisionEngine.STATE_MACHINE):
    # the same object is the same jsii reference.
    def ref(engine: DecisionEngine) -> str:
        return engine.__jsii_ref__.ref

    old, new = ref(DecisionEngine.LAMBDA_), ref(DecisionEngine.LAMBDA_FUNCTION)
    check(old == new, f"DecisionEngine.LAMBDA_ is {old}, DecisionEngine.LAMBDA_FUNCTION {new}")
    check(ref(DecisionEngine.STATE_MACHINE) != new, "DecisionEngine.STATE_MACHINE is the Lambda engine")
    name = DecisionEngine.LAMBDA_FUNCTION.name
    check(name == "LAMBDA", f"DecisionEngine.LAMBDA_FUNCTION.name: {name}")
    return (
        f"python consumer: DecisionEngine.LAMBDA_FUNCTION, and the deprecated DecisionEngine.LAMBDA_ is the same engine ({new})"
    )


if __name__ == "__main__":
    try:
        print(check_decision_engine_names())
        print(check_assembly(Path(app.outdir)))
        print(check_partition_pipeline(synth_partition_pipeline(Path(app.outdir).parent / "cdk.out.pipeline")))
        print(check_monthly_report(synth_monthly_report(Path(app.outdir).parent / "cdk.out.monthly-report")))
        print(check_hourly_report(*synth_hourly_report(Path(app.outdir).parent / "cdk.out.hourly-report")))
        print(check_batch_jobs(synth_batch_jobs(Path(app.outdir).parent / "cdk.out.batch-jobs")))
    except Exception as error:  # a CheckFailed, or a failed aws_cdk.assertions check raised through jsii
        print(f"python consumer: FAILED: {error}", file=sys.stderr)
        sys.exit(1)
