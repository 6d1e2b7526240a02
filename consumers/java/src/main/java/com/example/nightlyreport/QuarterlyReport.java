package com.example.nightlyreport;

// The region between the README markers is README's third Java example, word for word
// (test/readme-examples.test.ts checks it).

// README:start
import io.github.cdkretryableecsruntask.RetryableEcsRunTask;
import io.github.cdkretryableecsruntask.TaskSize;
import java.util.List;
import software.amazon.awscdk.services.ecs.AwsLogDriverProps;
import software.amazon.awscdk.services.ecs.CapacityProviderStrategy;
import software.amazon.awscdk.services.ecs.ContainerDefinitionOptions;
import software.amazon.awscdk.services.ecs.ContainerImage;
import software.amazon.awscdk.services.ecs.FargatePlatformVersion;
import software.amazon.awscdk.services.ecs.FargateTaskDefinition;
import software.amazon.awscdk.services.ecs.ICluster;
import software.amazon.awscdk.services.ecs.LogDrivers;
import software.amazon.awscdk.services.stepfunctions.tasks.CapacityProviderOptions;
import software.amazon.awscdk.services.stepfunctions.tasks.EcsFargateLaunchTarget;
import software.amazon.awscdk.services.stepfunctions.tasks.EcsFargateLaunchTargetOptions;
import software.constructs.Construct;

/**
 * A report on Fargate Spot that moves to on-demand Fargate once Spot fails it, and is given more
 * memory when it runs out. The cluster needs the Fargate capacity providers
 * ({@code enableFargateCapacityProviders(true)}).
 */
public class QuarterlyReport extends Construct {
    private final RetryableEcsRunTask job;

    public QuarterlyReport(final Construct scope, final String id, final ICluster cluster) {
        super(scope, id);

        FargateTaskDefinition taskDefinition = FargateTaskDefinition.Builder.create(this, "TaskDefinition")
                .cpu(1024)
                .memoryLimitMiB(2048)
                .build();
        taskDefinition.addContainer("report", ContainerDefinitionOptions.builder()
                .image(ContainerImage.fromRegistry("public.ecr.aws/docker/library/busybox:stable"))
                .command(List.of("sh", "-c", "echo attempt $RETRYABLE_ECS_RUN_TASK_ATTEMPT"))
                .logging(LogDrivers.awsLogs(AwsLogDriverProps.builder().streamPrefix("quarterly-report").build()))
                .build());

        this.job = RetryableEcsRunTask.Builder.create(this, "Job")
                .cluster(cluster)
                .taskDefinition(taskDefinition)
                // Spot first; once Spot is reclaimed or has no capacity, on-demand Fargate.
                .launchTarget(fargate("FARGATE_SPOT"))
                .fallbackLaunchTarget(fargate("FARGATE"))
                // Out of memory at 2 GiB: 4 GiB next, then 2 vCPU and 8 GiB.
                .outOfMemorySizes(List.of(
                        TaskSize.builder().memoryMiB(4096).build(),
                        TaskSize.builder().cpu(2048).memoryMiB(8192).build()))
                .maxAttempts(4)
                .build();
    }

    private static EcsFargateLaunchTarget fargate(final String capacityProvider) {
        return new EcsFargateLaunchTarget(EcsFargateLaunchTargetOptions.builder()
                .platformVersion(FargatePlatformVersion.LATEST)
                .capacityProviderOptions(CapacityProviderOptions.custom(List.of(
                        CapacityProviderStrategy.builder().capacityProvider(capacityProvider).weight(1).build())))
                .build());
    }

    public RetryableEcsRunTask getJob() {
        return job;
    }
}
// README:end
