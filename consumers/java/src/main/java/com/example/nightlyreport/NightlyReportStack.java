package com.example.nightlyreport;

// The region between the README markers is README's first Java example, word for word
// (test/readme-examples.test.ts checks it). PartitionPipeline.java holds the second, QuarterlyReport.java
// the third.

// README:start
import io.github.cdkretryableecsruntask.DecisionEngine;
import io.github.cdkretryableecsruntask.RetryDefaults;
import io.github.cdkretryableecsruntask.RetryableEcsRunTask;
import io.github.cdkretryableecsruntask.TaskStopCode;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.services.ec2.SubnetConfiguration;
import software.amazon.awscdk.services.ec2.SubnetSelection;
import software.amazon.awscdk.services.ec2.SubnetType;
import software.amazon.awscdk.services.ec2.Vpc;
import software.amazon.awscdk.services.ecs.AwsLogDriverProps;
import software.amazon.awscdk.services.ecs.Cluster;
import software.amazon.awscdk.services.ecs.ContainerDefinitionOptions;
import software.amazon.awscdk.services.ecs.ContainerImage;
import software.amazon.awscdk.services.ecs.FargateTaskDefinition;
import software.amazon.awscdk.services.ecs.LogDrivers;
import software.amazon.awscdk.services.sns.Topic;
import software.amazon.awscdk.services.stepfunctions.JitterType;
import software.constructs.Construct;

public class NightlyReportStack extends Stack {
    private final RetryableEcsRunTask job;

    public NightlyReportStack(final Construct scope, final String id, final StackProps props) {
        super(scope, id, props);

        // Public subnets and no NAT gateway: the task gets a public IP to pull its image.
        Vpc vpc = Vpc.Builder.create(this, "Vpc")
                .maxAzs(2)
                .natGateways(0)
                .subnetConfiguration(List.of(
                        SubnetConfiguration.builder().name("public").subnetType(SubnetType.PUBLIC).build()))
                .build();
        Cluster cluster = Cluster.Builder.create(this, "Cluster").vpc(vpc).build();

        // Add the containers before creating the construct.
        FargateTaskDefinition taskDefinition = FargateTaskDefinition.Builder.create(this, "NightlyReport")
                .cpu(512)
                .memoryLimitMiB(1024)
                .build();
        taskDefinition.addContainer("report", ContainerDefinitionOptions.builder()
                .image(ContainerImage.fromRegistry("public.ecr.aws/docker/library/busybox:stable"))
                .command(List.of("sh", "-c", "echo attempt $RETRYABLE_ECS_RUN_TASK_ATTEMPT"))
                .logging(LogDrivers.awsLogs(AwsLogDriverProps.builder().streamPrefix("report").build()))
                .build());
        Topic alerts = Topic.Builder.create(this, "Alerts").build();

        // A list you set replaces its default, so each list below starts as a copy of the default.
        // A stop code that ECS may add before TaskStopCode has a constant for it:
        List<TaskStopCode> retryableStopCodes = new ArrayList<>(RetryDefaults.RETRYABLE_STOP_CODES);
        retryableStopCodes.add(TaskStopCode.of("SomeFutureStopCode"));
        // Creating the container sometimes fails on one host and works on the next:
        List<String> retryableStoppedReasons = new ArrayList<>(RetryDefaults.RETRYABLE_STOPPED_REASONS);
        retryableStoppedReasons.add("CannotCreateContainerError:*");
        // An image built for another CPU architecture will never pull:
        List<String> nonRetryableStoppedReasons = new ArrayList<>(RetryDefaults.NON_RETRYABLE_STOPPED_REASONS);
        nonRetryableStoppedReasons.add("CannotPullContainerError:*no matching manifest*");
        // The job is safe to run again, so an attempt that hit attemptTimeout is retried too:
        List<String> retryableErrors = new ArrayList<>(RetryDefaults.RETRYABLE_ERRORS);
        retryableErrors.add("States.Timeout");

        this.job = RetryableEcsRunTask.Builder.create(this, "NightlyReportJob")
                .cluster(cluster)
                .taskDefinition(taskDefinition)
                .subnets(SubnetSelection.builder().subnetType(SubnetType.PUBLIC).build())
                .assignPublicIp(true)
                .maxAttempts(5)
                .interval(Duration.seconds(10))
                .backoffRate(1.5)
                .maxDelay(Duration.minutes(2))
                .jitterStrategy(JitterType.NONE)
                .retryableStopCodes(retryableStopCodes)
                .retryableStoppedReasons(retryableStoppedReasons)
                .nonRetryableStoppedReasons(nonRetryableStoppedReasons)
                // The job exits with 75 (EX_TEMPFAIL) or 69 (EX_UNAVAILABLE) when a dependency is briefly down.
                .retryableExitCodes(List.of(75, 69))
                .retryableErrors(retryableErrors)
                .attemptTimeout(Duration.hours(2))
                .timeout(Duration.hours(8))
                .failureTopic(alerts)
                // The default engine, the stack's shared decider function; DecisionEngine.STATE_MACHINE needs none.
                .decisionEngine(DecisionEngine.LAMBDA_FUNCTION)
                .build();
    }

    public RetryableEcsRunTask getJob() {
        return job;
    }
}
// README:end
