package com.example.nightlyreport;

import io.github.cdkretryableecsruntask.DecisionEngine;
import io.github.cdkretryableecsruntask.RetryableEcsRunTask;
import java.util.List;
import software.amazon.awscdk.Duration;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.StackProps;
import software.amazon.awscdk.services.cloudwatch.CreateAlarmOptions;
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
import software.constructs.Construct;

/**
 * An hourly report whose retries the state machine decides by itself ({@code DecisionEngine.STATE_MACHINE}):
 * JSONata states, and no Lambda function in the stack. The TypeScript, Python and Go consumers have the same stack.
 */
public class HourlyReportStack extends Stack {
    private final RetryableEcsRunTask job;

    public HourlyReportStack(final Construct scope, final String id, final StackProps props) {
        super(scope, id, props);

        Vpc vpc = Vpc.Builder.create(this, "Vpc")
                .maxAzs(2)
                .natGateways(0)
                .subnetConfiguration(List.of(
                        SubnetConfiguration.builder().name("public").subnetType(SubnetType.PUBLIC).build()))
                .build();
        Cluster cluster = Cluster.Builder.create(this, "Cluster").vpc(vpc).build();
        FargateTaskDefinition taskDefinition = FargateTaskDefinition.Builder.create(this, "HourlyReport").build();
        taskDefinition.addContainer("report", ContainerDefinitionOptions.builder()
                .image(ContainerImage.fromRegistry("public.ecr.aws/docker/library/busybox:stable"))
                .command(List.of("sh", "-c", "echo attempt $RETRYABLE_ECS_RUN_TASK_ATTEMPT"))
                .logging(LogDrivers.awsLogs(AwsLogDriverProps.builder().streamPrefix("hourly-report").build()))
                .build());

        // The parentheses of the id become '_' in the namespace of the run's metrics.
        this.job = RetryableEcsRunTask.Builder.create(this, "Hourly report (no Lambda)")
                .cluster(cluster)
                .taskDefinition(taskDefinition)
                .subnets(SubnetSelection.builder().subnetType(SubnetType.PUBLIC).build())
                .assignPublicIp(true)
                .decisionEngine(DecisionEngine.STATE_MACHINE)
                .maxAttempts(6)
                .interval(Duration.seconds(15))
                .maxDelay(Duration.minutes(4))
                .retryableExitCodes(List.of(75))
                .build();
        // A STATE_MACHINE run creates the metric filter of each metric asked for: here, an alarm on each of three.
        CreateAlarmOptions alarm = CreateAlarmOptions.builder().threshold(1).evaluationPeriods(1).build();
        job.metricRetries().createAlarm(this, "RetriesAlarm", alarm);
        job.metricRetriesExhausted().createAlarm(this, "ExhaustedAlarm", alarm);
        job.metricNotRetryable().createAlarm(this, "NotRetryableAlarm", alarm);
    }

    public RetryableEcsRunTask getJob() {
        return job;
    }
}
