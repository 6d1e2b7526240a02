// README's Go usage example: the region between the README markers is that example, word for
// word (test/readme-examples.test.ts checks it), and main.go synthesizes and checks its stack.
// README:start

package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdk-retryable-ecs-run-task/cdk-retryable-ecs-run-task-go/cdkretryableecsruntask"
)

type NightlyReportStackProps struct {
	awscdk.StackProps
}

// NewNightlyReportStack creates a stack whose nightly report runs as a retrying ECS task, and
// returns the stack and the job.
func NewNightlyReportStack(scope constructs.Construct, id string, props *NightlyReportStackProps) (awscdk.Stack, cdkretryableecsruntask.RetryableEcsRunTask) {
	var sprops awscdk.StackProps
	if props != nil {
		sprops = props.StackProps
	}
	stack := awscdk.NewStack(scope, &id, &sprops)

	// Public subnets and no NAT gateway: the task gets a public IP to pull its image.
	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{
		MaxAzs:      jsii.Number(2),
		NatGateways: jsii.Number(0),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{
			{Name: jsii.String("public"), SubnetType: awsec2.SubnetType_PUBLIC},
		},
	})
	cluster := awsecs.NewCluster(stack, jsii.String("Cluster"), &awsecs.ClusterProps{Vpc: vpc})

	// Add the containers before creating the construct.
	taskDefinition := awsecs.NewFargateTaskDefinition(stack, jsii.String("NightlyReport"), &awsecs.FargateTaskDefinitionProps{
		Cpu:            jsii.Number(512),
		MemoryLimitMiB: jsii.Number(1024),
	})
	taskDefinition.AddContainer(jsii.String("report"), &awsecs.ContainerDefinitionOptions{
		Image:   awsecs.ContainerImage_FromRegistry(jsii.String("public.ecr.aws/docker/library/busybox:stable"), nil),
		Command: jsii.Strings("sh", "-c", "echo attempt $RETRYABLE_ECS_RUN_TASK_ATTEMPT"),
		Logging: awsecs.LogDrivers_AwsLogs(&awsecs.AwsLogDriverProps{StreamPrefix: jsii.String("report")}),
	})
	alerts := awssns.NewTopic(stack, jsii.String("Alerts"), nil)

	// A list you set replaces its default, so each list below starts from the default.
	// A stop code that ECS may add before TaskStopCode has a constant for it:
	retryableStopCodes := append(*cdkretryableecsruntask.RetryDefaults_RETRYABLE_STOP_CODES(),
		cdkretryableecsruntask.TaskStopCode_Of(jsii.String("SomeFutureStopCode")))
	// Creating the container sometimes fails on one host and works on the next:
	retryableStoppedReasons := append(*cdkretryableecsruntask.RetryDefaults_RETRYABLE_STOPPED_REASONS(),
		jsii.String("CannotCreateContainerError:*"))
	// An image built for another CPU architecture will never pull:
	nonRetryableStoppedReasons := append(*cdkretryableecsruntask.RetryDefaults_NON_RETRYABLE_STOPPED_REASONS(),
		jsii.String("CannotPullContainerError:*no matching manifest*"))
	// The job is safe to run again, so an attempt that hit AttemptTimeout is retried too:
	retryableErrors := append(*cdkretryableecsruntask.RetryDefaults_RETRYABLE_ERRORS(), jsii.String("States.Timeout"))

	job := cdkretryableecsruntask.NewRetryableEcsRunTask(stack, jsii.String("NightlyReportJob"), &cdkretryableecsruntask.RetryableEcsRunTaskProps{
		Cluster:                    cluster,
		TaskDefinition:             taskDefinition,
		Subnets:                    &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PUBLIC},
		AssignPublicIp:             jsii.Bool(true),
		MaxAttempts:                jsii.Number(5),
		Interval:                   awscdk.Duration_Seconds(jsii.Number(10)),
		BackoffRate:                jsii.Number(1.5),
		MaxDelay:                   awscdk.Duration_Minutes(jsii.Number(2)),
		JitterStrategy:             awsstepfunctions.JitterType_NONE,
		RetryableStopCodes:         &retryableStopCodes,
		RetryableStoppedReasons:    &retryableStoppedReasons,
		NonRetryableStoppedReasons: &nonRetryableStoppedReasons,
		// The job exits with 75 (EX_TEMPFAIL) or 69 (EX_UNAVAILABLE) when a dependency is briefly down.
		RetryableExitCodes: jsii.Numbers(75, 69),
		RetryableErrors:    &retryableErrors,
		AttemptTimeout:     awscdk.Duration_Hours(jsii.Number(2)),
		Timeout:            awscdk.Duration_Hours(jsii.Number(8)),
		FailureTopic:       alerts,
		// The default engine, the stack's shared decider function; DecisionEngine_STATE_MACHINE() needs none.
		DecisionEngine: cdkretryableecsruntask.DecisionEngine_LAMBDA_FUNCTION(),
	})
	return stack, job
}

// README:end
