import { handler } from './decider-handler';

// The Lambda function's entry point. `export =` is CommonJS's `module.exports = { handler }`,
// which esbuild bundles as it is; an ES `export` would cost the bundle ~500 B of interop code.
export = { handler };
