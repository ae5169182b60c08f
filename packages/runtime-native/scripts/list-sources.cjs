// Prints the microkernel sources of one ISA for binding.gyp (`<!@(node scripts/list-sources.cjs avx2)`):
// native/microkernels/<family>/<isa>.cc plus native/microkernels/table_<isa>.cc. Globbing here lets
// the microkernel files grow without editing the gyp file.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const isa = process.argv[2];
if (isa === 'runtime') {
  // The addon itself: every .cc under native/runtime and native/binding (recursively).
  const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name)).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.cc') && e.name !== 'empty.cc' ? [path.join(dir, e.name)] : []);
  const base = path.join(__dirname, '..');
  const files = ['runtime', 'binding'].flatMap((d) => walk(path.join(base, 'native', d))).map((f) => path.relative(base, f).split(path.sep).join('/'));
  process.stdout.write(files.join('\n'));
  process.exit(0);
}
if (!['scalar', 'avx2', 'avx512'].includes(isa)) {
  console.error(`list-sources: unknown ISA '${isa}'`);
  process.exit(1);
}
const root = path.join(__dirname, '..', 'native', 'microkernels');
const out = [];
if (fs.existsSync(root)) {
  for (const ent of fs.readdirSync(root, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (ent.isDirectory() && fs.existsSync(path.join(root, ent.name, `${isa}.cc`))) out.push(`native/microkernels/${ent.name}/${isa}.cc`);
  }
  if (fs.existsSync(path.join(root, `table_${isa}.cc`))) out.push(`native/microkernels/table_${isa}.cc`);
}
// gyp needs at least one source per static library; an empty TU keeps the target valid.
if (out.length === 0) out.push('native/runtime/empty.cc');
process.stdout.write(out.join('\n'));
