// Builds build/Release/goldcrest.node with the node-gyp devDependency (run by `pnpm install`).
// - Several builds of the same checkout must not interleave: wrap in `flock` when it exists.
// - Node headers: use the local ones when npm/pnpm did not pass a nodedir and they are installed
//   (Debian's nodejs puts them under /usr/include/node); otherwise node-gyp downloads them.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const pkg = path.join(__dirname, '..');
const gyp = require.resolve('node-gyp/bin/node-gyp.js');
const args = [gyp, 'rebuild', `--jobs=${Math.max(1, require('node:os').availableParallelism?.() ?? 2)}`];
if (!process.env.npm_config_nodedir) {
  const guess = path.resolve(path.dirname(process.execPath), '..');
  if (fs.existsSync(path.join(guess, 'include', 'node', 'node_api.h')) && fs.existsSync(path.join(guess, 'include', 'node', 'common.gypi'))) {
    args.push(`--nodedir=${guess}`);
  }
}
const hasFlock = spawnSync('flock', ['--version'], { stdio: 'ignore' }).status === 0;
const [cmd, cmdArgs] = hasFlock
  ? ['flock', [path.join(require('node:os').tmpdir(), 'gc-native-build.lock'), process.execPath, ...args]]
  : [process.execPath, args];
const r = spawnSync(cmd, cmdArgs, { cwd: pkg, stdio: 'inherit' });
if (r.error) throw r.error;
process.exit(r.status ?? 1);
