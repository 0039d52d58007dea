/**
 * Run the CLI from source, the way bin/shouquan.js runs the build:
 *   node --import tsx test/helpers/cli-entry.ts serve --port 0 …
 */
import { main } from '../../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
