#!/usr/bin/env node
import { main } from './program.js';

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // Never hang: if some handle stays open after the command finished, leave anyway (after stdout drains).
  setTimeout(() => process.exit(code), 200).unref();
});
