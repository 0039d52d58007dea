// Issue 17: the Dockerfile and compose.yaml, checked offline (no container engine runs in CI): what
// the issue asks of them, parsed rather than grepped, and the image's HEALTHCHECK command run for
// real against a server. Building and running them is described in
// docs/getting-started-operators.md#the-container-image (what was and was not built here).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnServer, type ServerProcess } from '../helpers/processes.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// `yaml` (eemeli/yaml) is installed as a dependency of our dev dependencies; typed here by hand.
let YAML: { parse(text: string, options?: { merge?: boolean }): unknown } | undefined;
try {
  YAML = (await import('yaml' as string)) as NonNullable<typeof YAML>;
} catch {
  YAML = undefined;
}

interface Instruction {
  line: number;
  op: string;
  args: string;
}

/** Dockerfile instructions: comments dropped, backslash continuations joined. */
export function dockerfileInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    while (line.trimEnd().endsWith('\\') && i + 1 < lines.length) {
      line = `${line.trimEnd().slice(0, -1)} ${lines[++i]!.trim()}`;
    }
    const m = /^\s*(\w+)\s+(.*)$/.exec(line);
    if (m) out.push({ line: start + 1, op: m[1]!.toUpperCase(), args: m[2]!.trim() });
  }
  return out;
}

/** The instructions of each stage, by stage. */
function stages(instructions: Instruction[]): Instruction[][] {
  const out: Instruction[][] = [];
  for (const ins of instructions) {
    if (ins.op === 'FROM') out.push([]);
    out.at(-1)?.push(ins);
  }
  return out;
}

describe('Dockerfile', () => {
  const text = readFileSync(join(root, 'Dockerfile'), 'utf8');
  const all = dockerfileInstructions(text);
  const byStage = stages(all);
  const final = byStage.at(-1)!;
  const op = (name: string) => final.filter((i) => i.op === name);

  it('is multi-stage: build and install stages with compilers, a final stage without them', () => {
    assert.ok(byStage.length >= 2, 'at least two FROM');
    assert.match(byStage[0]![0]!.args, / AS build$/i);
    assert.ok(
      byStage.slice(0, -1).some((s) => s.some((i) => i.op === 'RUN' && /\bg\+\+/.test(i.args))),
      'the native modules are built in an early stage',
    );
    assert.ok(
      !final.some((i) => i.op === 'RUN' && /apt-get install|\bg\+\+|\bmake\b|npm (ci|install)/.test(i.args)),
      'no compilers or npm installs in the final stage',
    );
    assert.ok(final.some((i) => i.op === 'COPY' && /--from=install/.test(i.args)));
    // The image installs the packed npm package (the file scripts/pack-smoke.mjs tests).
    assert.ok(all.some((i) => i.op === 'RUN' && /npm pack/.test(i.args)));
    assert.ok(all.some((i) => i.op === 'RUN' && /npm install --global .*shouquan\.tgz/.test(i.args)));
  });

  it('runs as a non-root user', () => {
    const users = op('USER');
    assert.equal(users.length, 1);
    const user = users[0]!.args.split(':')[0]!;
    assert.notEqual(user, 'root');
    assert.notEqual(user, '0');
    // The user exists: made in the final stage with that uid.
    assert.ok(final.some((i) => i.op === 'RUN' && new RegExp(`useradd .*--uid ${user}\\b`).test(i.args)));
  });

  it('keeps its data in a volume the user owns, listens on 7070, starts serve', () => {
    assert.deepEqual(
      op('VOLUME').map((i) => JSON.parse(i.args)),
      [['/data']],
    );
    assert.ok(final.some((i) => i.op === 'RUN' && /chown shouquan:shouquan \/data/.test(i.args)));
    assert.match(
      op('ENV')
        .map((i) => i.args)
        .join(' '),
      /SHOUQUAN_DATABASE_URL=sqlite:\/data\/shouquan\.db/,
    );
    assert.match(
      op('ENV')
        .map((i) => i.args)
        .join(' '),
      /SHOUQUAN_HOST=0\.0\.0\.0/,
    );
    assert.deepEqual(
      op('EXPOSE').map((i) => i.args),
      ['7070'],
    );
    assert.deepEqual(JSON.parse(op('ENTRYPOINT')[0]!.args), ['shouquan']);
    assert.deepEqual(JSON.parse(op('CMD')[0]!.args), ['serve']);
    assert.ok(
      !/PASSWORD|SECRET=|_KEY=/.test(
        op('ENV')
          .map((i) => i.args)
          .join(' '),
      ),
      'no secret baked into the image',
    );
  });

  describe('HEALTHCHECK on /readyz, run for real', () => {
    let server: ServerProcess;
    const health = op('HEALTHCHECK');
    const cmd = JSON.parse(health[0]!.args.replace(/^.*?CMD\s+/, '')) as string[];
    before(async () => {
      server = await spawnServer('sqlite::memory:');
    });
    after(async () => server?.stop());

    it('is declared once, in exec form, with a start period', () => {
      assert.equal(health.length, 1);
      assert.match(health[0]!.args, /--start-period=\d+s/);
      assert.equal(cmd[0], 'node');
      assert.match(cmd.join(' '), /\/readyz/);
    });

    it('exits 0 when the server is ready and 1 when nothing answers', () => {
      const port = new URL(server.url).port;
      const ok = spawnSync(process.execPath, cmd.slice(1), {
        env: { ...process.env, SHOUQUAN_PORT: port },
        timeout: 20_000,
      });
      assert.equal(ok.status, 0, String(ok.stderr));
      const down = spawnSync(process.execPath, cmd.slice(1), {
        env: { ...process.env, SHOUQUAN_PORT: '1' },
        timeout: 20_000,
      });
      assert.equal(down.status, 1);
    });
  });

  it('.dockerignore keeps node_modules, local databases and secrets out of the build context', () => {
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n');
    for (const p of ['node_modules', 'dist', 'data', '*.db', 'deploy/secrets', '.git'])
      assert.ok(ignored.includes(p), p);
  });
});

describe('compose.yaml', { skip: !YAML && 'the yaml package is not installed: compose.yaml checks skipped' }, () => {
  type Service = {
    image?: string;
    build?: unknown;
    ports?: string[];
    environment?: Record<string, string>;
    secrets?: string[];
    depends_on?: Record<string, { condition: string }>;
    volumes?: string[];
    command?: string[];
    profiles?: string[];
    healthcheck?: unknown;
  };
  let compose: {
    services: Record<string, Service>;
    secrets: Record<string, { file: string }>;
    volumes: Record<string, unknown>;
  };
  before(() => {
    // `<<: *shouquan` merge keys, as Docker Compose reads them.
    compose = YAML!.parse(readFileSync(join(root, 'compose.yaml'), 'utf8'), { merge: true }) as typeof compose;
  });

  it('has PostgreSQL, a one-off migration, two Shouquan nodes and a proxy', () => {
    assert.deepEqual(Object.keys(compose.services).sort(), [
      'jaeger',
      'migrate',
      'postgres',
      'proxy',
      'shouquan-1',
      'shouquan-2',
    ]);
    assert.match(compose.services.postgres!.image!, /^postgres:\d+/);
    assert.ok(compose.services.postgres!.healthcheck);
    assert.ok(compose.services.postgres!.volumes!.some((v) => v.endsWith(':/var/lib/postgresql/data')));
    assert.deepEqual(compose.services.migrate!.command, ['migrate']);
    assert.deepEqual(compose.services.migrate!.depends_on, { postgres: { condition: 'service_healthy' } });
    assert.deepEqual(compose.services.jaeger!.profiles, ['tracing'], 'tracing is optional');
  });

  it("publishes one port, the proxy's; the nodes are reachable only behind it", () => {
    const published = Object.entries(compose.services)
      .filter(([, s]) => s.ports?.length && !s.profiles)
      .map(([name, s]) => [name, s.ports]);
    assert.deepEqual(published, [['proxy', ['8080:8080']]]);
    assert.deepEqual(compose.services.proxy!.depends_on, {
      'shouquan-1': { condition: 'service_healthy' },
      'shouquan-2': { condition: 'service_healthy' },
    });
    const nginx = readFileSync(join(root, 'deploy/nginx.conf'), 'utf8');
    assert.ok(compose.services.proxy!.volumes!.includes('./deploy/nginx.conf:/etc/nginx/nginx.conf:ro'));
    assert.match(nginx, /server shouquan-1:7070/);
    assert.match(nginx, /server shouquan-2:7070/);
    assert.match(nginx, /proxy_set_header X-Request-Id \$request_id;/);
    assert.match(nginx, /proxy_set_header X-Forwarded-For/);
  });

  it('runs both nodes alike on PostgreSQL with the same server key, secrets from files only', () => {
    const [a, b] = [compose.services['shouquan-1']!, compose.services['shouquan-2']!];
    assert.deepEqual(a, b);
    const env = a.environment!;
    assert.equal(env.SHOUQUAN_DATABASE_URL_FILE, '/run/secrets/database_url');
    assert.equal(env.SHOUQUAN_SECRET_KEY_FILE, '/run/secrets/shouquan_key');
    assert.equal(env.SHOUQUAN_TRUST_PROXY, 'true');
    assert.ok('OTEL_EXPORTER_OTLP_ENDPOINT' in env);
    assert.deepEqual(a.secrets, ['database_url', 'shouquan_key']);
    assert.deepEqual(a.depends_on, { migrate: { condition: 'service_completed_successfully' } });
    assert.ok(a.build !== undefined && a.image !== undefined);
    for (const [name, s] of Object.entries(compose.services)) {
      for (const [k, v] of Object.entries(s.environment ?? {})) {
        assert.doesNotMatch(String(v), /:\/\/[^@/\s]*:[^@/\s]+@/, `${name}: ${k} holds a password in a URL`);
        if (/PASSWORD|SECRET/.test(k)) assert.ok(k.endsWith('_FILE'), `${name}: ${k} is a secret value, not a file`);
      }
    }
    for (const s of Object.values(compose.secrets)) assert.match(s.file, /^\.\/deploy\/secrets\//);
  });

  it('every variable the compose file gives Shouquan is one it reads', async () => {
    const { SERVE_SETTINGS } = await import('../../src/config.js');
    const known = new Set<string>(SERVE_SETTINGS.map(([, env]) => env as string));
    for (const name of ['shouquan-1', 'migrate']) {
      for (const k of Object.keys(compose.services[name]!.environment ?? {})) {
        if (k.startsWith('OTEL_')) continue;
        assert.ok(known.has(k), `${name}: ${k} is not a serve setting`);
      }
    }
  });
});
