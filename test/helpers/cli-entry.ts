// Runs the CLI from source (for tests that start real server processes).
import { main } from '../../src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    console.error(`shouquan: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
