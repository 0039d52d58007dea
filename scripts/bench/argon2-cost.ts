/**
 * What one seller login's password check costs on this machine, outside the server:
 * argon2id verify at the configured parameters (src/crypto/password.ts), one at a time.
 * Usage: node --import tsx scripts/bench/argon2-cost.ts [count=20]
 */
import argon2 from 'argon2';
import { hashPassword, PASSWORD_HASH_OPTIONS } from '../../src/crypto/password.js';

const n = Number(process.argv[2] ?? 20);
const hash = await hashPassword('bench-password-1');
await argon2.verify(hash, 'bench-password-1');
const wall: number[] = [];
const cpu0 = process.cpuUsage();
for (let i = 0; i < n; i++) {
  const t = performance.now();
  await argon2.verify(hash, 'bench-password-1');
  wall.push(performance.now() - t);
}
const cpu = process.cpuUsage(cpu0);
wall.sort((a, b) => a - b);
const cpuMs = (cpu.user + cpu.system) / 1000 / n;
console.log(
  JSON.stringify({
    params: PASSWORD_HASH_OPTIONS,
    verifies: n,
    median_wall_ms: Number(wall[Math.floor(n / 2)]!.toFixed(1)),
    cpu_ms_per_verify: Number(cpuMs.toFixed(1)),
    per_core_per_s: Number((1000 / cpuMs).toFixed(1)),
  }),
);
