/** The pseudo parameters a synthesized definition refers to, as they are in the test account and region. */
const PSEUDO_PARAMETERS: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': 'us-east-1',
  'AWS::AccountId': '123456789012',
  'AWS::URLSuffix': 'amazonaws.com',
};

/** How `renderIntrinsic` renders references. */
export interface RenderIntrinsicOptions {
  /**
   * Pads every `Ref` and `Fn::GetAtt` to at least this many characters, to measure a definition
   * conservatively: the names CloudFormation generates are longer than the logical IDs rendered here.
   *
   * @default 0 - as rendered
   */
  readonly minReferenceLength?: number;
}

/**
 * A CloudFormation value of a synthesized definition as the fixed string it would be after deploy:
 * `Fn::Join` joined, pseudo parameters as in the test account, other `Ref`s as SNS topic ARNs and
 * `Fn::GetAtt`s as Lambda function ARNs, each named after its logical ID. Throws on any other
 * intrinsic function, which CDK's state machine definitions do not use.
 */
export function renderIntrinsic(value: unknown, options: RenderIntrinsicOptions = {}): string {
  const reference = (rendered: string) => rendered.padEnd(options.minReferenceLength ?? 0, '_');
  if (typeof value === 'string') {
    return value;
  }
  const v = value as Record<string, any>;
  if (v['Fn::Join']) {
    const [separator, parts] = v['Fn::Join'];
    return parts.map((part: unknown) => renderIntrinsic(part, options)).join(separator);
  }
  if (v.Ref) {
    return reference(PSEUDO_PARAMETERS[v.Ref] ?? `arn:aws:sns:us-east-1:123456789012:${v.Ref}`);
  }
  if (v['Fn::GetAtt']) {
    return reference(`arn:aws:lambda:us-east-1:123456789012:function:${v['Fn::GetAtt'][0]}`);
  }
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}
