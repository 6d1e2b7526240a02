package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdk-retryable-ecs-run-task/cdk-retryable-ecs-run-task-go/cdkretryableecsruntask"
)

// NewHourlyReportStack creates a stack with an hourly report whose retries the state machine
// decides by itself (DecisionEngine_STATE_MACHINE): JSONata states, and no Lambda function in the
// stack. The TypeScript, Python and Java consumers have the same stack. It returns the stack and
// the job.
func NewHourlyReportStack(scope constructs.Construct, id string, props *awscdk.StackProps) (awscdk.Stack, cdkretryableecsruntask.RetryableEcsRunTask) {
	stack := awscdk.NewStack(scope, &id, props)

	vpc := awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{
		MaxAzs:      jsii.Number(2),
		NatGateways: jsii.Number(0),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{
			{Name: jsii.String("public"), SubnetType: awsec2.SubnetType_PUBLIC},
		},
	})
	cluster := awsecs.NewCluster(stack, jsii.String("Cluster"), &awsecs.ClusterProps{Vpc: vpc})
	taskDefinition := awsecs.NewFargateTaskDefinition(stack, jsii.String("HourlyReport"), nil)
	taskDefinition.AddContainer(jsii.String("report"), &awsecs.ContainerDefinitionOptions{
		Image:   awsecs.ContainerImage_FromRegistry(jsii.String("public.ecr.aws/docker/library/busybox:stable"), nil),
		Command: jsii.Strings("sh", "-c", "echo attempt $RETRYABLE_ECS_RUN_TASK_ATTEMPT"),
		Logging: awsecs.LogDrivers_AwsLogs(&awsecs.AwsLogDriverProps{StreamPrefix: jsii.String("hourly-report")}),
	})

	// The parentheses of the id become '_' in the namespace of the run's metrics.
	job := cdkretryableecsruntask.NewRetryableEcsRunTask(stack, jsii.String("Hourly report (no Lambda)"), &cdkretryableecsruntask.RetryableEcsRunTaskProps{
		Cluster:            cluster,
		TaskDefinition:     taskDefinition,
		Subnets:            &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PUBLIC},
		AssignPublicIp:     jsii.Bool(true),
		DecisionEngine:     cdkretryableecsruntask.DecisionEngine_STATE_MACHINE(),
		MaxAttempts:        jsii.Number(6),
		Interval:           awscdk.Duration_Seconds(jsii.Number(15)),
		MaxDelay:           awscdk.Duration_Minutes(jsii.Number(4)),
		RetryableExitCodes: jsii.Numbers(75),
	})
	// A STATE_MACHINE run creates the metric filter of each metric asked for: here, an alarm on each of three.
	alarm := &awscloudwatch.CreateAlarmOptions{Threshold: jsii.Number(1), EvaluationPeriods: jsii.Number(1)}
	job.MetricRetries(nil).CreateAlarm(stack, jsii.String("RetriesAlarm"), alarm)
	job.MetricRetriesExhausted(nil).CreateAlarm(stack, jsii.String("ExhaustedAlarm"), alarm)
	job.MetricNotRetryable(nil).CreateAlarm(stack, jsii.String("NotRetryableAlarm"), alarm)
	return stack, job
}
