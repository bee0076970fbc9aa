import { App } from 'aws-cdk-lib';
import { addTiketiStacks, PLACEHOLDER_ACCOUNT } from '../src/app.ts';

const app = new App();
const context = (key: string): string | undefined => app.node.tryGetContext(key);

addTiketiStacks(app, {
  // `-c tiketi:account=<id>` at deploy time; the placeholder keeps `cdk synth` working without AWS.
  account: context('tiketi:account') ?? process.env.CDK_DEFAULT_ACCOUNT ?? PLACEHOLDER_ACCOUNT,
  githubRepository: context('tiketi:githubRepository') ?? 'tiketi/tiketi',
});
