// README's Go example of "Without a Lambda function" (DecisionEngine_STATE_MACHINE): the region
// between the README markers is that example, word for word (test/readme-examples.test.ts checks
// it), and main.go synthesizes and checks it.
// README:start

package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdk-retryable-ecs-run-task/cdk-retryable-ecs-run-task-go/cdkretryableecsruntask"
)

// NewHourlyReportJob runs the report with no Lambda function, and alarms when its retries run out.
// It logs at level ALL, without execution data, to a new log group that keeps a month.
func NewHourlyReportJob(scope constructs.Construct, id string, cluster awsecs.ICluster, reportTask awsecs.TaskDefinition) cdkretryableecsruntask.RetryableEcsRunTask {
	job := cdkretryableecsruntask.NewRetryableEcsRunTask(scope, &id, &cdkretryableecsruntask.RetryableEcsRunTaskProps{
		Cluster:            cluster,
		TaskDefinition:     reportTask,
		DecisionEngine:     cdkretryableecsruntask.DecisionEngine_STATE_MACHINE(),
		RetryableExitCodes: jsii.Numbers(75),
	})
	// In the namespace RetryableEcsRunTask/<construct path of the run>.
	job.MetricRetriesExhausted(nil).CreateAlarm(job, jsii.String("RetriesExhausted"), &awscloudwatch.CreateAlarmOptions{
		Threshold:         jsii.Number(1),
		EvaluationPeriods: jsii.Number(1),
		TreatMissingData:  awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
	return job
}

// NewExtractPipeline creates a workflow of your own with a retrying extract in it, with no Lambda
// function. The run counts its metrics from the log group the workflow logs to at level ALL.
func NewExtractPipeline(scope constructs.Construct, id string, cluster awsecs.ICluster, extractTask awsecs.TaskDefinition) awsstepfunctions.StateMachine {
	this := constructs.NewConstruct(scope, &id)

	pipelineLogs := awslogs.NewLogGroup(this, jsii.String("Logs"), nil)
	extract := cdkretryableecsruntask.NewRetryableEcsRunTaskFragment(this, jsii.String("Extract"), &cdkretryableecsruntask.RetryableEcsRunTaskFragmentProps{
		Cluster:              cluster,
		TaskDefinition:       extractTask,
		DecisionEngine:       cdkretryableecsruntask.DecisionEngine_STATE_MACHINE(),
		StateMachineLogGroup: pipelineLogs,
	})
	stateMachine := awsstepfunctions.NewStateMachine(this, jsii.String("StateMachine"), &awsstepfunctions.StateMachineProps{
		DefinitionBody: awsstepfunctions.DefinitionBody_FromChainable(extract),
		Logs:           &awsstepfunctions.LogOptions{Destination: pipelineLogs, Level: awsstepfunctions.LogLevel_ALL},
	})
	// A metric asked for gets its metric filter on that log group.
	extract.MetricNotRetryable(nil).CreateAlarm(this, jsii.String("ExtractFailed"), &awscloudwatch.CreateAlarmOptions{
		Threshold:         jsii.Number(1),
		EvaluationPeriods: jsii.Number(1),
	})
	return stateMachine
}

// README:end
