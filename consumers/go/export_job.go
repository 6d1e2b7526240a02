// README's Go example of "Extending a default list": the region between the README markers is that
// example, word for word (test/readme-examples.test.ts checks it), and main.go synthesizes and
// checks it.
// README:start

package main

import (
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdk-retryable-ecs-run-task/cdk-retryable-ecs-run-task-go/cdkretryableecsruntask"
)

// NewExportJob runs an export whose lists start from the defaults, since a list you set replaces
// its default. Each RetryDefaults_ function returns a new slice, yours to append to or filter.
func NewExportJob(scope constructs.Construct, id string, cluster awsecs.ICluster, taskDefinition awsecs.TaskDefinition) cdkretryableecsruntask.RetryableEcsRunTask {
	// Creating the container sometimes fails on one host and works on the next:
	retryableStoppedReasons := append(*cdkretryableecsruntask.RetryDefaults_RETRYABLE_STOPPED_REASONS(),
		jsii.String("CannotCreateContainerError:*"))
	// The export is safe to run again, so an attempt that hit AttemptTimeout is retried too:
	retryableErrors := append(*cdkretryableecsruntask.RetryDefaults_RETRYABLE_ERRORS(), jsii.String("States.Timeout"))
	// The cluster scales in instances with the attributes the task needs, so a missing attribute
	// does not last: every default but ATTRIBUTE.
	nonRetryableErrorCauses := slices.DeleteFunc(*cdkretryableecsruntask.RetryDefaults_NON_RETRYABLE_ERROR_CAUSES(),
		func(cause *string) bool { return *cause == "ATTRIBUTE" })

	return cdkretryableecsruntask.NewRetryableEcsRunTask(scope, &id, &cdkretryableecsruntask.RetryableEcsRunTaskProps{
		Cluster:                 cluster,
		TaskDefinition:          taskDefinition,
		AttemptTimeout:          awscdk.Duration_Hours(jsii.Number(1)),
		RetryableStoppedReasons: &retryableStoppedReasons,
		RetryableErrors:         &retryableErrors,
		NonRetryableErrorCauses: &nonRetryableErrorCauses,
	})
}

// README:end
