/**
 * Summarise V8 .cpuprofile files (from `BENCH_CPU_PROF=dir npm run bench`): self time by
 * area (our src/, each dependency, Node internals, GC, idle) and the top functions.
 * Usage: node --import tsx scripts/bench/profile-summary.ts file.cpuprofile [top=25]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
const [path, topArg] = process.argv.slice(2);
if (!path) throw new Error('usage: profile-summary.ts file.cpuprofile [top]');
const prof = JSON.parse(readFileSync(path, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
prof.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (prof.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);

const area = (url: string, fn: string) => {
  if (fn === '(idle)') return '(idle)';
  if (fn === '(garbage collector)') return '(gc)';
  if (fn === '(program)') return '(program/native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.includes('/src/')) return `src/${url.split('/src/')[1]?.split('/')[0]}`;
  if (url.startsWith('node:')) return 'node internals';
  return url === '' ? '(native)' : url;
};
const areas = new Map<string, number>();
const fns = new Map<string, number>();
for (const [id, t] of self) {
  const n = byId.get(id)!;
  const { functionName, url, lineNumber } = n.callFrame;
  const a = area(url, functionName);
  areas.set(a, (areas.get(a) ?? 0) + t);
  const key = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^.*\/(src|scripts)\//, '$1/')}:${lineNumber + 1}`;
  fns.set(key, (fns.get(key) ?? 0) + t);
}
const pct = (t: number) => `${((t / total) * 100).toFixed(1).padStart(5)}%`;
console.log(`total ${(total / 1e6).toFixed(1)} s sampled\n\nself time by area:`);
for (const [a, t] of [...areas].sort((x, y) => y[1] - x[1]).slice(0, 20)) console.log(`  ${pct(t)}  ${a}`);
console.log(`\ntop functions (self):`);
for (const [f, t] of [...fns].sort((x, y) => y[1] - x[1]).slice(0, Number(topArg ?? 25)))
  console.log(`  ${pct(t)}  ${f}`);
