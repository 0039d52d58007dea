// `npm run demo` as the README says: one process starts a sandbox Shouquan and the demo; a
// seller connects their store through the real login and consent forms (no browser needed here).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FormClient, authorizeThroughForms } from '../../test/helpers/browserless.js';

const here = dirname(fileURLToPath(import.meta.url));

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('client demo: npm run demo (embedded sandbox)', () => {
  let child: ChildProcess;
  let dir: string;
  let output = '';
  let demoUrl: string;
  let sandboxUrl: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'demo-one-command-'));
    const [demoPort, sandboxPort] = [await freePort(), await freePort()];
    demoUrl = `http://127.0.0.1:${demoPort}`;
    sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(demoPort),
      SANDBOX_URL: sandboxUrl,
      SANDBOX_DATABASE: `sqlite:${join(dir, 'demo.db')}`,
    };
    // No REDIRECT_URI: the README says it defaults to http://HOST:PORT/callback, PORT included.
    delete env.REDIRECT_URI;
    delete env.APP_SECRET;
    delete env.SHOUQUAN_URL;
    child = spawn(process.execPath, ['--import', 'tsx', join(here, 'server.ts')], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (output += d));
    await new Promise<void>((resolve, reject) => {
      const check = () => (output.includes('Ctrl+C stops.') ? resolve() : undefined);
      child.stdout!.on('data', check);
      child.once('exit', (code) => reject(new Error(`the demo exited with ${code}:\n${output}`)));
    });
  });

  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('prints where it runs and the sandbox seller, and connects a store end to end', async () => {
    assert.match(
      output,
      new RegExp(
        `^Client demo on ${demoUrl} {2}\\(Shouquan ${sandboxUrl}, app 10000001, profile standard, redirect ${demoUrl}/callback\\)$`,
        'm',
      ),
    );
    const creds = /^Sandbox seller to sign in with: (\S+) \/ (\S+)$/m.exec(output);
    assert.ok(creds, output);

    const browser = new FormClient(demoUrl);
    const connect = await browser.get('/connect');
    assert.equal(connect.status, 303);
    const authorize = connect.headers.get('location')!;
    assert.ok(authorize.startsWith(`${sandboxUrl}/oauth/authorize?`), authorize);
    const { location } = await authorizeThroughForms(sandboxUrl, authorize, {
      username: creds[1]!,
      password: creds[2]!,
    });
    // The demo listens on PORT (not 8080), and its callback there is what the sandbox registered.
    const callback = new URL(location);
    assert.equal(`${callback.origin}${callback.pathname}`, `${demoUrl}/callback`);
    const back = await browser.get(`/callback${callback.search}`);
    assert.equal(back.status, 303);
    const home = await (await browser.get('/')).text();
    assert.match(home, /<dd id="store-name">Demo Store A<\/dd>/);
    assert.match(home, /Store connected\. Access token/);
  });
});
