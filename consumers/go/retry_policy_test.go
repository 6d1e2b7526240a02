package main

// README's go test of a run's retry policy, run by consumers/run.sh (go test) against the Go
// module in dist/go: Simulate() predicts what the run does with failures, offline.
// README:start
import (
	"encoding/json"
	"os"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctionstasks"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdk-retryable-ecs-run-task/cdk-retryable-ecs-run-task-go/cdkretryableecsruntask"
)

// TestMain stops jsii's Node.js process when the tests are done.
func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// stoppedTask is a failed attempt as the run's Catch receives it: the stopped task, as JSON text, is its Cause.
func stoppedTask(task map[string]any) *string {
	cause, _ := json.Marshal(task)
	failure, _ := json.Marshal(map[string]string{"Error": "States.TaskFailed", "Cause": string(cause)})
	return jsii.String(string(failure))
}

var (
	outOfMemory = stoppedTask(map[string]any{
		"StopCode":      "EssentialContainerExited",
		"StoppedReason": "Essential container in task exited",
		"Containers":    []any{map[string]any{"Name": "report", "ExitCode": 137, "Reason": "OutOfMemoryError: Container killed due to memory usage"}},
	})
	spotInterruption = stoppedTask(map[string]any{
		"StopCode":      "SpotInterruption",
		"StoppedReason": "Your Spot Task was interrupted.",
		"Containers":    []any{map[string]any{"Name": "report", "ExitCode": 143}},
	})
	pullAccessDenied = stoppedTask(map[string]any{
		"StopCode":      "TaskFailedToStart",
		"StoppedReason": "CannotPullContainerError: pull access denied for report, repository does not exist or may require 'docker login'",
		"Containers":    []any{map[string]any{"Name": "report"}},
	})
)

func nightlyReport() cdkretryableecsruntask.RetryableEcsRunTask {
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("ReportStack"), nil)
	cluster := awsecs.NewCluster(stack, jsii.String("Cluster"), &awsecs.ClusterProps{EnableFargateCapacityProviders: jsii.Bool(true)})
	taskDefinition := awsecs.NewFargateTaskDefinition(stack, jsii.String("Report"), &awsecs.FargateTaskDefinitionProps{
		Cpu:            jsii.Number(512),
		MemoryLimitMiB: jsii.Number(1024),
	})
	taskDefinition.AddContainer(jsii.String("report"), &awsecs.ContainerDefinitionOptions{
		Image: awsecs.ContainerImage_FromRegistry(jsii.String("public.ecr.aws/docker/library/busybox:stable"), nil),
	})
	capacity := func(provider string) awsstepfunctionstasks.EcsFargateLaunchTarget {
		return awsstepfunctionstasks.NewEcsFargateLaunchTarget(&awsstepfunctionstasks.EcsFargateLaunchTargetOptions{
			PlatformVersion: awsecs.FargatePlatformVersion_LATEST,
			CapacityProviderOptions: awsstepfunctionstasks.CapacityProviderOptions_Custom(&[]*awsecs.CapacityProviderStrategy{
				{CapacityProvider: jsii.String(provider), Weight: jsii.Number(1)},
			}),
		})
	}
	return cdkretryableecsruntask.NewRetryableEcsRunTask(stack, jsii.String("NightlyReportJob"), &cdkretryableecsruntask.RetryableEcsRunTaskProps{
		Cluster:              cluster,
		TaskDefinition:       taskDefinition,
		LaunchTarget:         capacity("FARGATE_SPOT"),
		FallbackLaunchTarget: capacity("FARGATE"),
		OutOfMemorySizes:     &[]*cdkretryableecsruntask.TaskSize{{MemoryMiB: jsii.Number(2048)}},
	})
}

func TestOutOfMemoryRunsTheNextAttemptWithMoreMemory(t *testing.T) {
	run := nightlyReport().Simulate(&[]*string{outOfMemory})
	attempts := *run.Attempts
	if *run.Status != "SUCCEEDED" || *attempts[0].Decision != "RETRY" || *attempts[1].MemoryMiB != 2048 {
		t.Errorf("status %s, decision %s, then memory %v MiB", *run.Status, *attempts[0].Decision, *attempts[1].MemoryMiB)
	}
}

func TestASpotInterruptionRunsTheNextAttemptOnTheFallbackCapacity(t *testing.T) {
	attempts := *nightlyReport().Simulate(&[]*string{spotInterruption}).Attempts
	if *attempts[0].Capacity != "primary" || *attempts[1].Capacity != "fallback" {
		t.Errorf("capacity %s, then %s", *attempts[0].Capacity, *attempts[1].Capacity)
	}
}

func TestADeniedImagePullIsNotRetried(t *testing.T) {
	run := nightlyReport().Simulate(&[]*string{pullAccessDenied})
	if *run.Status != "FAILED" || *run.ErrorName != *cdkretryableecsruntask.RetryErrors_NOT_RETRYABLE() || len(*run.Attempts) != 1 {
		t.Errorf("status %s, error %v, %d attempts", *run.Status, run.ErrorName, len(*run.Attempts))
	}
}
// README:end
