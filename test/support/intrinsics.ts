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
   * Renders every `Ref` and `Fn::GetAtt` instead, e.g. to measure a definition conservatively.
   *
   * @default - pseudo parameters as in the test account, other references as ARNs
   */
  readonly reference?: (intrinsic: Record<string, unknown>) => string;
}

/**
 * A CloudFormation value of a synthesized definition as the fixed string it would be after deploy:
 * `Fn::Join` joined, pseudo parameters as in the test account, other `Ref`s and the exports of
 * other stacks (`Fn::ImportValue`) as SNS topic ARNs and `Fn::GetAtt`s as Lambda function ARNs,
 * each named after its logical ID or export. Throws on any other
 * intrinsic function, which CDK's state machine definitions do not use.
 */
export function renderIntrinsic(value: unknown, options: RenderIntrinsicOptions = {}): string {
  if (typeof value === 'string') {
    return value;
  }
  const v = value as Record<string, any>;
  if (v['Fn::Join']) {
    const [separator, parts] = v['Fn::Join'];
    return parts.map((part: unknown) => renderIntrinsic(part, options)).join(separator);
  }
  if ((v.Ref || v['Fn::GetAtt'] || v['Fn::ImportValue']) && options.reference) {
    return options.reference(v);
  }
  if (v.Ref) {
    return PSEUDO_PARAMETERS[v.Ref] ?? `arn:aws:sns:us-east-1:123456789012:${v.Ref}`;
  }
  if (v['Fn::GetAtt']) {
    return `arn:aws:lambda:us-east-1:123456789012:function:${v['Fn::GetAtt'][0]}`;
  }
  if (typeof v['Fn::ImportValue'] === 'string') {
    return `arn:aws:sns:us-east-1:123456789012:${v['Fn::ImportValue'].replace(/[^A-Za-z0-9-]/g, '-')}`;
  }
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}
