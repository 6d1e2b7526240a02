package com.example.nightlyreport;

// README's JUnit test of a run's retry policy, run by consumers/run.sh (mvn test) against the
// built jar: simulate() predicts what the run does with failures, offline.
// README:start
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.cdkretryableecsruntask.RetryErrors;
import io.github.cdkretryableecsruntask.RetryableEcsRunTask;
import io.github.cdkretryableecsruntask.SimulatedRun;
import io.github.cdkretryableecsruntask.TaskSize;
import java.util.List;
import org.junit.jupiter.api.Test;
import software.amazon.awscdk.App;
import software.amazon.awscdk.Stack;
import software.amazon.awscdk.services.ecs.CapacityProviderStrategy;
import software.amazon.awscdk.services.ecs.Cluster;
import software.amazon.awscdk.services.ecs.ContainerDefinitionOptions;
import software.amazon.awscdk.services.ecs.ContainerImage;
import software.amazon.awscdk.services.ecs.FargatePlatformVersion;
import software.amazon.awscdk.services.ecs.FargateTaskDefinition;
import software.amazon.awscdk.services.stepfunctions.tasks.CapacityProviderOptions;
import software.amazon.awscdk.services.stepfunctions.tasks.EcsFargateLaunchTarget;
import software.amazon.awscdk.services.stepfunctions.tasks.EcsFargateLaunchTargetOptions;

class RetryPolicyTest {
    /** A failed attempt as the run's Catch receives it: the stopped task, as JSON text, is its Cause. */
    static String stoppedTask(String task) {
        String cause = task.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
        return "{\"Error\": \"States.TaskFailed\", \"Cause\": \"" + cause + "\"}";
    }

    static final String OUT_OF_MEMORY = stoppedTask("""
            {"StopCode": "EssentialContainerExited", "StoppedReason": "Essential container in task exited",
             "Containers": [{"Name": "report", "ExitCode": 137, "Reason": "OutOfMemoryError: Container killed due to memory usage"}]}""");
    static final String SPOT_INTERRUPTION = stoppedTask("""
            {"StopCode": "SpotInterruption", "StoppedReason": "Your Spot Task was interrupted.",
             "Containers": [{"Name": "report", "ExitCode": 143}]}""");
    static final String PULL_ACCESS_DENIED = stoppedTask("""
            {"StopCode": "TaskFailedToStart",
             "StoppedReason": "CannotPullContainerError: pull access denied for report, repository does not exist or may require 'docker login'",
             "Containers": [{"Name": "report"}]}""");

    static EcsFargateLaunchTarget capacity(String provider) {
        return new EcsFargateLaunchTarget(EcsFargateLaunchTargetOptions.builder()
                .platformVersion(FargatePlatformVersion.LATEST)
                .capacityProviderOptions(CapacityProviderOptions.custom(List.of(
                        CapacityProviderStrategy.builder().capacityProvider(provider).weight(1).build())))
                .build());
    }

    static RetryableEcsRunTask nightlyReport() {
        Stack stack = new Stack(new App(), "ReportStack");
        Cluster cluster = Cluster.Builder.create(stack, "Cluster").enableFargateCapacityProviders(true).build();
        FargateTaskDefinition taskDefinition = FargateTaskDefinition.Builder.create(stack, "Report").cpu(512).memoryLimitMiB(1024).build();
        taskDefinition.addContainer("report", ContainerDefinitionOptions.builder()
                .image(ContainerImage.fromRegistry("public.ecr.aws/docker/library/busybox:stable"))
                .build());
        return RetryableEcsRunTask.Builder.create(stack, "NightlyReportJob")
                .cluster(cluster)
                .taskDefinition(taskDefinition)
                .launchTarget(capacity("FARGATE_SPOT"))
                .fallbackLaunchTarget(capacity("FARGATE"))
                .outOfMemorySizes(List.of(TaskSize.builder().memoryMiB(2048).build()))
                .build();
    }

    @Test
    void outOfMemoryRunsTheNextAttemptWithMoreMemory() {
        SimulatedRun run = nightlyReport().simulate(List.of(OUT_OF_MEMORY));
        assertEquals("SUCCEEDED", run.getStatus());
        assertEquals("RETRY", run.getAttempts().get(0).getDecision());
        assertEquals(2048, run.getAttempts().get(1).getMemoryMiB().intValue());
    }

    @Test
    void aSpotInterruptionRunsTheNextAttemptOnTheFallbackCapacity() {
        SimulatedRun run = nightlyReport().simulate(List.of(SPOT_INTERRUPTION));
        assertEquals("primary", run.getAttempts().get(0).getCapacity());
        assertEquals("fallback", run.getAttempts().get(1).getCapacity());
    }

    @Test
    void aDeniedImagePullIsNotRetried() {
        SimulatedRun run = nightlyReport().simulate(List.of(PULL_ACCESS_DENIED));
        assertEquals("FAILED", run.getStatus());
        assertEquals(RetryErrors.NOT_RETRYABLE, run.getErrorName());
        assertEquals(1, run.getAttempts().size());
    }
}
// README:end
