import { ChildProcess, execFile, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');
/** The venv that `test/ministack/install.sh` fills from `test/ministack/requirements.txt`. */
const VENV_PYTHON = path.join(ROOT, '.tools', 'ministack-venv', 'bin', 'python');
const DRIVER = path.join(ROOT, 'test', 'ministack', 'sfn_driver.py');
/** MiniStack, with the history details AWS records that the limit checks read (task parameters, assigned variables). */
const SERVER = path.join(ROOT, 'test', 'ministack', 'ministack_server.py');
/** The account the rendered definitions name; MiniStack takes a 12-digit access key as the account. */
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const READY_TIMEOUT_MS = 30_000;

/**
 * A Step Functions Local / LocalStack mock configuration: per state machine and test case, the
 * mocked response of each Task state, and per mocked response, what each invocation ("0", "1",
 * ...) returns or throws.
 *
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/sfn-local-mock-cfg-file.html
 */
export interface SfnMockConfig {
  readonly StateMachines: Record<string, { readonly TestCases: Record<string, Record<string, string>> }>;
  readonly MockedResponses: Record<string, Record<string, MockedResponse>>;
}

/** One invocation of a mocked Task state. */
export type MockedResponse =
  | { readonly Return: unknown }
  | { readonly Throw: { readonly Error: string; readonly Cause: string } };

/**
 * MiniStack, a local AWS emulator we did not write, on a free loopback port. Its Step Functions
 * interpreter runs the state machine; its Lambda service runs functions in local Node.js workers.
 * It reads the mock configuration once, at start. It runs through `test/ministack/ministack_server.py`,
 * which adds to its execution histories the task parameters and assigned variables that AWS
 * records, for the limit checks (`execution-limits.ts`).
 */
export class MiniStack {
  /**
   * Starts MiniStack and waits until it answers. Throws, with MiniStack's own output, when it is
   * not installed or does not come up: these tests fail rather than skip.
   */
  public static async start(mockConfig: SfnMockConfig): Promise<MiniStack> {
    if (!fs.existsSync(VENV_PYTHON)) {
      throw new Error(`MiniStack is not installed: ${VENV_PYTHON} is missing. Run test/ministack/install.sh (scripts/setup.sh and scripts/test.sh do).`);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ministack-'));
    const mockConfigFile = path.join(dir, 'sfn-mock-config.json');
    fs.writeFileSync(mockConfigFile, JSON.stringify(mockConfig));
    // Another process may take the free port before MiniStack binds it; then try another.
    for (let attempt = 1; ; attempt++) {
      const port = await freeLoopbackPort();
      try {
        return await MiniStack.launch(port, mockConfigFile, dir);
      } catch (e) {
        if (attempt >= 3 || !/already in use/.test(String(e))) {
          fs.rmSync(dir, { recursive: true, force: true });
          throw e;
        }
      }
    }
  }

  private static async launch(port: number, mockConfigFile: string, dir: string): Promise<MiniStack> {
    const child = spawn(VENV_PYTHON, [SERVER], {
      cwd: dir,
      env: {
        ...pythonEnvironment(),
        BIND_HOST: '127.0.0.1',
        GATEWAY_PORT: String(port),
        SFN_MOCK_CONFIG: mockConfigFile,
        // Wait states and Retry intervals take no time.
        SFN_WAIT_SCALE: '0',
        // Lambda functions run as local Node.js workers on the Node.js of this test run, not in Docker.
        LAMBDA_EXECUTOR: 'local',
        TMPDIR: dir,
        STATE_DIR: path.join(dir, 'state'),
        S3_DATA_DIR: path.join(dir, 's3'),
        PERSIST_STATE: '0',
      },
      // Its own process group, so that stopping it also stops the Lambda workers it spawned.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const ministack = new MiniStack(child, `http://127.0.0.1:${port}`, dir);
    try {
      await ministack.waitUntilReady();
    } catch (e) {
      ministack.abandon();
      throw e;
    }
    return ministack;
  }

  /** The end of what MiniStack printed, for failure messages. */
  private log = '';
  private exited?: string;
  private readonly killOnExit: () => void;

  private constructor(private readonly child: ChildProcess, public readonly endpoint: string, private readonly dir: string) {
    const keep = (chunk: Buffer) => {
      this.log = (this.log + chunk.toString()).slice(-20_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.on('exit', (code, signal) => {
      this.exited = `exited with ${signal ?? `code ${code}`}`;
    });
    child.on('error', (e) => {
      this.exited = `could not start: ${e.message}`;
    });
    // Never leave MiniStack behind, even when Jest exits without running afterAll.
    this.killOnExit = () => this.killGroup('SIGKILL');
    process.on('exit', this.killOnExit);
  }

  /** Sends one request to `test/ministack/sfn_driver.py`, which calls MiniStack with the AWS SDK. */
  public async call<T>(request: Record<string, unknown>, timeoutMs = 120_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const driver = execFile(VENV_PYTHON, [DRIVER], {
        env: {
          ...pythonEnvironment(),
          MINISTACK_ENDPOINT: this.endpoint,
          AWS_ACCESS_KEY_ID: ACCOUNT,
          AWS_SECRET_ACCESS_KEY: 'test',
          AWS_DEFAULT_REGION: REGION,
          AWS_CONFIG_FILE: '/dev/null',
          AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
          PYTHONDONTWRITEBYTECODE: '1',
        },
        timeout: timeoutMs,
        maxBuffer: 256 * 1024 * 1024,
      }, (error, stdout, stderr) => {
        if (error) {
          reject(new Error(`sfn_driver.py ${String(request.command)} failed: ${error.message}\n${stderr}\nMiniStack output:\n${this.log}`));
        } else {
          resolve(JSON.parse(stdout) as T);
        }
      });
      driver.stdin!.end(JSON.stringify(request));
    });
  }

  /** Stops MiniStack and every process it started, and removes its scratch directory. */
  public async stop(): Promise<void> {
    if (this.exited === undefined) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.killGroup('SIGTERM');
      const timer = setTimeout(() => this.killGroup('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    this.abandon();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Kills what is left of the process group, e.g. Lambda workers that outlive the server by a moment. */
  private abandon() {
    process.off('exit', this.killOnExit);
    this.killGroup('SIGKILL');
  }

  private killGroup(signal: NodeJS.Signals) {
    try {
      process.kill(-this.child.pid!, signal);
    } catch {
      // The group is gone already.
    }
  }

  private async waitUntilReady(): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.exited !== undefined) {
        throw new Error(`MiniStack ${this.exited} before it was ready:\n${this.log}`);
      }
      try {
        const response = await fetch(`${this.endpoint}/_ministack/health`);
        if (response.ok) {
          return;
        }
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`MiniStack did not answer on ${this.endpoint} within ${READY_TIMEOUT_MS / 1000}s:\n${this.log}`);
  }
}

/**
 * This process's environment without what would change the Python or AWS setup under the tests:
 * a developer's `PYTHONPATH`, or an `AWS_PROFILE` or session token that the dummy credentials
 * must not mix with.
 */
function pythonEnvironment(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env)
    .filter(([name]) => !name.startsWith('AWS_') && !['PYTHONPATH', 'PYTHONHOME', 'VIRTUAL_ENV'].includes(name)));
}

/** A port on 127.0.0.1 that nothing listens on right now. */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}
