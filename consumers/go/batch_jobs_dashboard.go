// README's Go example of "Dashboards": the region between the README markers is that example,
// word for word (test/readme-examples.test.ts checks it), and main.go synthesizes and checks it.
// README:start

package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdk-retryable-ecs-run-task/cdk-retryable-ecs-run-task-go/cdkretryableecsruntask"
)

// NewBatchJobsDashboard puts the widgets of several runs on one dashboard: the Lambda engine
// (nightlyReport), the state machine engine (hourlyReport) and a step of a workflow (load).
func NewBatchJobsDashboard(stack awscdk.Stack, nightlyReport, hourlyReport cdkretryableecsruntask.RetryableEcsRunTask,
	load cdkretryableecsruntask.RetryableEcsRunTaskFragment) awscloudwatch.Dashboard {
	// One row per run: each widget is 6 columns wide, and a row has 24.
	return awscloudwatch.NewDashboard(stack, jsii.String("BatchJobs"), &awscloudwatch.DashboardProps{
		DashboardName: jsii.String("batch-jobs"),
		Widgets: &[]*[]awscloudwatch.IWidget{
			nightlyReport.DashboardWidgets(nil),
			hourlyReport.DashboardWidgets(&cdkretryableecsruntask.RunDashboardOptions{Period: awscdk.Duration_Minutes(jsii.Number(1))}),
			load.DashboardWidgets(&cdkretryableecsruntask.RunDashboardOptions{TitlePrefix: jsii.String("Pipeline: load")}),
		},
	})
}

// README:end
