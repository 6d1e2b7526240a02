// README's Go example of "Adaptive retries" (OutOfMemorySizes and FallbackLaunchTarget): the region
// between the README markers is that example, word for word (test/readme-examples.test.ts checks
// it), and main.go synthesizes and checks it.
// README:start

package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctionstasks"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdk-retryable-ecs-run-task/cdk-retryable-ecs-run-task-go/cdkretryableecsruntask"
)

// WeeklyReportProps are what a WeeklyReport runs on.
type WeeklyReportProps struct {
	// A cluster with the Fargate capacity providers (EnableFargateCapacityProviders).
	Cluster awsecs.ICluster
}

// WeeklyReport is a report that fits in 1 vCPU and 2 GiB most weeks, and is given more when it runs
// out of memory. It runs on Fargate Spot, and on on-demand Fargate once Spot lets it down.
type WeeklyReport struct {
	constructs.Construct
	Job cdkretryableecsruntask.RetryableEcsRunTask
}

// NewWeeklyReport adds a WeeklyReport, with its task definition, on the cluster it is given.
func NewWeeklyReport(scope constructs.Construct, id string, props *WeeklyReportProps) *WeeklyReport {
	this := constructs.NewConstruct(scope, &id)

	taskDefinition := awsecs.NewFargateTaskDefinition(this, jsii.String("TaskDefinition"), &awsecs.FargateTaskDefinitionProps{
		Cpu:            jsii.Number(1024),
		MemoryLimitMiB: jsii.Number(2048),
	})
	taskDefinition.AddContainer(jsii.String("report"), &awsecs.ContainerDefinitionOptions{
		Image:   awsecs.ContainerImage_FromRegistry(jsii.String("public.ecr.aws/docker/library/busybox:stable"), nil),
		Command: jsii.Strings("sh", "-c", "echo attempt $RETRYABLE_ECS_RUN_TASK_ATTEMPT"),
		Logging: awsecs.LogDrivers_AwsLogs(&awsecs.AwsLogDriverProps{StreamPrefix: jsii.String("weekly-report")}),
	})

	job := cdkretryableecsruntask.NewRetryableEcsRunTask(this, jsii.String("Job"), &cdkretryableecsruntask.RetryableEcsRunTaskProps{
		Cluster:        props.Cluster,
		TaskDefinition: taskDefinition,
		// Spot first; once Spot is reclaimed or has no capacity, on-demand Fargate.
		LaunchTarget:         fargateCapacity("FARGATE_SPOT"),
		FallbackLaunchTarget: fargateCapacity("FARGATE"),
		// Out of memory at 2 GiB: 4 GiB next, then 2 vCPU and 8 GiB.
		OutOfMemorySizes: &[]*cdkretryableecsruntask.TaskSize{
			{MemoryMiB: jsii.Number(4096)},
			{Cpu: jsii.Number(2048), MemoryMiB: jsii.Number(8192)},
		},
		MaxAttempts: jsii.Number(4),
	})
	return &WeeklyReport{Construct: this, Job: job}
}

// fargateCapacity is a Fargate launch target on one capacity provider, FARGATE or FARGATE_SPOT.
func fargateCapacity(capacityProvider string) awsstepfunctionstasks.EcsFargateLaunchTarget {
	return awsstepfunctionstasks.NewEcsFargateLaunchTarget(&awsstepfunctionstasks.EcsFargateLaunchTargetOptions{
		PlatformVersion: awsecs.FargatePlatformVersion_LATEST,
		CapacityProviderOptions: awsstepfunctionstasks.CapacityProviderOptions_Custom(&[]*awsecs.CapacityProviderStrategy{
			{CapacityProvider: jsii.String(capacityProvider), Weight: jsii.Number(1)},
		}),
	})
}

// README:end
