package com.example.nightlyreport;

// The region between the README markers is README's Java example, word for word
// (test/readme-examples.test.ts checks it).

// README:start
import io.github.cdkretryableecsruntask.RetryableEcsRunTask;
import io.github.cdkretryableecsruntask.TaskStopCode;
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
                // Setting a list replaces its default.
                .retryableStopCodes(List.of(
                        TaskStopCode.TASK_FAILED_TO_START,
                        TaskStopCode.SPOT_INTERRUPTION,
                        TaskStopCode.of("SomeFutureStopCode")))
                .retryableStoppedReasons(List.of(
                        "ResourceInitializationError:*", "CannotPullContainerError:*toomanyrequests*"))
                .nonRetryableStoppedReasons(List.of(
                        "ResourceInitializationError:*AccessDenied*", "CannotPullContainerError:*not found*"))
                // The job exits with 75 (EX_TEMPFAIL) or 69 (EX_UNAVAILABLE) when a dependency is briefly down.
                .retryableExitCodes(List.of(75, 69))
                .retryableErrors(List.of("ECS.AmazonECSException", "ECS.ServerException"))
                .attemptTimeout(Duration.hours(2))
                .timeout(Duration.hours(8))
                .failureTopic(alerts)
                .build();
    }

    public RetryableEcsRunTask getJob() {
        return job;
    }
}
// README:end
