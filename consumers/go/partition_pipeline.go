// README's Go example of "Inside your own workflow": the region between the README markers is that
// example, word for word (test/readme-examples.test.ts checks it), and main.go synthesizes and
// checks it.
// README:start

package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsecs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdk-retryable-ecs-run-task/cdk-retryable-ecs-run-task-go/cdkretryableecsruntask"
)

// PartitionPipelineProps are the cluster and the task definitions a PartitionPipeline runs.
type PartitionPipelineProps struct {
	Cluster     awsecs.ICluster
	ExtractTask awsecs.TaskDefinition
	LoadTask    awsecs.TaskDefinition
}

// PartitionPipeline extracts and loads every partition of the input, each step a retrying ECS task run.
type PartitionPipeline struct {
	constructs.Construct
	StateMachine awsstepfunctions.StateMachine
}

// NewPartitionPipeline adds a PartitionPipeline, given the cluster and the two task definitions.
func NewPartitionPipeline(scope constructs.Construct, id string, props *PartitionPipelineProps) *PartitionPipeline {
	this := constructs.NewConstruct(scope, &id)

	extract := cdkretryableecsruntask.NewRetryableEcsRunTaskFragment(this, jsii.String("Extract"), &cdkretryableecsruntask.RetryableEcsRunTaskFragmentProps{
		Cluster:        props.Cluster,
		TaskDefinition: props.ExtractTask,
		ResultPath:     jsii.String("$.extract"),
	})
	load := cdkretryableecsruntask.NewRetryableEcsRunTaskFragment(this, jsii.String("Load"), &cdkretryableecsruntask.RetryableEcsRunTaskFragmentProps{
		Cluster:            props.Cluster,
		TaskDefinition:     props.LoadTask,
		ResultPath:         jsii.String("$.load"),
		RetryableExitCodes: jsii.Numbers(75),
	})

	// One retrying extract-and-load per partition.
	eachPartition := awsstepfunctions.NewMap(this, jsii.String("Each partition"), &awsstepfunctions.MapProps{
		ItemsPath:      jsii.String("$.partitions"),
		MaxConcurrency: jsii.Number(10),
	})
	eachPartition.ItemProcessor(extract.Next(load), nil)
	eachPartition.AddCatch(awsstepfunctions.NewFail(this, jsii.String("A partition failed"), nil), &awsstepfunctions.CatchProps{
		Errors: &[]*string{cdkretryableecsruntask.RetryErrors_NOT_RETRYABLE(), cdkretryableecsruntask.RetryErrors_ATTEMPTS_EXHAUSTED()},
	})

	stateMachine := awsstepfunctions.NewStateMachine(this, jsii.String("Pipeline"), &awsstepfunctions.StateMachineProps{
		DefinitionBody: awsstepfunctions.DefinitionBody_FromChainable(eachPartition),
	})
	return &PartitionPipeline{Construct: this, StateMachine: stateMachine}
}

// README:end
